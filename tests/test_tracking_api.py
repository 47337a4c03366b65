"""GET /requests/{request_id}: the customer's view behind the signed tracking token."""

from datetime import timedelta

import pytest

from conftest import LocalApi, valid_request, wait_for
from connectmyhome import tokens


@pytest.fixture
def filed(api: LocalApi) -> dict:
    body = api.post("/requests", valid_request()).json()
    wait_for(lambda: api.get(tracking_path(body)).json()["status"] == "survey_pending")
    return body


def tracking_path(filed: dict) -> str:
    token = filed["tracking_url"].split("#token=")[1]
    return f"/requests/{filed['request_id']}?token={token}"


def test_tracking_link_shows_status(api: LocalApi, filed: dict) -> None:
    reply = api.get(tracking_path(filed))

    assert reply.status == 200
    answer = reply.json()
    assert answer["reference"] == filed["reference"]
    assert answer["status"] == "survey_pending"
    assert answer["status_label"] == "Visite technique à planifier"
    assert "gestionnaire de dossier" in answer["next_step"]
    assert [entry["type"] for entry in answer["timeline"]] == [
        "request.submitted", "email.sent", "case_manager.assigned", "status.changed"]
    assert answer["case_manager"]["name"]
    assert reply.headers["Cache-Control"] == "no-store"


def test_bearer_header_accepted(api: LocalApi, filed: dict) -> None:
    token = filed["tracking_url"].split("token=")[1]

    reply = api.get(f"/requests/{filed['request_id']}",
                    headers={"Authorization": f"Bearer {token}"})

    assert reply.status == 200


def test_tracking_in_asked_language(api: LocalApi, filed: dict) -> None:
    answer = api.get(tracking_path(filed), headers={"Accept-Language": "de"}).json()

    assert answer["language"] == "de"
    assert answer["status_label"] != "Visite technique à planifier"


def test_missing_token_is_401(api: LocalApi, filed: dict) -> None:
    reply = api.get(f"/requests/{filed['request_id']}")

    assert reply.status == 401
    assert reply.json()["code"] == "unauthorized"


def test_tampered_token_is_401(api: LocalApi, filed: dict) -> None:
    path = tracking_path(filed)
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")

    assert api.get(tampered).status == 401


def test_token_of_other_request_is_401(api: LocalApi, filed: dict) -> None:
    other = api.post("/requests", valid_request()).json()
    other_token = other["tracking_url"].split("token=")[1]

    reply = api.get(f"/requests/{filed['request_id']}?token={other_token}")

    assert reply.status == 401


def test_expired_token_is_401(api: LocalApi, filed: dict) -> None:
    expired = tokens.issue(filed["request_id"], valid_for=timedelta(seconds=-1))

    reply = api.get(f"/requests/{filed['request_id']}?token={expired}")

    assert reply.status == 401
