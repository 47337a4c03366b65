"""Step Functions task: combine every operator's quote into the one offer.

Input: {"request_id"}. Output: the offer (per operator and overall totals in cents).
"""

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from connectmyhome import offers
from connectmyhome.retries import transient_on_failure

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context(correlation_id_path="request_id", clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    offer = transient_on_failure(lambda: offers.build(event["request_id"]))

    logger.info("Offer built", total_cents=offer["total_cents"],
                valid_until=offer["valid_until"])
    metrics.add_metric(name="OffersSent", unit=MetricUnit.Count, value=1)
    return offer
