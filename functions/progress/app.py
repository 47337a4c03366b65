"""Step Functions task: record the request's progress.

Actions, each {"action": ..., "request_id": ...} plus:
- "set_status" ("status", "step"): move the request to a status;
- "assign_case_manager": give the request its case manager, once;
- "await_site_survey" ("task_token", "timeout_seconds"): keep the survey step's token and
  mark the request as waiting for its site survey;
- "start_quote_round": mark it quoting and return each operator's deadline;
- "await_decision" ("task_token", "timeout_seconds"): keep the decision step's token;
- "close" ("status"): close the request as declined or expired;
- "confirm_works_day": fix the proposed day, status "scheduled";
- "hand_over" ("causes"): hand it over to each operator, recording why;
- "alert" ("operator_id", "error"): alert the admins that an operator could not be notified;
- "record_failure" ("error", "execution_id"): mark it failed, log the error, alert.
"""

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# Cold start: only Powertools and light project modules are imported at module level. The
# domain modules load boto3, pydantic and more, so each function imports the ones it uses
# (bench/cold_start.py measures it, docs/benchmarks.md has the figures).

logger = Logger()


def _set_status(event: dict[str, Any]) -> dict[str, Any]:
    from connectmyhome import repository, statuses
    from connectmyhome.retries import transient_on_failure

    status = event["status"]
    changed = transient_on_failure(lambda: repository.change_status(
        event["request_id"], status, statuses.allowed_predecessors(status), actor="platform",
        data={"step": event.get("step")},
    ))
    logger.info("Status recorded", status=status, changed=changed)
    return {"status": status, "changed": changed}


def _record_failure(event: dict[str, Any]) -> dict[str, Any]:
    from connectmyhome import alerts, repository, statuses
    from connectmyhome.retries import transient_on_failure

    request_id = event["request_id"]
    error = event.get("error") or {}
    if error.get("Error") == "RequestCancelled":
        logger.info("Workflow ended by the cancellation of its request")
        return {"status": "cancelled"}
    logger.error("Request workflow failed", error=error.get("Error"),
                 execution_id=event.get("execution_id"))

    details = {"error": error.get("Error"), "execution_id": event.get("execution_id")}
    try:
        transient_on_failure(lambda: repository.change_status(
            request_id, "failed", statuses.allowed_predecessors("failed"), actor="platform",
            data=details))
    except repository.StatusConflictError as conflict:
        # A request already handed over or closed keeps its status; the incident is logged.
        logger.warning("Failure after a final status", status=conflict.current)
        repository.append_event(request_id, "request.failed", actor="platform", data=details)
    transient_on_failure(lambda: alerts.publish(
        "Connect my Home: request workflow failed",
        {"request_id": request_id, "execution_id": event.get("execution_id"),
         "error": error.get("Error"), "cause": error.get("Cause")},
    ))
    return {"status": "failed"}


def _assign_case_manager(event: dict[str, Any]) -> dict[str, Any]:
    from connectmyhome import case_managers
    from connectmyhome.retries import transient_on_failure

    manager = transient_on_failure(lambda: case_managers.assign(event["request_id"]))
    logger.info("Case manager assigned", case_manager_id=manager.id)
    return manager.as_item()


def _await_site_survey(event: dict[str, Any]) -> dict[str, Any]:
    from connectmyhome import clock, repository, statuses, task_tokens
    from connectmyhome.retries import transient_on_failure

    request_id = event["request_id"]
    deadline = clock.now() + timedelta(seconds=int(event["timeout_seconds"]))

    transient_on_failure(lambda: task_tokens.store(request_id, "site_survey", "case_manager",
                                                   event["task_token"], deadline))
    transient_on_failure(lambda: repository.change_status(
        request_id, "survey_pending", statuses.allowed_predecessors("survey_pending"),
        actor="platform", data={"survey_due": clock.isoformat(deadline)}))
    logger.info("Waiting for the site survey", survey_due=clock.isoformat(deadline))
    return {"survey_due": clock.isoformat(deadline)}


def _start_quote_round(event: dict[str, Any]) -> dict[str, Any]:
    from connectmyhome import quote_round
    from connectmyhome.retries import transient_on_failure

    result = transient_on_failure(lambda: quote_round.start(event["request_id"]))
    logger.info("Quote round started", operators=[item["operator_id"]
                                                  for item in result["operators"]])
    return result


def _hand_over(event: dict[str, Any]) -> dict[str, Any]:
    from connectmyhome import offers, operators, repository
    from connectmyhome.retries import transient_on_failure

    request_id = event["request_id"]
    request = repository.load_request(request_id)
    reasons = []
    for cause in event.get("causes") or []:
        if cause.get("operator_id") == "*":
            reasons.extend({"operator_id": operator_id, "name": operators.get(operator_id).name,
                            "cause": cause["cause"]}
                           for operator_id in (request or {}).get("operator_ids", []))
        else:
            reasons.append(cause)

    result = transient_on_failure(lambda: offers.hand_over(request_id, reasons))
    logger.warning("Request handed over", causes=sorted({item["cause"] for item in reasons}))
    return result


def _alert(event: dict[str, Any]) -> dict[str, Any]:
    from connectmyhome import alerts, repository
    from connectmyhome.retries import transient_on_failure

    error = event.get("error") or {}
    logger.error("Operator could not be notified", operator_id=event.get("operator_id"),
                 error=error.get("Error"))
    repository.append_event(event["request_id"], "operator.unreachable", actor="platform",
                            data={"operator_id": event.get("operator_id"),
                                  "error": error.get("Error")})
    transient_on_failure(lambda: alerts.publish(
        "Connect my Home: operator webhook undelivered",
        {"request_id": event["request_id"], "operator_id": event.get("operator_id"),
         "error": error.get("Error"), "cause": error.get("Cause")},
    ))
    return {"alerted": True}


def _await_decision(event: dict[str, Any]) -> dict[str, Any]:
    from connectmyhome import clock, decisions, task_tokens
    from connectmyhome.retries import transient_on_failure

    deadline = clock.now() + timedelta(seconds=int(event["timeout_seconds"]))
    transient_on_failure(lambda: task_tokens.store(event["request_id"], "decision", "customer",
                                                   event["task_token"], deadline))
    logger.info("Waiting for the customer's decision", decide_by=clock.isoformat(deadline))
    # The customer may have decided from the tracking page before the token was stored.
    if transient_on_failure(lambda: decisions.release_early_decision(event["request_id"])):
        logger.info("Decision made before the step waited: step resumed")
    return {"decide_by": clock.isoformat(deadline)}


def _close(event: dict[str, Any]) -> dict[str, Any]:
    from connectmyhome import repository, statuses
    from connectmyhome.retries import transient_on_failure

    status = event["status"]
    if status not in ("declined", "expired"):
        raise ValueError(f"cannot close a request as {status!r}")
    transient_on_failure(lambda: repository.change_status(
        event["request_id"], status, statuses.allowed_predecessors(status), actor="platform"))
    logger.info("Request closed", status=status)
    request = repository.load_request(event["request_id"]) or {}
    return {"status": status, "operator_ids": request.get("operator_ids", [])}


def _confirm_works_day(event: dict[str, Any]) -> dict[str, Any]:
    from connectmyhome import works
    from connectmyhome.retries import transient_on_failure

    result = transient_on_failure(lambda: works.confirm(event["request_id"]))
    logger.info("Works day confirmed", day=result["day"])
    return result


ACTIONS = {
    "await_decision": _await_decision,
    "close": _close,
    "confirm_works_day": _confirm_works_day,
    "set_status": _set_status,
    "assign_case_manager": _assign_case_manager,
    "await_site_survey": _await_site_survey,
    "start_quote_round": _start_quote_round,
    "hand_over": _hand_over,
    "alert": _alert,
    "record_failure": _record_failure,
}


@logger.inject_lambda_context(correlation_id_path="request_id", clear_state=True)
def lambda_handler(event: dict[str, Any], context: "LambdaContext") -> dict[str, Any]:
    action = ACTIONS.get(event.get("action", ""))
    if action is None:
        raise ValueError(f"unknown action {event.get('action')!r}")
    return action(event)
