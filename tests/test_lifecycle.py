"""The second half of a request on moto: decision, works day rounds, works reports, closing.

Each test files a request through the API, records its survey and lets the simulators quote,
then acts as the customer through POST /requests/{request_id}/decision.
"""

import email
import email.policy
import os
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import icalendar
import pytest
from test_state_machine import (
    PARTNERS,
    emails_named,
    execution_of,
    finished,
    record_survey,
    simulators_quote,  # noqa: F401 - the autouse fixture applies here too
    state_names,
)

from cmh.simulators import available_days
from conftest import LocalApi, file_request, wait_for
from connectmyhome import repository, tokens
from connectmyhome.working_days import is_working_day


def offered(api: LocalApi, body: dict | None = None) -> dict:
    """File a request and bring it to the offer email."""
    filed = file_request(api, body)
    record_survey(api, filed["request_id"])
    wait_for(lambda: emails_named(api, filed["request_id"], "offer"), timeout=60)
    filed["token"] = filed["tracking_url"].split("token=", 1)[1]
    return filed


def decide(api: LocalApi, filed: dict, decision: str, token: str | None = None):
    body = {"decision": decision}
    if decision == "decline":
        body["reason"] = "Trop cher pour nous."
    return api.post(f"/requests/{filed['request_id']}/decision", body,
                    headers={"Authorization": f"Bearer {token or filed['token']}"})


def status_of(request_id: str) -> str:
    return repository.load_request(request_id)["status"]


def received_types(api: LocalApi, operator_id: str, request_id: str) -> list[str]:
    return [item["type"] for item in api.runtime.simulators.simulators[operator_id].received
            if item["request_id"] == request_id]


def test_accept_leads_to_completion(api: LocalApi) -> None:
    filed = offered(api)

    reply = decide(api, filed, "accept")
    execution = wait_for(lambda: finished(api, filed["reference"]), timeout=60)

    assert reply.status == 202
    assert execution["status"] == "SUCCEEDED"
    assert status_of(filed["request_id"]) == "completed"
    names = state_names(execution["executionArn"])
    for state in ("RecordAcceptance", "PlanWorksDay", "ProposeWorksDay", "ConfirmWorksDay",
                  "SendAppointment", "AwaitWorksReports", "EvaluateWorks", "SendClosing"):
        assert state in names
    kinds = [entry["email"] for entry in api.emails_for(filed["request_id"])]
    assert kinds == ["acknowledgement", "offer", "appointment", "closing"]


def test_appointment_calendar_is_valid(api: LocalApi) -> None:
    filed = offered(api)
    decide(api, filed, "accept")
    entry = wait_for(lambda: emails_named(api, filed["request_id"], "appointment"), timeout=60)[0]

    message = email.message_from_bytes(Path(entry["path"]).read_bytes(),
                                       policy=email.policy.default)
    attachment = next(part for part in message.iter_attachments()
                      if part.get_content_type() == "text/calendar")
    event = next(iter(icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")))
    day = event.decoded("DTSTART")

    stored = repository.load_request(filed["request_id"])
    assert day.isoformat() == stored["works_day"]
    assert is_working_day(day)
    assert day.isoformat() in available_days(date.today())
    assert day <= date.today() + timedelta(weeks=6)
    assert "Rue de la Station" in str(event["LOCATION"])


def test_operators_told_the_day(api: LocalApi) -> None:
    filed = offered(api)
    decide(api, filed, "accept")
    wait_for(lambda: finished(api, filed["reference"]), timeout=60)

    for operator_id in PARTNERS:
        types = received_types(api, operator_id, filed["request_id"])
        assert types == ["quote.requested", "works_day.proposed", "works_day.confirmed"]


def test_second_accept_has_no_effect(api: LocalApi) -> None:
    filed = offered(api)
    first = decide(api, filed, "accept")

    second = decide(api, filed, "accept")

    assert first.status == 202
    assert second.status == 200
    assert second.json()["status"] == "unchanged"
    events = [event for event in repository.load_events(filed["request_id"])
              if event["type"] == "decision.recorded"]
    assert len(events) == 1


def test_decision_before_the_step_waits_resumes_it(api: LocalApi,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # The offer shows on the tracking page before the decision step stores its token: hold
    # that step until the customer has decided.
    registration = api.runtime.platform.functions["ProgressFunction"]
    decided = threading.Event()
    original = registration.handler

    def held(event: dict, context: object) -> object:
        if event.get("action") == "await_decision":
            decided.wait(timeout=30)
        return original(event, context)

    monkeypatch.setattr(registration, "handler", held)
    filed = file_request(api)
    record_survey(api, filed["request_id"])
    wait_for(lambda: status_of(filed["request_id"]) == "offer_sent", timeout=60)
    filed["token"] = filed["tracking_url"].split("token=", 1)[1]

    first = decide(api, filed, "accept")
    second = decide(api, filed, "accept")
    other = decide(api, filed, "decline")
    decided.set()
    execution = wait_for(lambda: finished(api, filed["reference"]), timeout=60)

    assert (first.status, second.status, other.status) == (202, 200, 409)
    assert other.json()["code"] == "decision_already_decided"
    assert execution["status"] == "SUCCEEDED"
    assert status_of(filed["request_id"]) == "completed"
    events = [event for event in repository.load_events(filed["request_id"])
              if event["type"] == "decision.recorded"]
    assert len(events) == 1


def test_decline_after_accept_is_409(api: LocalApi) -> None:
    filed = offered(api)
    decide(api, filed, "accept")

    reply = decide(api, filed, "decline")

    assert reply.status == 409
    assert reply.json()["code"] == "decision_already_decided"


def test_tampered_token_is_401(api: LocalApi) -> None:
    filed = offered(api)
    token = filed["token"]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    reply = decide(api, filed, "accept", token=tampered)

    assert reply.status == 401
    assert status_of(filed["request_id"]) == "offer_sent"


def test_expired_token_is_401(api: LocalApi) -> None:
    filed = offered(api)
    expired = tokens.issue(filed["request_id"], valid_for=timedelta(seconds=-1))

    reply = decide(api, filed, "accept", token=expired)

    assert reply.status == 401


def test_decision_before_offer_is_409(api: LocalApi) -> None:
    filed = file_request(api)
    wait_for(lambda: status_of(filed["request_id"]) == "survey_pending")
    filed["token"] = filed["tracking_url"].split("token=", 1)[1]

    reply = decide(api, filed, "accept")

    assert reply.status == 409


def test_invalid_decision_is_422(api: LocalApi) -> None:
    filed = offered(api)

    reply = api.post(f"/requests/{filed['request_id']}/decision", {"decision": "maybe"},
                     headers={"Authorization": f"Bearer {filed['token']}"})

    assert reply.status == 422
    assert reply.json()["errors"][0]["field"] == "decision"


def test_decline_closes_with_emails(api: LocalApi) -> None:
    filed = offered(api)

    reply = decide(api, filed, "decline")
    execution = wait_for(lambda: finished(api, filed["reference"]), timeout=60)

    assert reply.status == 202
    assert execution["status"] == "SUCCEEDED"
    assert status_of(filed["request_id"]) == "declined"
    kinds = [entry["email"] for entry in api.emails_for(filed["request_id"])]
    assert kinds == ["acknowledgement", "offer", "declined"]
    for operator_id in PARTNERS:
        assert received_types(api, operator_id, filed["request_id"])[-1] == "request.cancelled"


@pytest.fixture
def short_decision_wait() -> Iterator[None]:
    """Cap the wait for a decision at two seconds; the offer function reads it per call."""
    os.environ["DECISION_TIMEOUT_SECONDS"] = "2"
    yield
    os.environ["DECISION_TIMEOUT_SECONDS"] = "0"


def test_expiry_closes_with_emails(api: LocalApi, short_decision_wait: None) -> None:
    filed = offered(api)

    execution = wait_for(lambda: finished(api, filed["reference"]), timeout=60)

    assert execution["status"] == "SUCCEEDED"
    assert "OfferExpired" in state_names(execution["executionArn"])
    assert status_of(filed["request_id"]) == "expired"
    kinds = [entry["email"] for entry in api.emails_for(filed["request_id"])]
    assert kinds == ["acknowledgement", "offer", "expired"]
    for operator_id in PARTNERS:
        assert received_types(api, operator_id, filed["request_id"])[-1] == "request.cancelled"
    late = decide(api, filed, "accept")
    assert late.status == 409
    assert late.json()["code"] == "decision_offer_expired"


def test_rejected_day_is_replanned(api: LocalApi) -> None:
    api.runtime.simulators.configure("ores", works_day="reject_once")
    filed = offered(api)

    decide(api, filed, "accept")
    wait_for(lambda: finished(api, filed["reference"]), timeout=60)

    planned = [event["data"]["day"] for event in repository.load_events(filed["request_id"])
               if event["type"] == "works_day.planned"]
    assert len(planned) == 2
    assert planned[0] != planned[1]
    assert repository.load_request(filed["request_id"])["works_day"] == planned[1]
    assert status_of(filed["request_id"]) == "completed"


def test_rejections_exhaust_rounds_then_hand_over(api: LocalApi) -> None:
    api.runtime.simulators.configure("swde", works_day="reject")
    filed = offered(api)

    decide(api, filed, "accept")
    execution = wait_for(lambda: finished(api, filed["reference"]), timeout=60)

    assert execution["status"] == "SUCCEEDED"
    assert state_names(execution["executionArn"]).count("PlanWorksDay") == 3
    request = repository.load_request(filed["request_id"])
    assert request["status"] == "handed_over"
    assert {reason["cause"] for reason in request["handover_reasons"]} == {"no_common_day"}
    assert len(emails_named(api, filed["request_id"], "handover")) == 1


def test_failed_works_hand_over(api: LocalApi) -> None:
    api.runtime.simulators.configure("ores", works="fail")
    filed = offered(api)

    decide(api, filed, "accept")
    wait_for(lambda: finished(api, filed["reference"]), timeout=60)

    request = repository.load_request(filed["request_id"])
    assert request["status"] == "handed_over"
    assert request["handover_reasons"] == [{"operator_id": "ores", "name": "ORES",
                                            "cause": "works_failed"}]
    assert emails_named(api, filed["request_id"], "closing") == []


def test_tracking_shows_works_day(api: LocalApi) -> None:
    filed = offered(api)
    view = api.get(f"/requests/{filed['request_id']}",
                   headers={"Authorization": f"Bearer {filed['token']}"}).json()
    assert view["next_actor"] == "customer"
    assert view["actions"]["accept"]["method"] == "POST"
    assert view["offer"]["total_cents"] > 0

    decide(api, filed, "accept")
    wait_for(lambda: finished(api, filed["reference"]), timeout=60)

    view = api.get(f"/requests/{filed['request_id']}",
                   headers={"Authorization": f"Bearer {filed['token']}"}).json()
    assert view["status"] == "completed"
    assert view["status_label"] == "Travaux terminés"
    assert view["works_day"] == repository.load_request(filed["request_id"])["works_day"]
    assert view["next_actor"] == "nobody"
    assert view["actions"] == {}
    types = [entry["type"] for entry in view["timeline"]]
    assert "works_day.planned" in types
    assert types.count("works.completed") == 4


def test_execution_name_is_reference(api: LocalApi) -> None:
    filed = offered(api)

    assert execution_of(api, filed["reference"])["name"] == filed["reference"]


@pytest.fixture
def reports_only_from_works_day() -> Iterator[None]:
    """Apply the production rule: works reports only from the works day on."""
    os.environ["ACCEPT_WORKS_REPORTS_BEFORE_WORKS_DAY"] = "false"
    yield
    os.environ["ACCEPT_WORKS_REPORTS_BEFORE_WORKS_DAY"] = "true"


def test_report_before_works_day_is_409(api: LocalApi,
                                        reports_only_from_works_day: None) -> None:
    for operator_id in PARTNERS:
        api.runtime.simulators.configure(operator_id, works="silent")
    filed = offered(api)
    decide(api, filed, "accept")
    wait_for(lambda: status_of(filed["request_id"]) == "scheduled", timeout=60)
    wait_for(lambda: "works_day.confirmed" in received_types(api, "ores", filed["request_id"]))
    simulator = api.runtime.simulators.simulators["ores"]

    status, reply = api.runtime.simulators.send(simulator, "works.completed",
                                                {"request_id": filed["request_id"],
                                                 "meters": []})

    assert status == 409
    assert "before_works_day" in reply["message"]
    assert status_of(filed["request_id"]) == "scheduled"
