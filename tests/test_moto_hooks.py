"""The two hooks of the local runtime into moto: fail here first when a moto release changes.

- `lambda_hook`: Step Functions Lambda tasks run the registered handler in process;
- `serialise`: concurrent AWS calls do not corrupt moto's state.
"""

import concurrent.futures
import json

import boto3
import pytest

from cmh import lambda_hook
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
