"""The benchmark's own arithmetic: request units, prices and the report's limits.

The benchmarks themselves run with `make bench`; these tests check that what they count and
price is counted and priced right, on the session's local platform where calls are needed.
"""

import copy
import json
from pathlib import Path

import boto3
import pytest

from bench import costs, meter, report
from conftest import LocalApi

ROOT = Path(__file__).resolve().parent.parent
INDEXES = meter.index_specs({"Resources": {"T": {"Type": "AWS::DynamoDB::Table", "Properties": {
    "GlobalSecondaryIndexes": [
        {"IndexName": "ByStatus", "Projection": {"ProjectionType": "ALL"},
         "KeySchema": [{"AttributeName": "GSI1PK", "KeyType": "HASH"},
                       {"AttributeName": "GSI1SK", "KeyType": "RANGE"}]},
        {"IndexName": "Keys", "Projection": {"ProjectionType": "KEYS_ONLY"},
         "KeySchema": [{"AttributeName": "GSI2PK", "KeyType": "HASH"}]}]}}}})["T"]


def item(**attributes: str) -> dict:
    return {"PK": {"S": "REQUEST#1"}, "SK": {"S": "REQUEST"},
            **{name: {"S": value} for name, value in attributes.items()}}


def test_item_size_follows_dynamodb() -> None:
    sized = {"PK": {"S": "abc"}, "n": {"N": "12345"}, "flag": {"BOOL": True},
             "list": {"L": [{"S": "xy"}]}}

    assert meter._size(sized) == (2 + 3) + (1 + 4) + (4 + 1) + (4 + 2)


def test_read_units_round_up_and_halve() -> None:
    assert meter._read_units([100], consistent=True) == 1
    assert meter._read_units([5000], consistent=True) == 2
    assert meter._read_units([5000], consistent=False) == 1
    assert meter._read_units([0], consistent=False) == 0.5


@pytest.mark.parametrize(("old", "new", "units"), [
    (None, item(GSI1PK="STATUS#a", GSI1SK="1"), 1),
    (item(GSI1PK="STATUS#a", GSI1SK="1"), item(GSI1PK="STATUS#b", GSI1SK="1"), 2),
    (item(GSI1PK="STATUS#a", GSI1SK="1"), item(GSI1PK="STATUS#a", GSI1SK="1", note="x"), 1),
    (item(GSI1PK="STATUS#a", GSI1SK="1"), item(), 1),
    (item(note="x"), item(note="y"), 0),
    (item(GSI2PK="k", note="x"), item(GSI2PK="k", note="y"), 0),
])
def test_index_writes_per_change(old: dict | None, new: dict, units: int) -> None:
    counter = meter.Meter.__new__(meter.Meter)
    counter.indexes = {"T": INDEXES}

    assert counter._index_writes("T", old, new) == units


def test_storage_counts_index_copies() -> None:
    stored = item(GSI1PK="STATUS#a", GSI1SK="1")

    expected = 2 * (meter._size(stored) + meter.INDEX_ENTRY_OVERHEAD_BYTES)
    assert meter.storage_bytes([stored], INDEXES) == expected


def test_meter_counts_units_of_real_calls(api: LocalApi) -> None:
    counter = meter.Meter(api.runtime.platform)
    client = boto3.client("dynamodb")
    large = {"PK": {"S": "BENCHMETER#1"}, "SK": {"S": "A"}, "text": {"S": "x" * 2500}}
    counter.install()
    try:
        # The session's platform runs its watchdog every second: count this test's calls only.
        with counter.measure(this_thread_only=True) as usage:
            client.put_item(TableName="RequestsTable", Item=large)
            client.get_item(TableName="RequestsTable", Key={"PK": large["PK"], "SK": large["SK"]},
                            ConsistentRead=True)
            client.get_item(TableName="RequestsTable", Key={"PK": large["PK"], "SK": large["SK"]})
            client.transact_write_items(TransactItems=[{"Put": {
                "TableName": "RequestsTable",
                "Item": {"PK": {"S": "BENCHMETER#2"}, "SK": {"S": "A"},
                         "GSI5PK": {"S": "BENCHMETER"}, "GSI5SK": {"S": "1"}}}}])
    finally:
        counter.uninstall()

    assert usage.aws_calls["dynamodb:PutItem"] == 1
    assert usage.aws_calls["dynamodb:GetItem"] == 2
    assert usage.write_units == 3 + 2
    assert usage.index_write_units == 1
    assert usage.read_units == 1 + 0.5


def work(invocations: int = 40, transitions: int = 37) -> dict:
    counts = {"lambda_invocations": invocations, "http_api_requests": 15,
              "state_transitions": transitions, "emails": 4,
              "dynamodb": {"read_request_units": 80.0, "write_request_units": 400.0},
              "aws_calls": {"secretsmanager:GetSecretValue": 0},
              "lambda_milliseconds_by_function": {"WatchdogFunction": 100.0}}
    return {"stored_10000": counts, "lambda_milliseconds_by_function": {"IntakeFunction": 1000.0},
            "watchdog_run": {**copy.deepcopy(counts), "lambda_invocations": 1,
                             "dynamodb": {"read_request_units": 1.0,
                                          "write_request_units": 0.0},
                             "emails": 0, "http_api_requests": 0}}


def test_cost_adds_every_priced_item() -> None:
    prices = json.loads((ROOT / "bench" / "prices.json").read_text(encoding="utf-8"))
    rate = prices["usd_per_eur"]["value"]

    priced = costs.price(work(), ROOT / "bench" / "prices.json")

    usd = (40 * 0.20 / 1e6 + 1.0 * 0.5 * 0.0000166667 + 15 * 1.00 / 1e6 + 37 * 0.025 / 1000
           + 400 * 0.625 / 1e6 + 80 * 0.125 / 1e6 + 4 * 0.10 / 1000)
    assert priced["eur_per_completed_request"] == pytest.approx(usd / rate, rel=1e-3)
    assert priced["fixed_eur_per_month"]["secrets"] == pytest.approx(0.80 / rate, abs=0.01)


def test_cost_grows_with_state_transitions() -> None:
    fewer = costs.price(work(transitions=10), ROOT / "bench" / "prices.json")
    more = costs.price(work(transitions=100), ROOT / "bench" / "prices.json")

    assert more["eur_per_completed_request"] > fewer["eur_per_completed_request"]


def test_limits_reject_slow_cold_start_and_losses() -> None:
    results = {"cold_start": {"functions": {"A": {"ratio": 1.2}, "B": {"ratio": 1.4}}},
               "work_per_request": {"equal": True}, "scale": {"lost": 0, "duplicated": 0}}

    assert report.acceptable(results)
    assert not report.acceptable({**results, "cold_start": {"functions": {"A": {"ratio": 1.6}}}})
    assert not report.acceptable({**results, "scale": {"lost": 1, "duplicated": 0}})
    assert not report.acceptable({**results, "work_per_request": {"equal": False}})
