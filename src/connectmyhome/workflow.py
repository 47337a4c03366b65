"""Starting the request state machine."""

import json
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .config import settings

logger = Logger(child=True)


@cache
def _client() -> Any:
    return boto3.client("stepfunctions", config=Config(retries={"mode": "standard",
                                                                "max_attempts": 5}))


def start(request_id: str, reference: str) -> str | None:
    """Start the execution named after the request's reference and return its ARN.

    Starting twice with the same name and input returns the same execution, so a retried
    intake does not run the workflow twice. Returns None when Step Functions keeps failing:
    the request stays stored as "submitted" and the failure is logged for an admin to restart.
    """
    try:
        answer = _client().start_execution(
            stateMachineArn=settings().state_machine_arn,
            name=reference,
            input=json.dumps({"request_id": request_id, "reference": reference}),
        )
    except (ClientError, BotoCoreError):
        logger.exception("Failed to start the request workflow", extra={"request_id": request_id})
        return None
    return answer["executionArn"]
