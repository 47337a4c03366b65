"""Step Functions task: send one email of a request (acknowledgement, ...) through SES.

Input: {"request_id", "email", "step"}. A retried step sends nothing twice: the send is
idempotent on (request, email, step) for a week.
"""

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from connectmyhome.idempotency import idempotent_on_first_call

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# Cold start: only Powertools and light project modules are imported at module level. The
# domain modules load boto3, pydantic and more, so each function imports the ones it uses
# (bench/cold_start.py measures it, docs/benchmarks.md has the figures).

logger = Logger()
metrics = Metrics()


@idempotent_on_first_call(data_keyword_argument="task",
                          event_key_jmespath="[request_id, email, step]",
                          raise_on_no_idempotency_key=True,
                          expires_after_seconds=7 * 24 * 3600)
def _send(task: dict[str, Any]) -> dict[str, Any]:
    from connectmyhome import notifications
    from connectmyhome.retries import transient_on_failure

    message_id = transient_on_failure(
        lambda: notifications.send(task["request_id"], task["email"], task["step"])
    )
    logger.info("Email sent", email=task["email"], message_id=message_id)
    metrics.add_metric(name="EmailsSent", unit=MetricUnit.Count, value=1)
    return {"message_id": message_id}


@logger.inject_lambda_context(correlation_id_path="request_id")
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: "LambdaContext") -> dict[str, Any]:
    from connectmyhome import notifications

    _send.register_lambda_context(context)
    if event.get("email") not in notifications.EMAIL_NAMES:
        raise ValueError(f"unknown email {event.get('email')!r}")
    return _send(task={key: event.get(key) for key in ("request_id", "email", "step")})
