"""Shortcuts that keep moto fast on the local platform, with the same results.

Transactions. moto backs up a table before each TransactWriteItems by deep-copying all of it
(once per action of the transaction) and puts the copy in place when an action fails. On the local
platform every request is filed and moved on with transactions, so each one copies the
table: the time grows with the number of stored requests, and a few hundred requests in
flight slow every call to a crawl. This hook backs up only the items that the transaction
names, and puts them back on failure: the state after a failed transaction is the same.

The backup of the table is skipped by handing moto's transaction a `copy` module whose
`deepcopy` returns a table as it is. Every other copy is a real one. This relies on moto
calling `copy.deepcopy(table)` in `DynamoDBBackend.transact_write_items`, as 5.1 and 5.2 do;
`tests/test_moto_hooks.py` fails if a release changes what this relies on.

Attribute values in boto3. botocore reads each attribute value of a response through the
service model too, member by member, in the functions' own clients. An attribute value that
holds no binary data reads the same as its JSON, so it is kept as parsed.

Requests. moto 5.1 reads each request through a parser driven by the service model too. A
DynamoDB request is JSON whose only values that the parser changes are binary attributes
(base64 text made bytes); a request without any is read with `json.loads`, the others are
left to moto's parser.

Items. moto checks the 400 KB limit of an item each time it adds an attribute, measuring
every attribute already there: building an item of n attributes measures n²/2 of them. This
hook builds the item, then measures it once against the same limit.

Queries. moto answers a query on a table's key by listing and sorting every item of the
table, then keeping those of the partition asked for, and measures the size of each one
before it compares its sort key. During such a query this hook lists only the partition's
items whose sort key matches, sorted the same way. Queries on an index are left as they are.

Item answers. moto 5.1 writes each answer through a serializer driven by the service model,
which walks every attribute of every item; for the request items of this project it takes
more time than all the rest of a call. The answers that carry items (GetItem, Query, Scan,
PutItem, UpdateItem, DeleteItem, BatchGetItem, TransactGetItems) are already in DynamoDB's
wire format, so this hook writes them with `json.dumps`, and leaves every other answer, and
any answer that plain JSON cannot hold, to moto. The test compares both writings.

Step Functions. moto's interpreter parses the state machine's definition again for each
execution, parses each JSONPath again at every use, building the parser's tables each time,
and makes a new boto3 client for each Lambda task. The parsed definition is a tree of
components that keep each execution's state in that execution's environment, JSONPath
expressions parse to immutable objects, and boto3 clients are safe to share between threads,
so all three are kept: one parse per definition and per expression, one Lambda client per
region. A component's key in the environment is drawn at random the first time it is asked
for; shared between executions, two could draw it at once, so the key is made from the
component's identity instead.

Step Functions data. moto's interpreter deep-copies a state's input, its parameters, its
result and its stack at each step, and a request's execution carries some kilobytes of JSON
from step to step. A pickle round trip copies such data about six times faster (measured on
a 4 KB state), with the `__reduce_ex__` protocol that `copy.deepcopy` also relies on. The
modules that copy execution data use it, and `copy.deepcopy` for any value that pickle
cannot take.

Signatures. botocore signs each request with Signature Version 4, which takes about a tenth
of a DynamoDB call's time here (cProfile). moto checks no signature. It reads the access key
alone from the Authorization header, to choose the account, and a request without one goes
to the default account, which is the platform's. So requests go out unsigned, while
presigned URLs are still signed.

Dispatch. For each call moto lists the methods of the service's response class with
`inspect.getmembers` to find the action's method, and botocore cleans each part of the
User-Agent header character by character. Both depend on their arguments alone, so their
results are kept.
"""

import contextvars
import copy
import functools
import importlib
import inspect
import json
import pickle
import types
from typing import Any

import botocore.signers
import botocore.useragent
import moto.core.responses as moto_responses
import moto.dynamodb.models as dynamodb_models
from botocore.parsers import BaseJSONParser
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import Table
from moto.dynamodb.models.utilities import bytesize
from moto.dynamodb.responses import DynamoHandler, DynamoResult
from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import json_path

_original_transact = DynamoDBBackend.transact_write_items
_original_copy_module = dynamodb_models.copy
_original_execute_result = DynamoResult.execute_result
ITEM_OPERATIONS = frozenset({"GetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem",
                             "BatchGetItem", "TransactGetItems"})
JSON_CONTENT_TYPE = "application/x-amz-json-1.0"
_original_parse_parameters = DynamoHandler.parse_parameters
BINARY_MARKERS = ('"B"', '"BS"')
_original_handle_structure = BaseJSONParser._handle_structure
PLAIN_ATTRIBUTE_TYPES = frozenset({"S", "N", "SS", "NS", "NULL", "BOOL"})
_original_item_init = Item.__init__
# The limit that moto applies (its own figure, a little above the documented 400 KB).
ITEM_SIZE_LIMIT = 405000
_original_query = Table.query
_original_all_items = Table.all_items
_QUERY_SIGNATURE = inspect.signature(Table.query)
_queried_partition: contextvars.ContextVar[Any] = contextvars.ContextVar("queried_partition",
                                                                        default=None)
_original_parse = json_path.parse
_original_parse_definition = AmazonStateLanguageParser.__dict__["parse"]
_original_heap_key = EvalComponent.__dict__["heap_key"]
_original_client_for = lambda_eval_utils.boto_client_for
_original_method_names = moto_responses.method_names_from_class
_original_sign = botocore.signers.RequestSigner.sign
_original_sanitize = botocore.useragent.sanitize_user_agent_string_component
# The interpreter's modules that deep-copy execution data (inputs, results, parameters,
# stacks, event details) with `copy.deepcopy`.
DATA_COPYING_MODULES = tuple(f"moto.stepfunctions.parser.asl.{name}" for name in (
    "component.common.string.string_expression",
    "component.common.path.result_path",
    "component.intrinsic.function.statesfunction.json_manipulation.json_merge",
    "component.state.exec.state_map.state_map",
    "component.state.exec.state_task.service.state_task_service",
    "component.state.exec.state_parallel.state_parallel",
    "component.state.exec.execute_state",
    "eval.states",
    "eval.event.event_manager",
))


def _deepcopy_except_tables(value: Any, memo: dict[int, Any] | None = None) -> Any:
    if isinstance(value, Table):
        return value
    return copy.deepcopy(value, memo)


_copy_without_tables = types.SimpleNamespace(deepcopy=_deepcopy_except_tables, copy=copy.copy)


def _key(backend: DynamoDBBackend, operation: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    table = backend.get_table(operation["TableName"])
    if "Key" in operation:
        return table.name, operation["Key"]
    item = operation["Item"]
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    return table.name, {name: item[name] for name in names if name in item}


def _backups(backend: DynamoDBBackend,
             transact_items: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any], Any]]:
    """Return (table, key, stored attributes or None) for each item the transaction names."""
    saved = []
    for entry in transact_items:
        try:
            _, operation = next(iter(entry.items()))
            table_name, key = _key(backend, operation)
            current = backend.get_item(table_name, key)
        except Exception:
            # moto rejects the malformed action itself, so it writes nothing to back up.
            continue
        saved.append((table_name, key,
                      None if current is None else copy.deepcopy(current.to_json()["Attributes"])))
    return saved


def _restore(backend: DynamoDBBackend, saved: list[tuple[str, dict[str, Any], Any]]) -> None:
    for table_name, key, attributes in saved:
        table = backend.get_table(table_name)
        if attributes is None:
            if backend.get_item(table_name, key) is not None:
                backend.delete_item(table_name, key)
        else:
            table.put_item(attributes, overwrite=True)


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    saved = _backups(self, transact_items)
    try:
        _original_transact(self, transact_items)
    except Exception:
        _restore(self, saved)
        raise


def _parse_parameters(self: DynamoHandler, request: Any) -> None:
    body = request.data
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    if not text or any(marker in text for marker in BINARY_MARKERS):
        _original_parse_parameters(self, request)
        return
    parsed = json.loads(text)
    if not isinstance(parsed, dict):
        _original_parse_parameters(self, request)
        return
    self.params = parsed


def _plain_attribute(value: Any) -> bool:
    """Return whether an attribute value in wire format contains no binary data at any depth."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    ((kind, member),) = value.items()
    if kind in PLAIN_ATTRIBUTE_TYPES:
        return True
    if kind == "M":
        return isinstance(member, dict) and all(map(_plain_attribute, member.values()))
    if kind == "L":
        return isinstance(member, list) and all(map(_plain_attribute, member))
    return False


def _handle_structure(self: BaseJSONParser, shape: Any, value: Any) -> Any:
    if shape.name == "AttributeValue" and _plain_attribute(value):
        return value
    return _original_handle_structure(self, shape, value)


def _item_init(self: Item, hash_key: DynamoType, range_key: DynamoType | None,
               attrs: dict[str, Any]) -> None:
    self.hash_key = hash_key
    self.range_key = range_key
    self.attrs = LimitedSizeDict()
    for key, value in attrs.items():
        dict.__setitem__(self.attrs, key, DynamoType(value))
    if sum(bytesize(key) + value.size() for key, value in self.attrs.items()) > ITEM_SIZE_LIMIT:
        raise ItemSizeTooLarge


def _query(self: Table, hash_key: Any, *arguments: Any, **keywords: Any) -> Any:
    bound = _QUERY_SIGNATURE.bind(self, hash_key, *arguments, **keywords).arguments
    if hash_key is None or bound.get("index_name") or not self.range_key_attr:
        return _original_query(self, hash_key, *arguments, **keywords)
    # With legacy KeyConditions filters, moto counts every item of the partition as scanned.
    comparison = None if bound.get("filter_kwargs") else bound.get("range_comparison")
    token = _queried_partition.set((hash_key, comparison, bound.get("range_objs")))
    try:
        return _original_query(self, hash_key, *arguments, **keywords)
    finally:
        _queried_partition.reset(token)


def _all_items(self: Table) -> list[Any]:
    queried = _queried_partition.get()
    if queried is None:
        return _original_all_items(self)
    partition, comparison, values = queried
    items = self.items.get(partition, {}).values()
    if comparison:
        items = [item for item in items if item.range_key.compare(comparison, values)]
    return sorted(items, key=lambda item: (item.hash_key, item.range_key))


def _without_none(result: Any) -> Any:
    """Drop the answer's members that are None, as the model-driven serializer does.

    Only the answer's own members can be None: an item's attributes never are (DynamoDB's
    null is {"NULL": true}). Binary values make `json.dumps` raise TypeError.
    """
    if not isinstance(result, dict):
        return result
    return {key: member for key, member in result.items() if member is not None}


def _execute_result(self: DynamoResult, context: Any) -> Any:
    if context.operation_model.name not in ITEM_OPERATIONS:
        return _original_execute_result(self, context)
    try:
        body = json.dumps(_without_none(self.result))
    except (TypeError, ValueError):
        return _original_execute_result(self, context)
    return 200, {"Content-Type": JSON_CONTENT_TYPE}, body


_parse_once = functools.lru_cache(maxsize=1024)(_original_parse)
_parse_definition_once = functools.lru_cache(maxsize=64)(_original_parse_definition.__func__)


def _heap_key(self: EvalComponent) -> str:
    return f"{type(self).__name__}-{id(self)}"


@functools.lru_cache(maxsize=64)
def _client_once(region: str, service: str) -> Any:
    return _original_client_for(region=region, service=service)


def _client_for(region: str, service: str, state_credentials: Any = None) -> Any:
    # moto's own function signs every call with fixed test keys whatever the credentials.
    return _client_once(region, service)


def _copy_data(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """Copy execution data through pickle, or with copy.deepcopy what pickle cannot take."""
    try:
        return pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
    except Exception:
        return copy.deepcopy(value, memo)


_copy_by_pickle = types.SimpleNamespace(deepcopy=_copy_data, copy=copy.copy)
def _sign(self: botocore.signers.RequestSigner, operation_name: str, request: Any,
          region_name: str | None = None, signing_type: str = "standard",
          expires_in: int | None = None, signing_name: str | None = None) -> None:
    if signing_type != "standard":
        _original_sign(self, operation_name, request, region_name, signing_type, expires_in,
                       signing_name)


_method_names_once = functools.lru_cache(maxsize=256)(_original_method_names)
_sanitize_once = functools.lru_cache(maxsize=1024)(_original_sanitize)


def _patches() -> list[tuple[Any, str, Any, Any]]:
    """Return (owner, attribute, shortcut, original) for each place this module patches."""
    data_modules = [importlib.import_module(name) for name in DATA_COPYING_MODULES]
    return [*[(module, "copy", _copy_by_pickle, copy) for module in data_modules],
        (dynamodb_models, "copy", _copy_without_tables, _original_copy_module),
        (DynamoDBBackend, "transact_write_items", _transact_write_items, _original_transact),
        (DynamoResult, "execute_result", _execute_result, _original_execute_result),
        (Item, "__init__", _item_init, _original_item_init),
        (DynamoHandler, "parse_parameters", _parse_parameters, _original_parse_parameters),
        (BaseJSONParser, "_handle_structure", _handle_structure, _original_handle_structure),
        (Table, "query", _query, _original_query),
        (Table, "all_items", _all_items, _original_all_items),
        (json_path, "parse", _parse_once, _original_parse),
        (AmazonStateLanguageParser, "parse", staticmethod(_parse_definition_once),
         _original_parse_definition),
        (EvalComponent, "heap_key", property(_heap_key), _original_heap_key),
        (lambda_eval_utils, "boto_client_for", _client_for, _original_client_for),
        (moto_responses, "method_names_from_class", _method_names_once, _original_method_names),
        (botocore.signers.RequestSigner, "sign", _sign, _original_sign),
        (botocore.useragent, "sanitize_user_agent_string_component", _sanitize_once,
         _original_sanitize),
    ]


def install() -> None:
    for owner, attribute, shortcut, _original in _patches():
        setattr(owner, attribute, shortcut)


def uninstall() -> None:
    for owner, attribute, _shortcut, original in _patches():
        setattr(owner, attribute, original)
    _parse_definition_once.cache_clear()
    _client_once.cache_clear()
    _method_names_once.cache_clear()
