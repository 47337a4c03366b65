"""Step Functions task: combine every operator's quote into the one offer.

Input: {"request_id"}. Output: the offer (per operator and overall totals in cents).
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
    from connectmyhome import offers
    from connectmyhome.retries import transient_on_failure

    offer = transient_on_failure(lambda: offers.build(event["request_id"]))

    logger.info("Offer built", total_cents=offer["total_cents"],
                valid_until=offer["valid_until"])
    metrics.add_metric(name="OffersSent", unit=MetricUnit.Count, value=1)
    return offer
