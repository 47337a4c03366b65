"""Counts what a piece of work costs on the local platform: AWS calls, DynamoDB request units,
Lambda invocations and their durations, HTTP API requests and emails.

Every AWS call that moto serves passes through `BotocoreStubber.process_request`; the meter
wraps it. DynamoDB request units are computed with DynamoDB's own rules from the sizes of the
items read and written (moto reports a fixed figure whatever the size):

- reads: one unit per 4 KB read, half for an eventually consistent read. A query is
  charged on the sum of the sizes of the items it reads, rounded up once;
- writes: one unit per 1 KB of the larger of the item before and after the write;
- transactions: twice the units of the same reads and writes; a ConditionCheck of a
  transaction is charged as a transactional read;
- global secondary indexes: each write that adds, changes or removes an item of an index
  costs one more write on that index, sized on the projected item plus 100 bytes; a write
  that changes the index key removes the old entry and adds the new one (two writes).

The local runtime keeps secrets and the operator registry in module-level caches shared by
every function, as one warm Lambda instance of each function would; a fleet of cold instances
reads them more often.
"""

import json
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from moto.core.botocore_stubber import BotocoreStubber

from cmh import lambda_hook
from cmh.platform import ACCOUNT_ID, REGION, Platform

READ_UNIT_BYTES = 4096
WRITE_UNIT_BYTES = 1024
INDEX_ENTRY_OVERHEAD_BYTES = 100


@dataclass(frozen=True)
class IndexSpec:
    name: str
    hash_key: str
    range_key: str | None
    projection: str
    included: tuple[str, ...] = ()


@dataclass
class Usage:
    """The cost of the metered work, summed over every call seen while metering."""

    aws_calls: Counter[str] = field(default_factory=Counter)
    # The same calls by the function that made them ("-" outside any function).
    aws_calls_by_function: Counter[tuple[str, str]] = field(default_factory=Counter)
    read_units: float = 0.0
    write_units: float = 0.0
    index_write_units: float = 0.0
    lambda_invocations: Counter[str] = field(default_factory=Counter)
    lambda_milliseconds: Counter[str] = field(default_factory=Counter)
    http_requests: Counter[str] = field(default_factory=Counter)
    emails: int = 0
    email_bytes: int = 0
    # The body of each TransactWriteItems call, to replay the same write raw.
    transactions: list[dict[str, Any]] = field(default_factory=list)

    def dynamodb_calls(self) -> dict[str, int]:
        return {name.split(":", 1)[1]: count for name, count in sorted(self.aws_calls.items())
                if name.startswith("dynamodb:")}

    def summary(self) -> dict[str, Any]:
        return {
            "lambda_invocations": sum(self.lambda_invocations.values()),
            "lambda_invocations_by_function": dict(sorted(self.lambda_invocations.items())),
            "lambda_milliseconds_by_function": {
                name: round(value, 1) for name, value in sorted(self.lambda_milliseconds.items())},
            "http_api_requests": sum(self.http_requests.values()),
            "dynamodb": {
                "calls": self.dynamodb_calls(),
                "read_request_units": round(self.read_units, 1),
                "write_request_units": round(self.write_units + self.index_write_units, 1),
                "table_write_request_units": round(self.write_units, 1),
                "index_write_request_units": round(self.index_write_units, 1),
            },
            "emails": self.emails,
            "aws_calls": dict(sorted(self.aws_calls.items())),
        }


class Meter:
    """Meters the local platform's AWS calls, Lambda invocations and HTTP requests.

    `install` once the platform has started; then each `measure()` block collects a `Usage`.
    """

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.indexes = index_specs(platform.template)
        self._usage: Usage | None = None
        self._lock = threading.Lock()
        self._running = threading.local()
        self._thread: int | None = None
        self._original_process: Callable[..., Any] | None = None
        self._original_invoke: Callable[..., Any] | None = None
        self._original_handlers: dict[str, lambda_hook.Handler] = {}

    # --- installation ------------------------------------------------------------------

    def install(self) -> None:
        meter = self
        original = BotocoreStubber.process_request
        self._original_process = original

        def metered(stubber: BotocoreStubber, request: Any) -> Any:
            return meter._process(original, stubber, request)

        BotocoreStubber.process_request = metered  # type: ignore[method-assign]

        self._original_handlers = {name: registration.handler
                                   for name, registration in self.platform.functions.items()}
        for registration in self.platform.functions.values():
            registration.handler = self._timed(registration.name, registration.handler)

        original_invoke = self.platform.invoke
        self._original_invoke = original_invoke

        def invoke(function: str, event: dict[str, Any]) -> Any:
            if "requestContext" in event and self._usage is not None:
                with self._lock:
                    self._usage.http_requests[event.get("routeKey", function)] += 1
            return original_invoke(function, event)

        self.platform.invoke = invoke  # type: ignore[method-assign]

    def uninstall(self) -> None:
        if self._original_process is not None:
            BotocoreStubber.process_request = self._original_process  # type: ignore[method-assign]
            self._original_process = None
        for name, handler in self._original_handlers.items():
            self.platform.functions[name].handler = handler
        self._original_handlers = {}
        if self._original_invoke is not None:
            self.platform.invoke = self._original_invoke  # type: ignore[method-assign]
            self._original_invoke = None

    @contextmanager
    def measure(self, this_thread_only: bool = False) -> Iterator[Usage]:
        """Collect the usage of the block; with `this_thread_only`, of this thread's calls."""
        usage = Usage()
        self._thread = threading.get_ident() if this_thread_only else None
        self._usage = usage
        try:
            yield usage
        finally:
            self._usage = None
            self._thread = None

    # --- Lambda ------------------------------------------------------------------------

    def _timed(self, name: str, handler: lambda_hook.Handler) -> lambda_hook.Handler:
        def run(event: dict[str, Any], context: Any) -> Any:
            started = time.perf_counter()
            outer = getattr(self._running, "name", "-")
            self._running.name = name
            try:
                return handler(event, context)
            finally:
                self._running.name = outer
                usage = self._usage
                if usage is not None:
                    with self._lock:
                        usage.lambda_invocations[name] += 1
                        usage.lambda_milliseconds[name] += (time.perf_counter() - started) * 1000

        return run

    # --- AWS calls ---------------------------------------------------------------------

    def _process(self, original: Callable[..., Any], stubber: BotocoreStubber,
                 request: Any) -> Any:
        usage = self._usage
        if usage is None or self._thread not in (None, threading.get_ident()):
            return original(stubber, request)
        service, operation = _operation(request)
        body = _json_body(request) if service in ("dynamodb", "sesv2") else {}
        before = self._items_written(operation, body) if service == "dynamodb" else []
        response = original(stubber, request)
        with self._lock:
            usage.aws_calls[f"{service}:{operation}"] += 1
            usage.aws_calls_by_function[(getattr(self._running, "name", "-"),
                                         f"{service}:{operation}")] += 1
            if service == "dynamodb" and response is not None:
                self._charge_dynamodb(usage, operation, body, before, response)
                if operation == "TransactWriteItems":
                    usage.transactions.append(body)
            elif service == "sesv2" and operation == "SendEmail":
                usage.emails += 1
                raw = body.get("Content", {}).get("Raw", {}).get("Data", "")
                usage.email_bytes += len(raw) * 3 // 4
        return response

    # --- DynamoDB ----------------------------------------------------------------------

    def _backend(self) -> Any:
        from moto.dynamodb.models import dynamodb_backends

        return dynamodb_backends[ACCOUNT_ID][REGION]

    def _stored(self, table_name: str, key: dict[str, Any]) -> dict[str, Any] | None:
        """Return the stored item with `key` (wire format), or None."""
        try:
            item = self._backend().get_item(table_name, key)
        except Exception:
            return None
        return None if item is None else item.to_json()["Attributes"]

    def _key_of(self, table_name: str, item: dict[str, Any]) -> dict[str, Any]:
        table = self._backend().get_table(table_name)
        names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
        return {name: item[name] for name in names if name in item}

    def _write_actions(self, operation: str, body: dict[str, Any]) -> list[tuple[str, str,
                                                                                dict[str, Any],
                                                                                dict[str, Any]]]:
        """Return (kind, table, key, new item or {}) for each write that a call requests."""
        actions = []
        if operation == "PutItem":
            actions.append(("Put", body["TableName"], self._key_of(body["TableName"],
                                                                     body["Item"]), body["Item"]))
        elif operation in ("UpdateItem", "DeleteItem"):
            actions.append((operation[:-4], body["TableName"], body["Key"], {}))
        elif operation == "TransactWriteItems":
            for entry in body["TransactItems"]:
                (kind, action), = entry.items()
                key = (self._key_of(action["TableName"], action["Item"]) if kind == "Put"
                       else action["Key"])
                actions.append((kind, action["TableName"], key, action.get("Item", {})))
        elif operation == "BatchWriteItem":
            for table_name, requests in body["RequestItems"].items():
                for entry in requests:
                    if "PutRequest" in entry:
                        item = entry["PutRequest"]["Item"]
                        actions.append(("Put", table_name, self._key_of(table_name, item), item))
                    else:
                        actions.append(("Delete", table_name, entry["DeleteRequest"]["Key"], {}))
        return actions

    def _items_written(self, operation: str, body: dict[str, Any]) -> list[Any]:
        return [(kind, table, key, requested_item, self._stored(table, key))
                for kind, table, key, requested_item in self._write_actions(operation, body)]

    def _charge_dynamodb(self, usage: Usage, operation: str, body: dict[str, Any],
                         before: list[Any], response: Any) -> None:
        _status, _headers, payload = response
        answer = json.loads(payload) if payload else {}
        consistent = bool(body.get("ConsistentRead"))
        if operation == "GetItem":
            item = self._stored(body["TableName"], body["Key"])
            usage.read_units += _read_units([_size(item)], consistent)
        elif operation == "Query":
            items = answer.get("Items", [])
            sizes = [_size(item) for item in items]
            scanned = answer.get("ScannedCount", len(items))
            if scanned > len(items) and items:
                sizes = sizes + [sum(sizes) // len(items)] * (scanned - len(items))
            usage.read_units += _read_units([sum(sizes)], consistent)
        elif operation == "BatchGetItem":
            for table_name, request in body.get("RequestItems", {}).items():
                for key in request["Keys"]:
                    usage.read_units += _read_units([_size(self._stored(table_name, key))],
                                                    request.get("ConsistentRead", False))
        elif operation == "TransactGetItems":
            for entry in body["TransactItems"]:
                action = entry["Get"]
                usage.read_units += 2 * _read_units(
                    [_size(self._stored(action["TableName"], action["Key"]))], True)
        transactional = operation == "TransactWriteItems"
        for kind, table, key, requested_item, old in before:
            if kind == "ConditionCheck":
                usage.read_units += 2 * _read_units([_size(old)], True)
                continue
            new = self._stored(table, key)
            if new == old and kind == "Put" and requested_item:
                # A rejected conditional put still costs the write it requested.
                new_size = _size(requested_item)
            else:
                new_size = _size(new)
            units = max(1, math.ceil(max(_size(old), new_size) / WRITE_UNIT_BYTES))
            usage.write_units += units * (2 if transactional else 1)
            usage.index_write_units += self._index_writes(table, old, new)

    def _index_writes(self, table: str, old: dict[str, Any] | None,
                      new: dict[str, Any] | None) -> float:
        if old == new:
            return 0.0
        units = 0.0
        for index in self.indexes.get(table, ()):
            old_key = _index_key(index, old)
            new_key = _index_key(index, new)
            if old_key is None and new_key is None:
                continue
            old_size = _projected_size(index, old) if old_key is not None else 0
            new_size = _projected_size(index, new) if new_key is not None else 0
            if old_key is not None and new_key is not None and old_key != new_key:
                units += _index_write_units(old_size) + _index_write_units(new_size)
            elif (old_key is not None and new_key is not None
                  and _projected(index, old) == _projected(index, new)):
                continue
            else:
                units += _index_write_units(max(old_size, new_size))
        return units


# --- helpers ------------------------------------------------------------------------------

def _operation(request: Any) -> tuple[str, str]:
    """Return the service and operation of a botocore request."""
    url = urlsplit(request.url)
    service = url.netloc.split(".", 1)[0]
    target = request.headers.get("X-Amz-Target")
    if isinstance(target, bytes):
        target = target.decode()
    if target:
        return service, target.rsplit(".", 1)[-1]
    if service == "email" and url.path.startswith("/v2/"):
        service = "sesv2"
        if url.path.startswith("/v2/email/outbound-emails"):
            return service, "SendEmail"
        return service, f"{request.method} {url.path}"
    if service == "lambda" and url.path.endswith("/invocations"):
        return service, "Invoke"
    body = request.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str) and "Action=" in body:
        return service, parse_qs(body).get("Action", ["?"])[0]
    return service, f"{request.method} {url.path}"


def _json_body(request: Any) -> dict[str, Any]:
    body = request.body
    if not body:
        return {}
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    try:
        value = json.loads(body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _value_size(value: dict[str, Any]) -> int:
    from moto.dynamodb.models.dynamo_type import DynamoType

    return DynamoType(value).size()


def _size(item: dict[str, Any] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _read_units(sizes: list[int], consistent: bool) -> float:
    units = sum(max(1, math.ceil(size / READ_UNIT_BYTES)) for size in sizes)
    return units if consistent else units / 2


def _index_key(index: IndexSpec, item: dict[str, Any] | None) -> tuple[Any, ...] | None:
    if not item or index.hash_key not in item:
        return None
    if index.range_key and index.range_key not in item:
        return None
    return (json.dumps(item[index.hash_key], sort_keys=True),
            json.dumps(item.get(index.range_key or ""), sort_keys=True))


def _projected(index: IndexSpec, item: dict[str, Any] | None) -> dict[str, Any]:
    if not item:
        return {}
    if index.projection == "ALL":
        return item
    names = {index.hash_key, index.range_key, "PK", "SK", *index.included}
    return {name: value for name, value in item.items() if name in names}


def _projected_size(index: IndexSpec, item: dict[str, Any] | None) -> int:
    return _size(_projected(index, item)) + INDEX_ENTRY_OVERHEAD_BYTES


def _index_write_units(size: int) -> int:
    return max(1, math.ceil(size / WRITE_UNIT_BYTES))


def index_specs(template: dict[str, Any]) -> dict[str, tuple[IndexSpec, ...]]:
    """Read every table's global secondary indexes from the template."""
    specs: dict[str, tuple[IndexSpec, ...]] = {}
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::DynamoDB::Table":
            continue
        indexes = []
        for index in resource["Properties"].get("GlobalSecondaryIndexes", []):
            keys = {entry["KeyType"]: entry["AttributeName"] for entry in index["KeySchema"]}
            projection = index.get("Projection", {})
            indexes.append(IndexSpec(name=index["IndexName"], hash_key=keys["HASH"],
                                     range_key=keys.get("RANGE"),
                                     projection=projection.get("ProjectionType", "ALL"),
                                     included=tuple(projection.get("NonKeyAttributes", []))))
        specs[name] = tuple(indexes)
    return specs


def storage_bytes(items: list[dict[str, Any]], indexes: tuple[IndexSpec, ...]) -> int:
    """Return the bytes DynamoDB bills as storage for `items`, their index entries included.

    Each item counts its size plus 100 bytes of overhead, on the table and again on each
    global secondary index that contains it.
    """
    total = 0
    for item in items:
        total += _size(item) + INDEX_ENTRY_OVERHEAD_BYTES
        total += sum(_projected_size(index, item) for index in indexes
                     if _index_key(index, item) is not None)
    return total
