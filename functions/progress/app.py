"""Step Functions task: record the request's progress.

Actions: {"action": "set_status", "request_id", "status", "step"} moves the request to a
status; {"action": "record_failure", "request_id", "error", "execution_id"} marks it failed,
logs the error in its timeline and alerts the admins.
"""

import json
import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from connectmyhome import repository, statuses
from connectmyhome.retries import transient_on_failure

logger = Logger()
tracer = Tracer()
sns = boto3.client("sns")


def _set_status(event: dict[str, Any]) -> dict[str, Any]:
    status = event["status"]
    changed = transient_on_failure(lambda: repository.change_status(
        event["request_id"], status, statuses.allowed_predecessors(status), actor="platform",
        data={"step": event.get("step")},
    ))
    logger.info("Status recorded", status=status, changed=changed)
    return {"status": status, "changed": changed}


def _record_failure(event: dict[str, Any]) -> dict[str, Any]:
    request_id = event["request_id"]
    error = event.get("error") or {}
    logger.error("Request workflow failed", error=error.get("Error"),
                 execution_id=event.get("execution_id"))

    transient_on_failure(lambda: repository.change_status(
        request_id, "failed", statuses.allowed_predecessors("failed"), actor="platform",
        data={"error": error.get("Error"), "execution_id": event.get("execution_id")},
    ))
    transient_on_failure(lambda: sns.publish(
        TopicArn=os.environ["ALERTS_TOPIC_ARN"],
        Subject="Connect my Home: request workflow failed",
        Message=json.dumps({"request_id": request_id, "execution_id": event.get("execution_id"),
                            "error": error.get("Error"), "cause": error.get("Cause")}),
    ))
    return {"status": "failed"}


ACTIONS = {"set_status": _set_status, "record_failure": _record_failure}


@logger.inject_lambda_context(correlation_id_path="request_id")
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    action = ACTIONS.get(event.get("action", ""))
    if action is None:
        raise ValueError(f"unknown action {event.get('action')!r}")
    return action(event)
