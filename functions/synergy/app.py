"""Step Functions task: after the quote round, choose the joint path or the hand-over.

Input: {"request_id", "results": [one result per operator: {"operator_id", "outcome", ...}]}.
Output: {"path": "joint" | "handover", "reasons": [{"operator_id", "name", "cause"}]}.
"""

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


@logger.inject_lambda_context(correlation_id_path="request_id", clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: "LambdaContext") -> dict[str, Any]:
    from connectmyhome import quote_round
    from connectmyhome.retries import transient_on_failure

    decision = transient_on_failure(
        lambda: quote_round.evaluate_synergy(event["request_id"], event["results"]))

    logger.info("Synergy evaluated", path=decision["path"],
                causes=[reason["cause"] for reason in decision["reasons"]])
    if decision["path"] == "handover":
        metrics.add_metric(name="HandOvers", unit=MetricUnit.Count, value=1)
    return decision
