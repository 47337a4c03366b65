"""Step Functions task: send one email of a request (acknowledgement, ...) through SES.

Input: {"request_id", "email", "step"}. A retried step sends nothing twice: the send is
idempotent on (request, email, step) for a week.
"""

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from connectmyhome import notifications
from connectmyhome.retries import transient_on_failure

logger = Logger()
metrics = Metrics()

idempotency = IdempotencyConfig(event_key_jmespath="[request_id, email, step]",
                                raise_on_no_idempotency_key=True,
                                expires_after_seconds=7 * 24 * 3600)
persistence = DynamoDBPersistenceLayer(table_name=os.environ["IDEMPOTENCY_TABLE_NAME"])


@idempotent_function(data_keyword_argument="task", config=idempotency,
                     persistence_store=persistence)
def _send(task: dict[str, Any]) -> dict[str, Any]:
    message_id = transient_on_failure(
        lambda: notifications.send(task["request_id"], task["email"], task["step"])
    )
    logger.info("Email sent", email=task["email"], message_id=message_id)
    metrics.add_metric(name="EmailsSent", unit=MetricUnit.Count, value=1)
    return {"message_id": message_id}


@logger.inject_lambda_context(correlation_id_path="request_id")
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency.register_lambda_context(context)
    if event.get("email") not in notifications.EMAIL_NAMES:
        raise ValueError(f"unknown email {event.get('email')!r}")
    return _send(task={key: event.get(key) for key in ("request_id", "email", "step")})
