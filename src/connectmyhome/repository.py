"""Persistence of requests in the DynamoDB table that template.yaml defines.

Key layout (one table):
- PK "REQUEST#<request_id>", SK "REQUEST": the request, with its status on index ByStatus;
- same PK, SK "CONNECTION#<nn>": one item per requested connection;
- same PK, SK "OPERATOR#<operator_id>": one item per operator party, on index ByOperator;
- same PK, SK "EVENT#<timestamp>#<ulid>": the append-only event log, the request's timeline;
- PK "REFERENCE#<reference>", SK "REFERENCE": the request id of a human reference;
- PK "COUNTER#reference", SK "<year>": the last reference number allocated that year.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError
from ulid import ULID

from . import clock
from .config import settings

REQUEST_SK = "REQUEST"
# Statuses that close a request; a closed request leaves the index of open requests. A
# failed request stays there: it waits for an admin.
FINAL_STATUSES = ("completed", "handed_over", "declined", "expired", "cancelled", "rejected")
EVENT_PREFIX = "EVENT#"
MAX_REFERENCE_NUMBER = 999_999

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class ReferenceExhaustedError(RuntimeError):
    """All six-digit reference numbers of a year are taken."""


class ReferenceTakenError(RuntimeError):
    """Another request already holds the reference allocated for this one."""


class StatusConflictError(RuntimeError):
    """The request is not in a status from which the asked change is allowed."""

    def __init__(self, request_id: str, current: str | None, wanted: str) -> None:
        super().__init__(f"request {request_id} is {current}, cannot become {wanted}")
        self.current = current


@cache
def _client() -> Any:
    return boto3.client("dynamodb", config=Config(retries={"mode": "standard",
                                                           "max_attempts": 5}))


@cache
def _table() -> Any:
    return boto3.resource("dynamodb", config=Config(retries={"mode": "standard",
                                                             "max_attempts": 5})
                          ).Table(settings().table_name)


def table() -> Any:
    return _table()


def client() -> Any:
    return _client()


def typed(item: dict[str, Any]) -> dict[str, Any]:
    """Serialise an item to DynamoDB's typed JSON, for the low-level client."""
    return _typed(item)


def request_key(request_id: str) -> dict[str, str]:
    return {"PK": f"REQUEST#{request_id}", "SK": REQUEST_SK}


def _typed(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in item.items()}


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def new_request_id() -> str:
    return str(ULID())


def allocate_reference(year: int) -> str:
    """Allocate the next reference of `year`, e.g. "CMH-2026-000123", with an atomic counter."""
    answer = _table().update_item(
        Key={"PK": "COUNTER#reference", "SK": str(year)},
        UpdateExpression="ADD #value :one",
        ExpressionAttributeNames={"#value": "value"},
        ExpressionAttributeValues={":one": 1},
        ReturnValues="UPDATED_NEW",
    )
    number = int(answer["Attributes"]["value"])
    if number > MAX_REFERENCE_NUMBER:
        raise ReferenceExhaustedError(f"no reference number left in {year}")
    return f"CMH-{year}-{number:06d}"


def event_item(request_id: str, event_type: str, at: datetime, actor: str,
               data: dict[str, Any] | None = None) -> dict[str, Any]:
    timestamp = clock.isoformat(at)
    return {
        "PK": f"REQUEST#{request_id}",
        "SK": f"{EVENT_PREFIX}{timestamp}#{ULID()}",
        "type": event_type,
        "at": timestamp,
        "actor": actor,
        "data": data or {},
    }


def status_index_keys(status: str, created_at: str, request_id: str) -> dict[str, str]:
    return {"GSI1PK": f"STATUS#{status}", "GSI1SK": f"{created_at}#{request_id}"}


def creation_index_keys(created_at: str, request_id: str) -> dict[str, str]:
    """Put a request on index ByCreation, which lists every request newest first."""
    return {"GSI5PK": "REQUEST", "GSI5SK": f"{created_at}#{request_id}"}


def due_index_keys(deadline: str, request_id: str) -> dict[str, str]:
    """Put an open request on index ByDueDate, by its six-week deadline."""
    return {"GSI4PK": "OPEN", "GSI4SK": f"{deadline}#{request_id}"}


@dataclass(frozen=True)
class NewRequest:
    """Every item written when a request is filed, in one transaction."""

    request: dict[str, Any]
    connections: list[dict[str, Any]]
    operators: list[dict[str, Any]]
    event: dict[str, Any]


def create_request(new: NewRequest) -> None:
    """Write the request, its connections, operator parties, first event and reference at once."""
    request_id = new.request["request_id"]
    reference = new.request["reference"]
    not_exists = "attribute_not_exists(PK)"

    writes: list[dict[str, Any]] = [
        {"Put": {"TableName": settings().table_name, "Item": _typed(new.request),
                 "ConditionExpression": not_exists}},
        {"Put": {"TableName": settings().table_name,
                 "Item": _typed({"PK": f"REFERENCE#{reference}", "SK": "REFERENCE",
                                 "request_id": request_id}),
                 "ConditionExpression": not_exists}},
        {"Put": {"TableName": settings().table_name, "Item": _typed(new.event),
                 "ConditionExpression": not_exists}},
    ]
    for item in [*new.connections, *new.operators]:
        writes.append({"Put": {"TableName": settings().table_name, "Item": _typed(item),
                               "ConditionExpression": not_exists}})
    try:
        _client().transact_write_items(TransactItems=writes)
    except ClientError as error:
        reasons = error.response.get("CancellationReasons") or []
        if len(reasons) > 1 and reasons[1].get("Code") == "ConditionalCheckFailed":
            raise ReferenceTakenError(reference) from error
        raise


def load_request(request_id: str) -> dict[str, Any] | None:
    answer = _table().get_item(Key=request_key(request_id), ConsistentRead=True)
    return answer.get("Item")


def request_id_for_reference(reference: str) -> str | None:
    answer = _table().get_item(Key={"PK": f"REFERENCE#{reference}", "SK": "REFERENCE"})
    item = answer.get("Item")
    return item["request_id"] if item else None


def _query_prefix(request_id: str, prefix: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    arguments: dict[str, Any] = {
        "KeyConditionExpression": Key("PK").eq(f"REQUEST#{request_id}")
        & Key("SK").begins_with(prefix),
        "ConsistentRead": True,
    }
    while True:
        answer = _table().query(**arguments)
        items.extend(answer["Items"])
        if "LastEvaluatedKey" not in answer:
            return items
        arguments["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def load_events(request_id: str) -> list[dict[str, Any]]:
    """Return the request's event log, oldest first."""
    return _query_prefix(request_id, EVENT_PREFIX)


def load_connections(request_id: str) -> list[dict[str, Any]]:
    return _query_prefix(request_id, "CONNECTION#")


def append_event(request_id: str, event_type: str, actor: str,
                 data: dict[str, Any] | None = None) -> dict[str, Any]:
    item = event_item(request_id, event_type, clock.now(), actor, data)
    _table().put_item(Item=item, ConditionExpression="attribute_not_exists(PK)")
    return item


def change_status(request_id: str, status: str, allowed_from: Iterable[str], actor: str,
                  data: dict[str, Any] | None = None) -> bool:
    """Move the request to `status` and log it, in one transaction.

    Returns False, writing nothing, when the request already has that status, so that a
    retried step has no second effect. Raises StatusConflictError from any other status
    outside `allowed_from`.
    """
    request = load_request(request_id)
    if request is None:
        raise StatusConflictError(request_id, None, status)
    if request["status"] == status:
        return False

    now = clock.now()
    allowed = sorted(set(allowed_from))
    placeholders = [f":from{index}" for index in range(len(allowed))]
    values: dict[str, Any] = dict(zip(placeholders, allowed, strict=True))
    values.update({":status": status, ":updated": clock.isoformat(now),
                   ":gsi1pk": f"STATUS#{status}"})
    update = {
        "TableName": settings().table_name,
        "Key": _typed(request_key(request_id)),
        "UpdateExpression": "SET #status = :status, updated_at = :updated, GSI1PK = :gsi1pk"
                            + (" REMOVE GSI4PK, GSI4SK" if status in FINAL_STATUSES else ""),
        "ConditionExpression": f"#status IN ({', '.join(placeholders)})",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": _typed(values),
    }
    event = event_item(request_id, "status.changed", now, actor,
                       {"from": request["status"], "to": status, **(data or {})})
    try:
        _client().transact_write_items(TransactItems=[
            {"Update": update},
            {"Put": {"TableName": settings().table_name, "Item": _typed(event),
                     "ConditionExpression": "attribute_not_exists(PK)"}},
        ])
    except ClientError as error:
        if error.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        current = load_request(request_id)
        if current is not None and current["status"] == status:
            return False
        raise StatusConflictError(request_id, current and current["status"], status) from error
    return True


def set_case_manager(request_id: str, manager: dict[str, str]) -> None:
    """Record the request's case manager (on index ByCaseManager) and log it."""
    now = clock.now()
    request = load_request(request_id)
    created = request["created_at"] if request else clock.isoformat(now)
    event = event_item(request_id, "case_manager.assigned", now, "platform",
                       {"case_manager_id": manager["id"], "name": manager["name"]})
    _client().transact_write_items(TransactItems=[
        {"Update": {
            "TableName": settings().table_name,
            "Key": _typed(request_key(request_id)),
            "UpdateExpression": "SET case_manager = :manager, GSI3PK = :gsi3pk, GSI3SK = :gsi3sk",
            "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(case_manager)",
            "ExpressionAttributeValues": _typed({":manager": manager,
                                                 ":gsi3pk": f"CASE_MANAGER#{manager['id']}",
                                                 ":gsi3sk": f"{created}#{request_id}"}),
        }},
        {"Put": {"TableName": settings().table_name, "Item": _typed(event),
                 "ConditionExpression": "attribute_not_exists(PK)"}},
    ])


def update_request(request_id: str, values: dict[str, Any]) -> None:
    """Set top-level attributes of the request item (not its status: use change_status)."""
    _set_attributes(request_key(request_id), values)


def load_operator_parties(request_id: str) -> list[dict[str, Any]]:
    return _query_prefix(request_id, "OPERATOR#")


def update_operator_party(request_id: str, operator_id: str, values: dict[str, Any]) -> None:
    _set_attributes({"PK": f"REQUEST#{request_id}", "SK": f"OPERATOR#{operator_id}"}, values)


def _set_attributes(key: dict[str, str], values: dict[str, Any]) -> None:
    names = {f"#a{index}": name for index, name in enumerate(values)}
    placeholders = {f":v{index}": value for index, value in enumerate(values.values())}
    assignments = ", ".join(f"#a{index} = :v{index}" for index in range(len(values)))
    _table().update_item(Key=key, UpdateExpression=f"SET {assignments}",
                         ConditionExpression="attribute_exists(PK)",
                         ExpressionAttributeNames=names,
                         ExpressionAttributeValues=placeholders)


def load_task_tokens(request_id: str) -> list[dict[str, Any]]:
    return _query_prefix(request_id, "TASK#")
