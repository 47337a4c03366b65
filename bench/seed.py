"""Fills the requests table with stored requests copied from real ones.

The copies are made from the items of requests that went through the platform (snapshots
taken waiting for the survey, waiting for the customer's decision, and completed), with a new
request id and reference in every attribute, so that the table holds what thousands of real
requests at those stages would hold: their index entries by status, operator, case manager,
due date and creation date included. The copies are written straight into moto's table, not
through the API: seeding is set-up, not part of what is measured.
"""

import json
import threading
from dataclasses import dataclass
from typing import Any

from ulid import ULID

from cmh import serialise
from cmh.platform import ACCOUNT_ID, REGION

from . import meter
from .workload import REQUESTS_TABLE


@dataclass(frozen=True)
class Snapshot:
    """Every item of one request at one stage, in DynamoDB's wire format."""

    request_id: str
    reference: str
    stage: str
    items: tuple[str, ...]  # each item as JSON text, ready for the id to be replaced


def _table() -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[ACCOUNT_ID][REGION].get_table(REQUESTS_TABLE)


def snapshot(request_id: str, reference: str, stage: str) -> Snapshot:
    """Copy the items of a request (its own partition and its reference item)."""
    partitions = {f"REQUEST#{request_id}", f"REFERENCE#{reference}"}
    with serialise._lock:
        items = [item.to_json()["Attributes"] for item in _table().all_items()
                 if item.hash_key.value in partitions]
    return Snapshot(request_id, reference, stage, tuple(json.dumps(item) for item in items))


def stored_bytes(source: Snapshot, template: dict[str, Any]) -> int:
    """Return the storage that DynamoDB bills for one request's items, indexes included."""
    indexes = meter.index_specs(template)[REQUESTS_TABLE]
    return meter.storage_bytes([json.loads(text) for text in source.items], indexes)


def stored_requests() -> int:
    with serialise._lock:
        return sum(1 for key in _table().items if str(key.value).startswith("REQUEST#"))


def copy_requests(snapshots: list[Snapshot], count: int, first_number: int,
                  stop: threading.Event | None = None) -> int:
    """Store `count` copies of the snapshots in turn; return how many items were written.

    The references of the copies are CMH-2025-<number>, from `first_number` on, so that they
    never meet the references the platform allocates this year.
    """
    table = _table()
    written = 0
    for number in range(first_number, first_number + count):
        if stop is not None and stop.is_set():
            break
        source = snapshots[number % len(snapshots)]
        request_id = str(ULID())
        reference = f"CMH-2025-{number:06d}"
        with serialise._lock:
            for text in source.items:
                copied = text.replace(source.request_id, request_id).replace(
                    source.reference, reference)
                table.put_item(json.loads(copied), overwrite=True)
                written += 1
    return written
