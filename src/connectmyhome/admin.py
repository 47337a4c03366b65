"""What case managers and admins see and do: listings, one request in full, actions.

Listings read one index each (no Scan): ByCaseManager, ByOperator, ByStatus, ByDueDate for
open and overdue requests, or ByCreation for all; the other filters apply to the items that
index returns.
"""

import base64
import json
from datetime import datetime
from functools import cache
from typing import Any

import boto3
from boto3.dynamodb.conditions import Attr, Key
from botocore.config import Config
from botocore.exceptions import ClientError

from . import clock, i18n, repository, statuses
from .config import settings
from .errors import ActionNotAllowedError, DomainError, RequestNotFoundError

MAX_PAGE = 100


class InvalidCursorError(DomainError):
    code = "invalid_cursor"


@cache
def _states() -> Any:
    return boto3.client("stepfunctions", config=Config(retries={"mode": "standard",
                                                                "max_attempts": 5}))


def _encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, default=str).encode()).decode()


def _decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidCursorError() from error


def summary(request: dict[str, Any], language: str, today: str) -> dict[str, Any]:
    manager = request.get("case_manager") or {}
    open_request = request["status"] not in repository.FINAL_STATUSES
    return {
        "request_id": request["request_id"],
        "reference": request["reference"],
        "status": request["status"],
        "status_label": i18n.text("statuses", request["status"], language),
        "created_at": request["created_at"],
        "deadline": request["deadline"],
        "overdue": open_request and request["deadline"] < today,
        "escalated": bool(request.get("escalated_at")),
        "case_manager": manager.get("name"),
        "case_manager_id": manager.get("id"),
        "operator_ids": request.get("operator_ids", []),
        "municipality": request["site"]["municipality"],
        "postal_code": request["site"]["postal_code"],
    }


def list_requests(language: str, status: str | None = None, operator_id: str | None = None,
                  case_manager_id: str | None = None, overdue: bool = False, limit: int = 25,
                  cursor: str | None = None, open_only: bool = False) -> dict[str, Any]:
    """Return one page of requests, newest first (open and overdue: earliest deadline first)."""
    today = clock.today_in_brussels().isoformat()
    arguments = _listing_query(today, status, operator_id, case_manager_id, overdue, open_only)
    arguments["Limit"] = max(1, min(limit, MAX_PAGE))

    start = _decode_cursor(cursor)
    if start:
        arguments["ExclusiveStartKey"] = start
    answer = repository.table().query(**arguments)

    items = answer["Items"]
    if arguments["IndexName"] == "ByOperator":
        items = _requests_of_parties(items)
        if status:
            items = [item for item in items if item["status"] == status]
        if overdue:
            items = [item for item in items
                     if item["deadline"] < today
                     and item["status"] not in repository.FINAL_STATUSES]
    return {"items": [summary(item, language, today) for item in items],
            "next_cursor": _encode_cursor(answer.get("LastEvaluatedKey"))}


def _listing_query(today: str, status: str | None, operator_id: str | None,
                   case_manager_id: str | None, overdue: bool,
                   open_only: bool = False) -> dict[str, Any]:
    """Choose the index of a listing, and the filters for what that index does not key."""
    filters = []
    if status and (case_manager_id or operator_id):
        filters.append(Attr("status").eq(status))
    if operator_id and case_manager_id:
        filters.append(Attr("operator_ids").contains(operator_id))

    if case_manager_id:
        arguments: dict[str, Any] = {
            "IndexName": "ByCaseManager", "ScanIndexForward": False,
            "KeyConditionExpression": Key("GSI3PK").eq(f"CASE_MANAGER#{case_manager_id}")}
    elif operator_id:
        arguments = {"IndexName": "ByOperator", "ScanIndexForward": False,
                     "KeyConditionExpression": Key("GSI2PK").eq(f"OPERATOR#{operator_id}")}
    elif status:
        arguments = {"IndexName": "ByStatus", "ScanIndexForward": False,
                     "KeyConditionExpression": Key("GSI1PK").eq(f"STATUS#{status}")}
    elif overdue or open_only:
        condition = Key("GSI4PK").eq("OPEN")
        if overdue:
            condition = condition & Key("GSI4SK").lt(today)
        arguments = {"IndexName": "ByDueDate", "ScanIndexForward": True,
                     "KeyConditionExpression": condition}
    else:
        arguments = {"IndexName": "ByCreation", "ScanIndexForward": False,
                     "KeyConditionExpression": Key("GSI5PK").eq("REQUEST")}

    if overdue and arguments["IndexName"] != "ByDueDate":
        filters.append(Attr("deadline").lt(today) & Attr("GSI4PK").exists())
    # Items of ByOperator are operator parties: their filters apply to the requests read next.
    if filters and arguments["IndexName"] != "ByOperator":
        combined = filters[0]
        for item in filters[1:]:
            combined = combined & item
        arguments["FilterExpression"] = combined
    return arguments


def _requests_of_parties(parties: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = [party["request_id"] for party in parties]
    if not ids:
        return []
    keys = [repository.request_key(request_id) for request_id in ids]
    found: dict[str, dict[str, Any]] = {}
    resource = boto3.resource("dynamodb")
    pending: dict[str, Any] = {settings().table_name: {"Keys": keys}}
    while pending:
        answer = resource.batch_get_item(RequestItems=pending)
        for item in answer["Responses"].get(settings().table_name, []):
            found[item["request_id"]] = item
        pending = answer.get("UnprocessedKeys") or {}
    return [found[request_id] for request_id in ids if request_id in found]


def executions_of(request: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the request's executions, oldest first: its reference and its restarts."""
    executions = []
    arn = settings().state_machine_arn
    prefix = arn.replace(":stateMachine:", ":execution:") + ":"
    for name in [request["reference"], *request.get("restarts", [])]:
        try:
            executions.append(_states().describe_execution(executionArn=prefix + name))
        except _states().exceptions.ExecutionDoesNotExist:
            continue
    return executions


def _history(execution_arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    arguments = {"executionArn": execution_arn, "maxResults": 1000}
    while True:
        answer = _states().get_execution_history(**arguments)
        events.extend(answer["events"])
        if not answer.get("nextToken"):
            return events
        arguments["nextToken"] = answer["nextToken"]


def _isoformat(value: Any) -> str:
    return clock.isoformat(value) if isinstance(value, datetime) else str(value)


def show_request(request_id: str, language: str) -> dict[str, Any]:
    """Return the request, each operator's state and one merged, dated timeline."""
    request = repository.load_request(request_id)
    if request is None:
        raise RequestNotFoundError(request_id=request_id)

    timeline = [{"at": event["at"], "source": "request", "type": event["type"],
                 "actor": event["actor"], "data": event.get("data") or {}}
                for event in repository.load_events(request_id)]
    executions = executions_of(request)
    open_states: dict[str, str] = {}
    for execution in executions:
        for event in _history(execution["executionArn"]):
            details = event.get("stateEnteredEventDetails") or event.get(
                "stateExitedEventDetails")
            if details is None:
                continue
            at = _isoformat(event["timestamp"])
            entered = "stateEnteredEventDetails" in event
            timeline.append({"at": at, "source": "execution",
                             "type": "state.entered" if entered else "state.exited",
                             "actor": "state_machine",
                             "data": {"state": details["name"],
                                      "execution": execution["name"]}})
            if entered:
                open_states[details["name"]] = at
            else:
                open_states.pop(details["name"], None)
    timeline.sort(key=lambda entry: entry["at"])

    # A token outlives its step when the execution ends without an answer (a time-out, a
    # hand-over), so only a running execution waits on anyone.
    running = any(execution["status"] == "RUNNING" for execution in executions)
    waiting = [{"step": item["step"], "party": item["party"], "since": item["created_at"],
                "deadline": item.get("deadline")}
               for item in repository.load_task_tokens(request_id)
               if item["state"] == "waiting" and running]
    today = clock.today_in_brussels().isoformat()
    return {
        "request": {**summary(request, language, today),
                    "applicant": request["applicant"], "site": request["site"],
                    "project": request["project"], "offer": request.get("offer"),
                    "works_day": request.get("works_day"), "survey": request.get("survey"),
                    "decision": request.get("decision"),
                    "handover_reasons": request.get("handover_reasons")},
        "operators": [{"operator_id": party["operator_id"], "state": party.get("state"),
                       "quote_deadline": party.get("quote_deadline"),
                       "reminders": int(party.get("reminders", 0))}
                      for party in repository.load_operator_parties(request_id)],
        "executions": [{"name": execution["name"], "status": execution["status"],
                        "started_at": _isoformat(execution["startDate"]),
                        "stopped_at": _isoformat(execution["stopDate"])
                        if execution.get("stopDate") else None}
                       for execution in executions],
        "waiting_on": waiting,
        "current_states": [{"state": name, "since": since}
                           for name, since in sorted(open_states.items(),
                                                     key=lambda item: item[1])],
        "timeline": timeline,
    }


def cancel(request_id: str, reason: str | None, by: str) -> dict[str, Any]:
    """Cancel an open request: stop its execution; the caller tells customer and operators."""
    request = repository.load_request(request_id)
    if request is None:
        raise RequestNotFoundError(request_id=request_id)
    if request["status"] in repository.FINAL_STATUSES:
        raise ActionNotAllowedError(reason=f"status_{request['status']}")

    for execution in executions_of(request):
        if execution["status"] == "RUNNING":
            _states().stop_execution(executionArn=execution["executionArn"],
                                     error="RequestCancelled", cause=f"cancelled by {by}")
    _release_waiting_steps(request_id)
    repository.update_request(request_id, {"cancellation": {"reason": reason, "by": by}})
    repository.change_status(request_id, "cancelled", statuses.allowed_predecessors("cancelled"),
                             actor=f"admin:{by}", data={"reason": reason})
    return repository.load_request(request_id) or request


def _release_waiting_steps(request_id: str) -> None:
    """Fail every waiting step's token, so that no late answer finds one.

    After StopExecution AWS rejects these calls, which is harmless; an emulator that keeps
    a stopped execution's callback waiting ends it this way.
    """
    for item in repository.load_task_tokens(request_id):
        if item["state"] != "waiting":
            continue
        try:
            _states().send_task_failure(taskToken=item["token"], error="RequestCancelled")
        except ClientError as error:
            if error.response["Error"]["Code"] not in ("TaskTimedOut", "InvalidToken",
                                                       "TaskDoesNotExist"):
                raise
        repository.table().update_item(
            Key={"PK": item["PK"], "SK": item["SK"]}, UpdateExpression="SET #state = :state",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":state": "cancelled"})


def restart(request_id: str, by: str) -> str:
    """Start the request's workflow again after a failure; return the new execution's name.

    Every step is idempotent on the request and step: emails already sent and webhooks
    already delivered are not repeated, and statuses already reached stay.
    """
    request = repository.load_request(request_id)
    if request is None:
        raise RequestNotFoundError(request_id=request_id)
    executions = executions_of(request)
    if any(execution["status"] == "RUNNING" for execution in executions):
        raise ActionNotAllowedError(reason="execution_running")
    if request["status"] not in ("failed", "submitted"):
        raise ActionNotAllowedError(reason=f"status_{request['status']}")

    if request["status"] == "failed":
        failures = [event for event in repository.load_events(request_id)
                    if event["type"] == "status.changed" and event["data"].get("to") == "failed"]
        previous = failures[-1]["data"]["from"] if failures else "submitted"
        repository.change_status(request_id, previous, ("failed",), actor=f"admin:{by}",
                                 data={"restart": True})

    name = f"{request['reference']}-r{len(request.get('restarts', [])) + 1}"
    repository.update_request(request_id, {"restarts": [*request.get("restarts", []), name]})
    _states().start_execution(stateMachineArn=settings().state_machine_arn, name=name,
                              input=json.dumps({"request_id": request_id,
                                                "reference": request["reference"]}))
    repository.append_event(request_id, "workflow.restarted", actor=f"admin:{by}",
                            data={"execution": name})
    return name


# The event that an operator's waiting step was asked with, to send again as a reminder.
STEP_EVENTS = {"quote": "quote.requested", "works_day": "works_day.proposed",
               "works": "works_day.confirmed"}


def pending_step(request_id: str, operator_id: str) -> dict[str, Any]:
    """Return the operator's waiting step; ActionNotAllowedError when none waits."""
    for item in repository.load_task_tokens(request_id):
        if item["party"] == operator_id and item["state"] == "waiting":
            return item
    raise ActionNotAllowedError(reason="nothing_pending")
