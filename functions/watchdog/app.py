"""Scheduled task: remind late parties and escalate requests at risk to their case manager."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from connectmyhome import watchdog

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    counts = watchdog.run()

    if any(counts.values()):
        logger.info("Follow-ups done", **counts)
    metrics.add_metric(name="Reminders", unit=MetricUnit.Count, value=counts["reminded"])
    metrics.add_metric(name="DeadlineBreaches", unit=MetricUnit.Count,
                       value=counts["escalated"] + counts["at_risk"])
    return counts
