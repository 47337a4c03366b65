"""POST /operators/{operator_id}/webhooks: signatures, deliveries, parties, steps, payloads."""

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from cmh.simulators import available_days, quote_lines
from conftest import LocalApi, Reply, file_request, valid_request, wait_for
from connectmyhome import clock, repository, webhooks


@pytest.fixture
def silent_ores(api: LocalApi) -> Iterator[None]:
    """ORES stays silent, so its quote step waits for the events these tests send."""
    api.runtime.simulators.configure("ores", "silent")
    yield
    api.runtime.simulators.configure("ores", "quote", 0.0, "accept", "complete")
    api.runtime.set_operator_settings("ores", quote_deadline_seconds=None)


def waiting_request(api: LocalApi, body: dict | None = None) -> dict:
    """File a request, record its survey, and wait until ORES is asked for its quote."""
    filed = file_request(api, body)
    wait_for(lambda: repository.load_request(filed["request_id"])["status"] == "survey_pending")
    reply = api.post(f"/admin/requests/{filed['request_id']}/survey",
                     {"joint_works_feasible": True}, headers=api.admin_headers())
    assert reply.status == 202
    wait_for(lambda: any(item["request_id"] == filed["request_id"]
                         for item in api.runtime.simulators.simulators["ores"].received))
    return filed


def quote(request_id: str, **changes) -> dict:
    data = {"request_id": request_id, "feasible": True, "network_extension_required": False,
            "lines": quote_lines({"connections": [{"utility": "electricity", "meters": 1},
                                                  {"utility": "gas", "meters": 1}]}),
            "available_days": available_days(date.today()),
            "valid_until": (date.today() + timedelta(days=60)).isoformat()}
    data.update(changes)
    return data


def send(api: LocalApi, operator_id: str, event_type: str, data: dict,
         webhook_id: str = "", secret: str | None = None, at=None) -> Reply:
    simulator = api.runtime.simulators.simulators[operator_id]
    body = webhooks.encode_event(event_type, data)
    headers = webhooks.signature_headers([secret or simulator.secret],
                                         webhook_id or f"test_{clock.now().timestamp()}", body,
                                         at=at)
    return api.post(f"/operators/{operator_id}/webhooks", raw=body,
                    headers={**headers, "Content-Type": "application/json"})


def field_codes(reply: Reply) -> dict[str, str]:
    return {item["field"]: item["code"] for item in reply.json()["errors"]}


def test_quote_accepted(api: LocalApi, silent_ores: None) -> None:
    filed = waiting_request(api)

    reply = send(api, "ores", "quote.submitted", quote(filed["request_id"]))

    assert reply.status == 202
    assert reply.json()["status"] == "accepted"
    party = next(item for item in repository.load_operator_parties(filed["request_id"])
                 if item["operator_id"] == "ores")
    assert party["state"] == "quoted"


def test_bad_signature_is_401(api: LocalApi, silent_ores: None) -> None:
    filed = waiting_request(api)
    reply = send(api, "ores", "quote.submitted", quote(filed["request_id"]),
                 secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")

    assert reply.status == 401
    assert reply.json()["code"] == "invalid_signature"


def test_stale_timestamp_is_401(api: LocalApi, silent_ores: None) -> None:
    filed = waiting_request(api)

    reply = send(api, "ores", "quote.submitted", quote(filed["request_id"]),
                 at=clock.now() - timedelta(minutes=10))

    assert reply.status == 401


def test_body_changed_after_signing_is_401(api: LocalApi, silent_ores: None) -> None:
    filed = waiting_request(api)
    simulator = api.runtime.simulators.simulators["ores"]
    body = webhooks.encode_event("quote.submitted", quote(filed["request_id"]))
    headers = webhooks.signature_headers([simulator.secret], "tampered-1", body)

    reply = api.post("/operators/ores/webhooks", raw=body.replace(b"145000", b"1450"),
                     headers={**headers, "Content-Type": "application/json"})

    assert reply.status == 401


def test_rotated_secrets_both_verify(api: LocalApi, silent_ores: None) -> None:
    filed = waiting_request(api)
    simulator = api.runtime.simulators.simulators["ores"]
    body = webhooks.encode_event("quote.submitted", quote(filed["request_id"]))
    headers = webhooks.signature_headers(["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                          simulator.secret], "rotation-1", body)

    reply = api.post("/operators/ores/webhooks", raw=body,
                     headers={**headers, "Content-Type": "application/json"})

    assert reply.status == 202


def test_repeated_delivery_is_200_once(api: LocalApi, silent_ores: None) -> None:
    filed = waiting_request(api)
    data = quote(filed["request_id"])

    first = send(api, "ores", "quote.submitted", data, webhook_id="delivery-dup-1")
    second = send(api, "ores", "quote.submitted", data, webhook_id="delivery-dup-1")

    assert first.status == 202
    assert second.status == 200
    assert second.json()["status"] == "duplicate"
    events = [event for event in repository.load_events(filed["request_id"])
              if event["type"] == "quote.submitted" and event["data"]["operator_id"] == "ores"]
    assert len(events) == 1


def test_second_answer_is_409(api: LocalApi, silent_ores: None) -> None:
    filed = waiting_request(api)
    send(api, "ores", "quote.submitted", quote(filed["request_id"]), webhook_id="answer-a")

    reply = send(api, "ores", "quote.declined",
                 {"request_id": filed["request_id"], "reason": "other"}, webhook_id="answer-b")

    assert reply.status == 409
    assert reply.json()["code"] == "step_not_waiting"


def test_operator_not_party_is_403(api: LocalApi, silent_ores: None) -> None:
    body = valid_request()
    body["connections"] = [{"utility": "electricity", "meters": 1, "power_kva": 9.2,
                            "phases": 1}]
    filed = waiting_request(api, body)

    reply = send(api, "proximus", "quote.submitted", quote(filed["request_id"]))

    assert reply.status == 403
    assert reply.json()["code"] == "not_party"


def test_quote_after_deadline_is_409(api: LocalApi, silent_ores: None) -> None:
    api.runtime.set_operator_settings("ores", quote_deadline_seconds=1)
    filed = waiting_request(api)
    wait_for(lambda: repository.load_request(filed["request_id"])["status"] != "quoting",
             timeout=60)

    reply = send(api, "ores", "quote.submitted", quote(filed["request_id"]))

    assert reply.status == 409
    assert repository.load_request(filed["request_id"])["status"] == "handed_over"


def test_quote_before_request_is_409(api: LocalApi) -> None:
    filed = file_request(api)
    wait_for(lambda: repository.load_request(filed["request_id"])["status"] == "survey_pending")

    reply = send(api, "ores", "quote.submitted", quote(filed["request_id"]))

    assert reply.status == 409


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        (lambda data: data["lines"][0].update(unit_price_cents=-100),
         "data.lines[0].unit_price_cents", "number_at_least"),
        (lambda data: data["lines"][0].update(vat_rate=19), "data.lines[0].vat_rate",
         "vat_rate_unknown"),
        (lambda data: data.update(valid_until="2020-01-01"), "data.valid_until",
         "date_in_past"),
        (lambda data: data["available_days"].append("2020-01-06"),
         "data.available_days[30]", "date_in_past"),
        (lambda data: data.pop("lines"), "data.lines", "missing"),
    ],
    ids=["negative price", "unknown vat", "past validity", "past day", "no lines"],
)
def test_invalid_quote_is_422(api: LocalApi, silent_ores: None, change, field: str,
                              code: str) -> None:
    filed = waiting_request(api)
    data = quote(filed["request_id"])
    change(data)

    reply = send(api, "ores", "quote.submitted", data)

    assert reply.status == 422
    assert reply.json()["code"] == "invalid_payload"
    assert field_codes(reply)[field] == code


def test_unknown_event_type_is_422(api: LocalApi) -> None:
    reply = send(api, "ores", "quote.maybe", {"request_id": "x"})

    assert reply.status == 422
    assert field_codes(reply)["type"] == "literal_error"


def test_malformed_json_is_400(api: LocalApi) -> None:
    simulator = api.runtime.simulators.simulators["ores"]
    body = b'{"type": '
    headers = webhooks.signature_headers([simulator.secret], "malformed-1", body)

    reply = api.post("/operators/ores/webhooks", raw=body,
                     headers={**headers, "Content-Type": "application/json"})

    assert reply.status == 400


def test_unknown_request_is_404(api: LocalApi) -> None:
    reply = send(api, "ores", "quote.submitted", quote("01NOTAREQUEST0000000000000"))

    assert reply.status == 404


def test_unknown_operator_is_404(api: LocalApi) -> None:
    reply = api.post("/operators/nobody/webhooks", raw=json.dumps({}).encode(),
                     headers={"Content-Type": "application/json"})

    assert reply.status == 404
    assert reply.json()["code"] == "unknown_operator"


def run_operator_send(api: LocalApi, *arguments: str) -> subprocess.CompletedProcess[str]:
    cmh = Path(sys.executable).parent / "cmh"
    return subprocess.run([str(cmh), "operator", "send", *arguments, "--state",
                           str(api.runtime.state_dir)], capture_output=True, text=True,
                          timeout=60, check=False)


def test_cli_sends_signed_event(api: LocalApi, silent_ores: None) -> None:
    filed = waiting_request(api)

    result = run_operator_send(api, "ores", "quote.submitted",
                               json.dumps(quote(filed["request_id"])))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "HTTP 202" in result.stdout


def test_cli_reports_rejection(api: LocalApi) -> None:
    result = run_operator_send(api, "ores", "quote.submitted",
                               json.dumps(quote("01NOTAREQUEST0000000000000")))

    assert result.returncode == 2
    assert "HTTP 404" in result.stdout


def test_signature_error_names_reason(api: LocalApi) -> None:
    reply = send(api, "ores", "quote.submitted", quote("x"),
                 at=clock.now() - timedelta(minutes=10))

    assert "too old" in reply.json()["message"]
