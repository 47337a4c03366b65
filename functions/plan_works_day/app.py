"""Step Functions task: plan the single works day and judge the answers to it.

Actions, each {"action": ..., "request_id": ...} plus:
- "plan" ("round"): the earliest day that fits every operator and the customer, with each
  operator's answer deadline; a day beyond the six-week promise alerts the admins;
- "evaluate_answers" ("round", "answers"): "confirmed", "replan" or "exhausted";
- "evaluate_works" ("reports"): "completed", or "handover" with the reasons.
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


def _plan(event: dict[str, Any]) -> dict[str, Any]:
    from connectmyhome import alerts, repository, works
    from connectmyhome.retries import transient_on_failure

    round_number = int(event.get("round") or 1)
    result = transient_on_failure(lambda: works.plan(event["request_id"], round_number))
    logger.info("Works day planned", round=round_number, day=result.get("day"),
                within_promise=result.get("within_promise"))

    if result["found"] and not result["within_promise"]:
        metrics.add_metric(name="DeadlineBreaches", unit=MetricUnit.Count, value=1)
        repository.append_event(event["request_id"], "deadline.at_risk", actor="platform",
                                data={"day": result["day"]})
        transient_on_failure(lambda: alerts.publish(
            "Connect my Home: works day beyond the six-week promise",
            {"request_id": event["request_id"], "day": result["day"]}))
    return result


def _evaluate_answers(event: dict[str, Any]) -> dict[str, Any]:
    from connectmyhome import works
    from connectmyhome.retries import transient_on_failure

    result = transient_on_failure(lambda: works.evaluate_answers(
        event["request_id"], int(event["round"]), event["answers"]))
    logger.info("Works day answers evaluated", result=result["result"])
    return result


def _evaluate_works(event: dict[str, Any]) -> dict[str, Any]:
    from connectmyhome import works
    from connectmyhome.retries import transient_on_failure

    result = transient_on_failure(lambda: works.evaluate_works(event["request_id"],
                                                               event["reports"]))
    logger.info("Works reports evaluated", result=result["result"])
    if result["result"] == "completed":
        metrics.add_metric(name="Completions", unit=MetricUnit.Count, value=1)
    return result


ACTIONS = {"plan": _plan, "evaluate_answers": _evaluate_answers,
           "evaluate_works": _evaluate_works}


@logger.inject_lambda_context(correlation_id_path="request_id", clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: "LambdaContext") -> dict[str, Any]:
    action = ACTIONS.get(event.get("action", ""))
    if action is None:
        raise ValueError(f"unknown action {event.get('action')!r}")
    return action(event)
