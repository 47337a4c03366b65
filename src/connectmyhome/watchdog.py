"""Keeping the six-week promise: remind late parties, escalate to the case manager.

Runs on a schedule. Each waiting step is on index ByDueDate under "REMIND" until its
follow-ups are done: when half its wait has passed, the operator gets its event again (or,
for the site survey, the case manager an email); at four fifths, the case manager gets an
escalation email. Every open request whose six-week deadline is a week away or past, and
whose works day is not fixed yet, is escalated once too.
"""

from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key

from . import clock, notifications, reminders, repository, task_tokens
from .errors import DomainError

# An open request without a works day is at risk this long before its deadline.
AT_RISK_BEFORE_DEADLINE = timedelta(days=7)
NOT_AT_RISK = ("scheduled", "completed")


def _due(partition: str, until: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    arguments: dict[str, Any] = {
        "IndexName": "ByDueDate",
        "KeyConditionExpression": Key("GSI4PK").eq(partition) & Key("GSI4SK").lte(until)}
    while True:
        answer = repository.table().query(**arguments)
        items.extend(answer["Items"])
        if "LastEvaluatedKey" not in answer:
            return items
        arguments["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def _parse(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


def escalate(request_id: str, reason: str, details: dict[str, Any]) -> bool:
    """Email the case manager about a request at risk, once per reason and step."""
    request = repository.load_request(request_id)
    if request is None or not request.get("case_manager"):
        return False
    notifications.send(request_id, "escalation", f"escalation-{reason}-{details.get('step')}"
                       f"-{details.get('party')}", extra={"reason": reason, **details})
    repository.update_request(request_id, {"escalated_at": clock.isoformat(clock.now())})
    repository.append_event(request_id, "deadline.escalated", actor="platform",
                            data={"reason": reason, **details})
    return True


def _follow_up(item: dict[str, Any], now: datetime) -> str:
    """Remind or escalate one waiting step; return what was done."""
    key = {"PK": item["PK"], "SK": item["SK"]}
    if item["state"] != "waiting":
        repository.table().update_item(Key=key, UpdateExpression="REMOVE GSI4PK, GSI4SK")
        return "dropped"

    request_id, step, party = item["request_id"], item["step"], item["party"]
    details = {"step": step, "party": party, "deadline": item.get("deadline")}
    if item.get("follow_up") == "remind":
        if party == "case_manager":
            escalate(request_id, "survey_waiting", details)
        else:
            try:
                reminders.remind(request_id, party, by="watchdog")
            except DomainError:
                pass
        created, deadline = _parse(item["created_at"]), _parse(item["deadline"])
        escalate_at = created + (deadline - created) * task_tokens.ESCALATE_AT_SHARE
        repository.table().update_item(
            Key=key, UpdateExpression="SET GSI4SK = :sk, follow_up = :next",
            ExpressionAttributeValues={
                ":sk": f"{clock.isoformat(escalate_at)}#{request_id}#{step}#{party}",
                ":next": "escalate"})
        return "reminded"

    escalate(request_id, "party_late", details)
    repository.table().update_item(Key=key, UpdateExpression="REMOVE GSI4PK, GSI4SK")
    return "escalated"


def run(now: datetime | None = None) -> dict[str, int]:
    """Do every follow-up that has fallen due; return how many of each kind."""
    current = now or clock.now()
    counts = {"reminded": 0, "escalated": 0, "dropped": 0, "at_risk": 0}
    for item in _due("REMIND", clock.isoformat(current)):
        counts[_follow_up(item, current)] += 1

    horizon = (current.astimezone(clock.BRUSSELS) + AT_RISK_BEFORE_DEADLINE).date().isoformat()
    for request in _due("OPEN", horizon + "~"):
        if request["status"] in NOT_AT_RISK or request.get("escalated_at"):
            continue
        if escalate(request["request_id"], "deadline_at_risk",
                    {"deadline": request["deadline"]}):
            counts["at_risk"] += 1
    return counts
