"""The works day: planning rounds with the operators, confirmation, and the works reports.

Each round proposes the earliest day that fits everyone (see `scheduling`). An operator that
rejects it gives its alternative days, which replace its availability for the next round.
After MAX_ROUNDS rounds, or when no day fits, the request is handed over.
"""

from datetime import date, datetime, time, timedelta
from typing import Any

from . import clock, operators, repository, scheduling, statuses, working_days
from .errors import RequestNotFoundError

MAX_ROUNDS = 3
# Working days an operator has to accept or reject a proposed day.
DAY_ANSWER_WORKING_DAYS = 3
# Working days after the works day by which every operator reports its works.
WORKS_REPORT_WORKING_DAYS = 5
END_OF_WORKING_DAY = time(18, 0)
MIN_TIMEOUT_SECONDS = 1


def _load(request_id: str) -> dict[str, Any]:
    request = repository.load_request(request_id)
    if request is None:
        raise RequestNotFoundError(request_id=request_id)
    return request


def _end_of(day: date) -> datetime:
    return datetime.combine(day, END_OF_WORKING_DAY, tzinfo=clock.BRUSSELS)


def _timeout(deadline: datetime, now: datetime) -> int:
    return max(MIN_TIMEOUT_SECONDS, int((deadline - now).total_seconds()))


def answer_deadline(operator_id: str, now: datetime) -> datetime:
    seconds = operators.get(operator_id).works_day_answer_seconds
    if seconds is not None:
        return now + timedelta(seconds=int(seconds))
    today = now.astimezone(clock.BRUSSELS).date()
    return _end_of(working_days.add_working_days(today, DAY_ANSWER_WORKING_DAYS))


def report_deadline(works_day: date, now: datetime) -> datetime:
    return max(_end_of(working_days.add_working_days(works_day, WORKS_REPORT_WORKING_DAYS)),
               now + timedelta(seconds=MIN_TIMEOUT_SECONDS))


def _operator_days(parties: list[dict[str, Any]]) -> dict[str, set[date]]:
    days = {}
    for party in parties:
        declared = party.get("available_days")
        if declared is None:
            declared = (party.get("quote") or {}).get("available_days", [])
        days[party["operator_id"]] = {date.fromisoformat(day) for day in declared}
    return days


def plan(request_id: str, round_number: int) -> dict[str, Any]:
    """Plan the works day of this round and return what the proposal Map state needs."""
    request = _load(request_id)
    parties = repository.load_operator_parties(request_id)
    planning = request.get("works_planning") or {}
    rejected = [date.fromisoformat(day) for day in planning.get("rejected_days", [])]
    period = request.get("preferred_period")
    preferred = (date.fromisoformat(period["from"]), date.fromisoformat(period["to"])) \
        if period else None
    now = clock.now()
    created = datetime.fromisoformat(request["created_at"].replace("Z", "+00:00"))

    result = scheduling.plan_works_day(
        requested_on=created.astimezone(clock.BRUSSELS).date(),
        today=now.astimezone(clock.BRUSSELS).date(),
        operator_days=_operator_days(parties),
        unavailable=[date.fromisoformat(day) for day in request.get("unavailable_days", [])],
        preferred=preferred, rejected=rejected)

    if not result.found:
        repository.append_event(request_id, "works_day.none", actor="platform",
                                data={"round": round_number})
        return {"found": False, "round": round_number}

    day = result.day.isoformat()  # type: ignore[union-attr]
    repository.update_request(request_id, {"works_planning": {
        "round": round_number, "proposed_day": day,
        "rejected_days": [item.isoformat() for item in rejected]}})
    repository.append_event(request_id, "works_day.planned", actor="platform",
                            data={"day": day, "round": round_number,
                                  "within_promise": result.within_promise})

    proposals = []
    for operator_id in request["operator_ids"]:
        deadline = answer_deadline(operator_id, now)
        proposals.append({"operator_id": operator_id, "day": day, "round": round_number,
                          "deadline": clock.isoformat(deadline),
                          "timeout_seconds": _timeout(deadline, now)})
    return {"found": True, "day": day, "round": round_number,
            "within_promise": result.within_promise, "operators": proposals}


def evaluate_answers(request_id: str, round_number: int,
                     answers: list[dict[str, Any]]) -> dict[str, Any]:
    """Judge the operators' answers to the proposed day: confirmed, replan or exhausted."""
    request = _load(request_id)
    planning = dict(request.get("works_planning") or {})
    outcomes = {answer["operator_id"]: answer.get("outcome") for answer in answers}

    if all(outcome == "accepted" for outcome in outcomes.values()):
        return {"result": "confirmed", "day": planning["proposed_day"]}

    for answer in answers:
        if answer.get("outcome") == "rejected" and answer.get("alternative_days"):
            repository.update_operator_party(request_id, answer["operator_id"],
                                             {"available_days": answer["alternative_days"]})
    planning["rejected_days"] = sorted({*planning.get("rejected_days", []),
                                        planning["proposed_day"]})
    repository.update_request(request_id, {"works_planning": planning})

    unreachable = [operator_id for operator_id, outcome in outcomes.items()
                   if outcome in ("timed_out", "unreachable")]
    if unreachable or round_number >= MAX_ROUNDS:
        reasons = [{"operator_id": operator_id, "name": operators.get(operator_id).name,
                    "cause": "no_common_day"} for operator_id in request["operator_ids"]]
        return {"result": "exhausted", "reasons": reasons}
    return {"result": "replan", "round": round_number + 1}


def confirm(request_id: str) -> dict[str, Any]:
    """Fix the proposed day as the works day; return each operator's report deadline."""
    request = _load(request_id)
    day = date.fromisoformat(request["works_planning"]["proposed_day"])
    now = clock.now()

    if request["status"] != "scheduled":
        repository.update_request(request_id, {"works_day": day.isoformat()})
        repository.change_status(request_id, "scheduled",
                                 statuses.allowed_predecessors("scheduled"), actor="platform",
                                 data={"works_day": day.isoformat()})
    deadline = report_deadline(day, now)
    return {"day": day.isoformat(), "operators": [
        {"operator_id": operator_id, "deadline": clock.isoformat(deadline),
         "timeout_seconds": _timeout(deadline, now)}
        for operator_id in request["operator_ids"]]}


def evaluate_works(request_id: str, reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Close the request when every operator completed its works; else hand it over."""
    request = _load(request_id)
    reasons = []
    for report in reports:
        outcome = report.get("outcome")
        if outcome != "completed":
            cause = {"failed": "works_failed", "unreachable": "unreachable"}.get(
                outcome, "works_timed_out")
            reasons.append({"operator_id": report["operator_id"],
                            "name": operators.get(report["operator_id"]).name,
                            "cause": cause})
    if reasons:
        return {"result": "handover", "reasons": reasons}

    if request["status"] != "completed":
        repository.change_status(request_id, "completed",
                                 statuses.allowed_predecessors("completed"), actor="platform")
    return {"result": "completed"}
