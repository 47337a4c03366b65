"""The quote round: ask every operator concerned for its quote, then judge the joint path.

Each operator has a deadline (ten working days by default, set per operator in the
registry). The round ends on the joint path when every operator quoted without a network
extension; any decline, extension, silence past the deadline or unreachable endpoint hands
the request over to each operator.
"""

from datetime import datetime, time, timedelta
from typing import Any

from . import clock, operators, repository, working_days
from .errors import RequestNotFoundError

# A deadline counted in working days falls at the end of the last working day, Brussels time.
END_OF_WORKING_DAY = time(18, 0)
MIN_TIMEOUT_SECONDS = 1

# Causes of a hand-over, shown to the customer and the operators.
HANDOVER_CAUSES = ("declined", "not_feasible", "network_extension_required", "timed_out",
                   "unreachable", "survey_not_feasible", "survey_timed_out")


def quote_deadline(operator: operators.Operator, now: datetime) -> datetime:
    if operator.quote_deadline_seconds is not None:
        return now + timedelta(seconds=int(operator.quote_deadline_seconds))
    today = now.astimezone(clock.BRUSSELS).date()
    last_day = working_days.add_working_days(today, operator.quote_deadline_working_days)
    return datetime.combine(last_day, END_OF_WORKING_DAY, tzinfo=clock.BRUSSELS)


def start(request_id: str) -> dict[str, Any]:
    """Move the request to "quoting" and return each operator's deadline for the Map state."""
    request = repository.load_request(request_id)
    if request is None:
        raise RequestNotFoundError(request_id=request_id)

    now = clock.now()
    round_operators = []
    for operator_id in request["operator_ids"]:
        deadline = quote_deadline(operators.get(operator_id), now)
        timeout = max(MIN_TIMEOUT_SECONDS, int((deadline - now).total_seconds()))
        round_operators.append({"operator_id": operator_id, "timeout_seconds": timeout,
                                "deadline": clock.isoformat(deadline)})
        repository.update_operator_party(request_id, operator_id, {
            "state": "quote_requested", "quote_deadline": clock.isoformat(deadline)})

    repository.change_status(request_id, "quoting", ("survey_pending",), actor="platform")
    return {"operators": round_operators}


def quote_requested_data(request: dict[str, Any], operator_id: str,
                         deadline: str | None) -> dict[str, Any]:
    """Build the `quote.requested` event data for one operator: only its own connections."""
    connections = [
        {"utility": item["utility"], **{key: value for key, value in item["details"].items()
                                        if key != "utility"}}
        for item in repository.load_connections(request["request_id"])
        if item["operator_id"] == operator_id
    ]
    applicant = request["applicant"]
    return {
        "request_id": request["request_id"],
        "reference": request["reference"],
        "reply_by": deadline,
        "project": request["project"],
        "site": {key: value for key, value in request["site"].items()},
        "connections": connections,
        "survey": request.get("survey"),
        "preferred_period": request.get("preferred_period"),
        "unavailable_days": request.get("unavailable_days", []),
        "applicant": {"name": f"{applicant['first_name']} {applicant['last_name']}",
                      "phone": applicant["phone"], "email": applicant["email"],
                      "language": applicant.get("language", "fr")},
        "case_manager": request.get("case_manager"),
    }


def _cause(result: dict[str, Any]) -> str | None:
    """Return why one operator's result prevents the joint path, or None when it allows it."""
    outcome = result.get("outcome")
    if outcome == "declined":
        reason = result.get("reason")
        return reason if reason in ("network_extension_required", "not_feasible") else "declined"
    if outcome == "quoted":
        quote = result.get("quote") or {}
        if quote.get("network_extension_required"):
            return "network_extension_required"
        if quote.get("feasible") is False:
            return "not_feasible"
        return None
    if outcome in ("timed_out", "unreachable"):
        return outcome
    return "unreachable"


def evaluate_synergy(request_id: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    """Decide between the joint path and the hand-over, and record the decision."""
    reasons = []
    for result in results:
        cause = _cause(result)
        if cause is not None:
            operator = operators.get(result["operator_id"])
            reasons.append({"operator_id": operator.id, "name": operator.name, "cause": cause})
        if result.get("outcome") in ("timed_out", "unreachable"):
            repository.update_operator_party(request_id, result["operator_id"],
                                             {"state": result["outcome"]})

    path = "handover" if reasons else "joint"
    repository.append_event(request_id, "synergy.evaluated", actor="platform",
                            data={"path": path, "reasons": reasons})
    return {"path": path, "reasons": reasons}
