"""The hooks of the local runtime into moto: fail here first when a moto release changes.

- `lambda_hook`: Step Functions Lambda tasks run the registered handler in process;
- `serialise`: concurrent AWS calls do not corrupt moto's state;
- `moto_speed`: the shortcuts give the same results as moto's own code.
"""

import concurrent.futures
import copy
import datetime
import decimal
import enum
import json
import sys

import boto3
import botocore.parsers
import pytest
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError
from moto.core.parse import PROTOCOL_PARSERS
from moto.core.responses import ActionContext
from moto.core.serialize import get_serializer_class
from moto.core.utils import get_service_model
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.responses import DynamoHandler, DynamoResult
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

from cmh import lambda_hook, moto_speed
from cmh.platform import ACCOUNT_ID, REGION
from conftest import LocalApi, wait_for

ROLE = "arn:aws:iam::123456789012:role/hook-test"


class DeliberateError(Exception):
    pass


def double(event: dict, context: object) -> dict:
    return {"value": event["value"] * 2, "function": context.function_name}


def explode(event: dict, context: object) -> dict:
    raise DeliberateError("boom")


def run_task(function_arn: str, payload: dict, name: str) -> dict:
    client = boto3.client("stepfunctions")
    definition = {
        "StartAt": "Call",
        "States": {"Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                            "Parameters": {"FunctionName": function_arn, "Payload.$": "$"},
                            "OutputPath": "$.Payload", "End": True}},
    }
    machine = client.create_state_machine(name=name, definition=json.dumps(definition),
                                          roleArn=ROLE)["stateMachineArn"]
    execution = client.start_execution(stateMachineArn=machine, input=json.dumps(payload))
    return wait_for(lambda: _finished(client, execution["executionArn"]))


def _finished(client, execution_arn: str) -> dict | None:
    answer = client.describe_execution(executionArn=execution_arn)
    return answer if answer["status"] != "RUNNING" else None


@pytest.fixture
def registered(api: LocalApi):
    registrations = []

    def register(name: str, handler) -> str:
        arn = f"arn:aws:lambda:eu-west-1:123456789012:function:{name}"
        lambda_hook.register(lambda_hook.Registration(name=name, handler=handler, arn=arn))
        registrations.append(name)
        return arn

    yield register
    for name in registrations:
        lambda_hook._handlers.pop(name, None)


def test_task_runs_registered_handler(registered) -> None:
    arn = registered("HookDouble", double)

    execution = run_task(arn, {"value": 21}, "hook-double")

    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"]) == {"value": 42, "function": "HookDouble"}


def test_handler_exception_fails_task(registered) -> None:
    arn = registered("HookExplode", explode)

    execution = run_task(arn, {}, "hook-explode")

    assert execution["status"] == "FAILED"
    assert execution["error"] == "DeliberateError"
    assert "boom" in execution["cause"]


def test_direct_invoke_uses_handler(registered) -> None:
    registered("HookDirect", double)

    answer = boto3.client("lambda").invoke(FunctionName="HookDirect",
                                           Payload=json.dumps({"value": 5}))

    assert json.loads(answer["Payload"].read()) == {"value": 10, "function": "HookDirect"}
    assert "FunctionError" not in answer


def test_concurrent_transactions_do_not_collide(api: LocalApi) -> None:
    client = boto3.client("dynamodb")

    def write(index: int) -> None:
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": "RequestsTable",
                     "Item": {"PK": {"S": f"HOOKTEST#{index}"}, "SK": {"S": str(part)}}}}
            for part in range(10)
        ])

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, range(40)))

    found = client.query(TableName="RequestsTable", KeyConditionExpression="PK = :pk",
                         ExpressionAttributeValues={":pk": {"S": "HOOKTEST#39"}})
    assert found["Count"] == 10


def test_shared_table_builds_each_query_apart(api: LocalApi) -> None:
    # boto3 builds condition expressions with one builder per resource: two threads that
    # query through one Table at once could swap each other's placeholders.
    table = boto3.resource("dynamodb").Table("RequestsTable")
    for index in range(8):
        table.put_item(Item={"PK": f"HOOKBUILD#{index}", "SK": "A", "index": index})

    def query(index: int) -> list[int]:
        found = table.query(KeyConditionExpression=Key("PK").eq(f"HOOKBUILD#{index % 8}")
                            & Key("SK").begins_with("A"),
                            FilterExpression=Attr("index").gte(0))
        return [int(item["index"]) for item in found["Items"]]

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(query, range(400)))
    finally:
        sys.setswitchinterval(interval)

    assert answers == [[index % 8] for index in range(400)]


# --- moto_speed -----------------------------------------------------------------------------

NESTED_ITEM = {
    "PK": {"S": "HOOKSPEED#1"}, "SK": {"S": "REQUEST"},
    "count": {"N": "12.50"}, "flag": {"BOOL": False}, "nothing": {"NULL": True},
    "tags": {"SS": ["b", "a"]}, "scores": {"NS": ["1", "2.5"]},
    "offer": {"M": {"lines": {"L": [{"M": {"label": {"S": "Raccordement é"},
                                           "cents": {"N": "145000"}}}]},
                    "empty": {"L": []}, "nested": {"M": {"deep": {"S": "x"}}}}},
}


def _written(operation: str, result: dict, fast: bool) -> dict:
    service = get_service_model("dynamodb")
    context = ActionContext(service, service.operation_model(operation),
                            get_serializer_class("dynamodb", "json"), DynamoHandler())
    answer = DynamoResult(result)
    writer = moto_speed._execute_result if fast else moto_speed._original_execute_result
    status, _, body = writer(answer, context)
    return {"status": status, "body": json.loads(body)}


@pytest.mark.parametrize("operation", ["GetItem", "Query", "UpdateItem", "BatchGetItem"])
def test_item_answers_match_moto(operation: str) -> None:
    results = {
        "GetItem": {"Item": NESTED_ITEM},
        "Query": {"Items": [NESTED_ITEM, NESTED_ITEM], "Count": 2, "ScannedCount": 2,
                  "LastEvaluatedKey": {"PK": {"S": "HOOKSPEED#1"}, "SK": {"S": "REQUEST"}},
                  "ConsumedCapacity": None},
        "UpdateItem": {"Attributes": NESTED_ITEM},
        "BatchGetItem": {"Responses": {"RequestsTable": [NESTED_ITEM]},
                         "UnprocessedKeys": {}},
    }

    assert _written(operation, results[operation], fast=True) == _written(
        operation, results[operation], fast=False)


def test_binary_answers_match_moto() -> None:
    item = {**NESTED_ITEM, "blob": {"B": b"\x00\x01"}}

    assert _written("GetItem", {"Item": item}, fast=True) == _written(
        "GetItem", {"Item": item}, fast=False)


def test_requests_parse_as_plain_json() -> None:
    body = {"TableName": "RequestsTable", "Item": NESTED_ITEM,
            "ConditionExpression": "attribute_not_exists(PK)", "ReturnValues": "NONE"}
    operation = get_service_model("dynamodb").operation_model("PutItem")
    parser = PROTOCOL_PARSERS["json"](operation, map_type=DynamoHandler.PROTOCOL_PARSER_MAP_TYPE)

    parsed = parser.parse({"method": "POST", "values": {}, "headers": {},
                           "body": json.dumps(body).encode(), "url_path": "/",
                           "url_params": {}})

    assert json.loads(json.dumps(parsed)) == body


@pytest.mark.parametrize("value", [
    NESTED_ITEM["offer"], NESTED_ITEM["tags"], NESTED_ITEM["nothing"],
    {"M": {"blob": {"B": "AAE="}}}, {"L": [{"BS": ["AAE="]}]},
])
def test_attribute_values_read_as_botocore_reads_them(value: dict) -> None:
    operation = get_service_model("dynamodb").operation_model("GetItem")
    shape = operation.output_shape.members["Item"].value
    parser = botocore.parsers.create_parser("json")

    fast = moto_speed._handle_structure(parser, shape, copy.deepcopy(value))
    slow = moto_speed._original_handle_structure(parser, shape, copy.deepcopy(value))

    assert fast == slow


def test_failed_transaction_restores_items(api: LocalApi) -> None:
    client = boto3.client("dynamodb")
    table = dynamodb_backends[ACCOUNT_ID][REGION].get_table("RequestsTable")
    client.put_item(TableName="RequestsTable",
                    Item={"PK": {"S": "HOOKTX#1"}, "SK": {"S": "A"}, "value": {"N": "1"}})

    with pytest.raises(ClientError) as raised:
        client.transact_write_items(TransactItems=[
            {"Update": {"TableName": "RequestsTable",
                        "Key": {"PK": {"S": "HOOKTX#1"}, "SK": {"S": "A"}},
                        "UpdateExpression": "SET #v = :two",
                        "ExpressionAttributeNames": {"#v": "value"},
                        "ExpressionAttributeValues": {":two": {"N": "2"}}}},
            {"Put": {"TableName": "RequestsTable",
                     "Item": {"PK": {"S": "HOOKTX#1"}, "SK": {"S": "B"}}}},
            {"Put": {"TableName": "RequestsTable",
                     "Item": {"PK": {"S": "HOOKTX#1"}, "SK": {"S": "A"}},
                     "ConditionExpression": "attribute_not_exists(PK)"}},
        ])

    assert raised.value.response["Error"]["Code"] in ("TransactionCanceledException",
                                                      "ValidationException")
    found = client.query(TableName="RequestsTable", KeyConditionExpression="PK = :pk",
                         ExpressionAttributeValues={":pk": {"S": "HOOKTX#1"}},
                         ConsistentRead=True)["Items"]
    assert found == [{"PK": {"S": "HOOKTX#1"}, "SK": {"S": "A"}, "value": {"N": "1"}}]
    assert dynamodb_backends[ACCOUNT_ID][REGION].get_table("RequestsTable") is table


def test_cancelled_transaction_undoes_puts(api: LocalApi) -> None:
    client = boto3.client("dynamodb")

    with pytest.raises(ClientError):
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": "RequestsTable",
                     "Item": {"PK": {"S": "HOOKTX#2"}, "SK": {"S": "NEW"}}}},
            {"ConditionCheck": {"TableName": "RequestsTable",
                                "Key": {"PK": {"S": "HOOKTX#2"}, "SK": {"S": "MISSING"}},
                                "ConditionExpression": "attribute_exists(PK)"}},
        ])

    found = client.get_item(TableName="RequestsTable",
                            Key={"PK": {"S": "HOOKTX#2"}, "SK": {"S": "NEW"}})
    assert "Item" not in found


def test_query_partition_order_and_pages(api: LocalApi) -> None:
    client = boto3.client("dynamodb")
    for partition in ("HOOKQ#1", "HOOKQ#2"):
        for sort in ("c", "a", "b", "d"):
            client.put_item(TableName="RequestsTable",
                            Item={"PK": {"S": partition}, "SK": {"S": sort}})

    first = client.query(TableName="RequestsTable", KeyConditionExpression="PK = :pk",
                         ExpressionAttributeValues={":pk": {"S": "HOOKQ#2"}}, Limit=3)
    rest = client.query(TableName="RequestsTable", KeyConditionExpression="PK = :pk",
                        ExpressionAttributeValues={":pk": {"S": "HOOKQ#2"}},
                        ExclusiveStartKey=first["LastEvaluatedKey"])
    backwards = client.query(TableName="RequestsTable",
                             KeyConditionExpression="PK = :pk AND SK > :after",
                             ExpressionAttributeValues={":pk": {"S": "HOOKQ#1"},
                                                        ":after": {"S": "a"}},
                             ScanIndexForward=False)

    assert [item["SK"]["S"] for item in first["Items"] + rest["Items"]] == ["a", "b", "c", "d"]
    assert [item["SK"]["S"] for item in backwards["Items"]] == ["d", "c", "b"]


@pytest.mark.parametrize("arguments", [
    {"KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)", "Limit": 2},
    {"KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
     "ScanIndexForward": False},
    {"KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
     "ExclusiveStartKey": {"PK": {"S": "HOOKQP"}, "SK": {"S": "OPERATOR#b"}}},
    {"KeyConditionExpression": "PK = :pk AND SK BETWEEN :prefix AND :last"},
])
def test_sort_key_query_answers_as_moto(api: LocalApi, arguments: dict) -> None:
    client = boto3.client("dynamodb")
    for sort in ("EVENT#1", "OPERATOR#c", "EVENT#2", "OPERATOR#a", "OPERATOR#b", "TASK#x"):
        client.put_item(TableName="RequestsTable",
                        Item={"PK": {"S": "HOOKQP"}, "SK": {"S": sort}, "size": {"S": sort * 9}})
    values = {":pk": {"S": "HOOKQP"}, ":prefix": {"S": "OPERATOR#"}}
    if ":last" in arguments["KeyConditionExpression"]:
        values[":last"] = {"S": "OPERATOR#b"}

    fast = client.query(TableName="RequestsTable", ExpressionAttributeValues=values, **arguments)
    moto_speed.uninstall()
    try:
        plain = client.query(TableName="RequestsTable", ExpressionAttributeValues=values,
                             **arguments)
    finally:
        moto_speed.install()

    for answer in (fast, plain):
        answer.pop("ResponseMetadata")
    assert fast == plain
    assert fast["Count"] > 0


def test_index_query_reads_all_partitions(api: LocalApi) -> None:
    client = boto3.client("dynamodb")
    for number in range(3):
        client.put_item(TableName="RequestsTable", Item={
            "PK": {"S": f"HOOKIDX#{number}"}, "SK": {"S": "REQUEST"},
            "GSI5PK": {"S": "HOOKIDX"}, "GSI5SK": {"S": f"2020-01-0{number + 1}"}})

    found = client.query(TableName="RequestsTable", IndexName="ByCreation",
                         KeyConditionExpression="GSI5PK = :pk",
                         ExpressionAttributeValues={":pk": {"S": "HOOKIDX"}})

    assert [item["PK"]["S"] for item in found["Items"]] == [
        "HOOKIDX#0", "HOOKIDX#1", "HOOKIDX#2"]


def test_item_size_limit_applies(api: LocalApi) -> None:
    client = boto3.client("dynamodb")

    with pytest.raises(ClientError) as raised:
        client.put_item(TableName="RequestsTable", Item={
            "PK": {"S": "HOOKBIG"}, "SK": {"S": "A"},
            **{f"part{index}": {"S": "x" * 100_000} for index in range(5)}})

    assert raised.value.response["Error"]["Code"] == "ValidationException"


def test_definition_parsed_once(api: LocalApi) -> None:
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass",
                                                                    "End": True}}})

    first, _ = AmazonStateLanguageParser.parse(definition)
    second, _ = AmazonStateLanguageParser.parse(definition)

    other, _ = AmazonStateLanguageParser.parse(definition.replace("Done", "Finished"))
    assert first is second
    assert first.heap_key == second.heap_key
    assert first.heap_key != other.heap_key


STATE_DATA = {"request_id": "01J", "quotes": [{"operator_id": "ores", "cents": 145000,
                                               "rate": 0.21, "feasible": True,
                                               "message": None, "days": ["2027-01-04"]}],
              "nested": {"empty": {}, "list": [[], [1, 2.5, "é"]]}}


def test_execution_data_copied_exactly() -> None:
    copied = moto_speed._copy_data(STATE_DATA)

    assert copied == STATE_DATA
    assert copied is not STATE_DATA
    assert copied["quotes"][0] is not STATE_DATA["quotes"][0]
    assert type(copied["quotes"][0]["feasible"]) is bool


@pytest.mark.parametrize("value", [
    decimal.Decimal("12.50"),
    datetime.datetime(2026, 12, 5, 9, 30),
    enum.Enum("Kind", {"QUOTE": "quote"}).QUOTE,
    bytearray(b"raw"),
    lambda: None,
])
def test_other_values_keep_their_type(value: object) -> None:
    copied = moto_speed._copy_data({"inner": [value]})

    assert copied == {"inner": [value]}
    assert type(copied["inner"][0]) is type(value)


def test_interpreter_copies_data_by_pickle(api: LocalApi) -> None:
    for name in moto_speed.DATA_COPYING_MODULES:
        assert sys.modules[name].copy.deepcopy is moto_speed._copy_data


def test_dispatch_caches_match_originals() -> None:
    names = moto_speed._method_names_once(DynamoHandler)
    sanitized = moto_speed._sanitize_once("Boto3/1.0 (Linux)#x", True)

    assert names == moto_speed._original_method_names(DynamoHandler)
    assert "update_item" in names
    assert sanitized == moto_speed._original_sanitize("Boto3/1.0 (Linux)#x", True)


def test_requests_go_unsigned_to_the_platform_account(api: LocalApi) -> None:
    client = boto3.client("dynamodb")
    seen: list[dict] = []
    client.meta.events.register("before-send.dynamodb.*",
                                lambda request, **_: seen.append(dict(request.headers)))

    tables = client.list_tables()["TableNames"]

    assert "RequestsTable" in tables
    assert "Authorization" not in seen[0]


def test_presigned_urls_still_signed(api: LocalApi) -> None:
    url = boto3.client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": "any", "Key": "file.txt"}, ExpiresIn=60)

    assert "Signature=" in url
