"""Scheduled task: remind late parties and escalate requests at risk to their case manager."""

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# Cold start: only Powertools and light project modules are imported at module level. The
# domain modules load boto3, pydantic and more, so each function imports the ones it uses
# (bench/cold_start.py measures it, docs/benchmarks.md has the figures).

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: "LambdaContext") -> dict[str, Any]:
    from connectmyhome import watchdog

    counts = watchdog.run()

    if any(counts.values()):
        logger.info("Follow-ups done", **counts)
    metrics.add_metric(name="Reminders", unit=MetricUnit.Count, value=counts["reminded"])
    metrics.add_metric(name="DeadlineBreaches", unit=MetricUnit.Count,
                       value=counts["escalated"] + counts["at_risk"])
    return counts
