"""Step Functions task: send one signed webhook to an operator.

Input: {"request_id", "operator_id", "event", "step"} and, for a step that waits for the
operator's answer, "task_token" and "deadline"; "day", "round", "reason" and "report_by"
where the event carries them. The token is stored in DynamoDB before the
webhook leaves, and only its step and party go out. The webhook-id is the same on every retry
of one step, so the operator can drop repeats.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# Cold start: only Powertools and light project modules are imported at module level. The
# domain modules load boto3, pydantic and more, so each function imports the ones it uses
# (bench/cold_start.py measures it, docs/benchmarks.md has the figures).

logger = Logger()


@logger.inject_lambda_context(correlation_id_path="request_id", clear_state=True)
def lambda_handler(event: dict[str, Any], context: "LambdaContext") -> dict[str, Any]:
    from connectmyhome import outbound
    from connectmyhome.retries import transient_on_failure

    logger.append_keys(operator_id=event["operator_id"], event_type=event["event"])
    deadline = datetime.fromisoformat(event["deadline"].replace("Z", "+00:00")) \
        if event.get("deadline") else None

    result = transient_on_failure(lambda: outbound.send(
        request_id=event["request_id"], operator_id=event["operator_id"],
        event_type=event["event"], step=event["step"],
        task_token=event.get("task_token"), deadline=deadline,
        extra={key: event[key] for key in ("day", "round", "reason", "report_by")
               if key in event}))

    logger.info("Webhook delivered", webhook_id=result["webhook_id"], status=result["status"])
    return result
