"""Step Functions task tokens kept in DynamoDB, never sent outside AWS.

A waiting step stores its token under (request, step, party), e.g. ("quote", "ores") or
("site_survey", "case_manager"). The answer that releases it consumes the token with a
conditional write, in the same transaction as the record of its webhook-id or request, so a
late, repeated or forged answer cannot release a step twice or release another's step.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from . import clock, repository
from .config import settings

# Steps whose waiting party is reminded, then escalated to the case manager, by the watchdog:
# a reminder when half the wait has passed, an escalation at four fifths.
REMINDED_STEPS = ("site_survey", "quote", "works_day")
REMIND_AT_SHARE = 0.5
ESCALATE_AT_SHARE = 0.8
# How long a released or expired token item stays before DynamoDB's TTL removes it.
RETENTION_AFTER_DEADLINE = timedelta(days=30)
DELIVERY_RETENTION = timedelta(days=30)


class StepNotWaitingError(Exception):
    """No step waits for this answer: never asked, already answered, or past its deadline."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DuplicateDeliveryError(Exception):
    """This delivery id was already processed; it has no second effect."""


@dataclass(frozen=True)
class WaitingStep:
    request_id: str
    step: str
    party: str
    token: str
    deadline: str | None
    state: str


@cache
def _states() -> Any:
    return boto3.client("stepfunctions", config=Config(retries={"mode": "standard",
                                                                "max_attempts": 5}))


def _key(request_id: str, step: str, party: str) -> dict[str, str]:
    return {"PK": f"REQUEST#{request_id}", "SK": f"TASK#{step}#{party}"}


def store(request_id: str, step: str, party: str, token: str,
          deadline: datetime | None) -> None:
    """Keep the token of a step that now waits; a retried step replaces its older token."""
    now = clock.now()
    expires = (deadline or now + timedelta(days=90)) + RETENTION_AFTER_DEADLINE
    reminder_keys = {}
    if deadline is not None and step in REMINDED_STEPS:
        remind_at = now + (deadline - now) * REMIND_AT_SHARE
        reminder_keys = {"GSI4PK": "REMIND",
                         "GSI4SK": f"{clock.isoformat(remind_at)}#{request_id}#{step}#{party}",
                         "follow_up": "remind"}
    item = {
        **reminder_keys,
        **_key(request_id, step, party),
        "request_id": request_id,
        "step": step,
        "party": party,
        "token": token,
        "state": "waiting",
        "created_at": clock.isoformat(now),
        "deadline": clock.isoformat(deadline) if deadline else None,
        "expires_at": int(expires.timestamp()),
    }
    repository.table().put_item(Item=item)


def find(request_id: str, step: str, party: str) -> WaitingStep | None:
    item = repository.table().get_item(Key=_key(request_id, step, party),
                                       ConsistentRead=True).get("Item")
    if item is None:
        return None
    return WaitingStep(request_id=request_id, step=step, party=party, token=item["token"],
                       deadline=item.get("deadline"), state=item["state"])


def delivery_seen(party: str, delivery_id: str) -> bool:
    key = {"PK": f"DELIVERY#{party}", "SK": delivery_id}
    return "Item" in repository.table().get_item(Key=key, ConsistentRead=True)


def release(request_id: str, step: str, party: str, delivery_id: str,
            output: dict[str, Any], now: datetime | None = None,
            party_values: dict[str, Any] | None = None) -> None:
    """Consume the waiting step's token and resume the execution with `output`.

    `party_values` are set on the party's item (OPERATOR#party) in the same transaction.

    Raises DuplicateDeliveryError for a delivery id already processed, StepNotWaitingError
    when no step waits (never asked, answered, past its deadline, or timed out in Step
    Functions).
    """
    current = now or clock.now()
    waiting = find(request_id, step, party)
    if waiting is None:
        raise StepNotWaitingError("not_requested")
    if waiting.state != "waiting":
        raise StepNotWaitingError("already_answered")
    if waiting.deadline and clock.isoformat(current) > waiting.deadline:
        raise StepNotWaitingError("deadline_passed")

    _consume(waiting, delivery_id, current, party_values or {})
    try:
        _states().send_task_success(taskToken=waiting.token, output=json.dumps(output))
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code not in ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist"):
            raise
        _mark(waiting, "expired")
        raise StepNotWaitingError("timed_out") from error


def _consume(waiting: WaitingStep, delivery_id: str, now: datetime,
             party_values: dict[str, Any]) -> None:
    table = settings().table_name
    serialise = repository.typed
    delivery = {
        "PK": f"DELIVERY#{waiting.party}",
        "SK": delivery_id,
        "request_id": waiting.request_id,
        "step": waiting.step,
        "received_at": clock.isoformat(now),
        "expires_at": int((now + DELIVERY_RETENTION).timestamp()),
    }
    try:
        repository.client().transact_write_items(TransactItems=[
            {"Update": {
                "TableName": table,
                "Key": serialise(_key(waiting.request_id, waiting.step, waiting.party)),
                "UpdateExpression": "SET #state = :released, released_at = :now, "
                                    "delivery_id = :delivery",
                "ConditionExpression": "#state = :waiting AND #token = :token",
                "ExpressionAttributeNames": {"#state": "state", "#token": "token"},
                "ExpressionAttributeValues": serialise({
                    ":released": "released", ":waiting": "waiting", ":token": waiting.token,
                    ":now": clock.isoformat(now), ":delivery": delivery_id}),
            }},
            {"Put": {"TableName": table, "Item": serialise(delivery),
                     "ConditionExpression": "attribute_not_exists(PK)"}},
            *_party_update(table, waiting, party_values),
        ])
    except ClientError as error:
        if error.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = error.response.get("CancellationReasons") or [{}, {}]
        if reasons[1].get("Code") == "ConditionalCheckFailed":
            raise DuplicateDeliveryError(delivery_id) from error
        raise StepNotWaitingError("already_answered") from error


def _party_update(table: str, waiting: WaitingStep,
                  values: dict[str, Any]) -> list[dict[str, Any]]:
    if not values:
        return []
    names = {f"#a{index}": name for index, name in enumerate(values)}
    placeholders = {f":v{index}": value for index, value in enumerate(values.values())}
    return [{"Update": {
        "TableName": table,
        "Key": repository.typed({"PK": f"REQUEST#{waiting.request_id}",
                                 "SK": f"OPERATOR#{waiting.party}"}),
        "UpdateExpression": "SET " + ", ".join(f"#a{index} = :v{index}"
                                               for index in range(len(values))),
        "ConditionExpression": "attribute_exists(PK)",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": repository.typed(placeholders),
    }}]


def record_delivery(party: str, delivery_id: str, request_id: str) -> bool:
    """Record a delivery id that releases no step; False when it was already recorded."""
    now = clock.now()
    try:
        repository.table().put_item(
            Item={"PK": f"DELIVERY#{party}", "SK": delivery_id, "request_id": request_id,
                  "received_at": clock.isoformat(now),
                  "expires_at": int((now + DELIVERY_RETENTION).timestamp())},
            ConditionExpression="attribute_not_exists(PK)")
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _mark(waiting: WaitingStep, state: str) -> None:
    repository.table().update_item(
        Key=_key(waiting.request_id, waiting.step, waiting.party),
        UpdateExpression="SET #state = :state",
        ExpressionAttributeNames={"#state": "state"},
        ExpressionAttributeValues={":state": state})
