"""POST /requests against the local platform: acceptance, errors, idempotency, emails."""

import concurrent.futures
import email
import email.policy
import re
import uuid
from datetime import datetime
from pathlib import Path

import boto3
import pytest

from conftest import LocalApi, valid_request, wait_for
from connectmyhome import clock, repository


def errors_by_field(reply_body: dict) -> dict[str, dict]:
    return {item["field"]: item for item in reply_body["errors"]}


def test_valid_request_gets_reference(api: LocalApi) -> None:
    reply = api.post("/requests", valid_request())

    assert reply.status == 201
    body = reply.json()
    assert re.fullmatch(r"CMH-\d{4}-\d{6}", body["reference"])
    assert body["status"] == "submitted"
    token = body["tracking_url"].split("#token=")[1]
    assert body["tracking_url"].endswith(f"/suivi.html?request={body['request_id']}"
                                         f"#token={token}")
    assert reply.headers["Location"] == f"/requests/{body['request_id']}"


def test_acknowledgement_email_in_french(api: LocalApi) -> None:
    request_id = api.post("/requests", valid_request()).json()["request_id"]

    emails = wait_for(lambda: api.emails_for(request_id), timeout=5)

    assert len(emails) == 1
    assert emails[0]["email"] == "acknowledgement"
    assert emails[0]["recipients"] == ["elise@example.org"]
    assert "bien reçue" in emails[0]["subject"]


def test_acknowledgement_is_well_formed_mime(api: LocalApi) -> None:
    filed = api.post("/requests", valid_request()).json()
    entry = wait_for(lambda: api.emails_for(filed["request_id"]), timeout=5)[0]

    message = email.message_from_bytes(Path(entry["path"]).read_bytes(),
                                       policy=email.policy.default)

    assert message.get_content_type() == "multipart/alternative"
    assert message["Content-Language"] == "fr"
    assert filed["reference"] in message["Subject"]
    assert message["To"].addresses[0].display_name == "Élise Dupont"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert filed["reference"] in text
    assert "Rue de la Station 12 bte B, 7000 Mons" in text
    assert "gestionnaire de dossier" in text
    assert "+32 470 12 34 56" in text
    link = re.search(r"https?://\S+/suivi\.html\?request=(\w+)#token=([\w.-]+)", text)
    assert link is not None
    assert link.group(0) in html
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert link.group(1) == filed["request_id"]
    assert api.get(f"/requests/{link.group(1)}?token={link.group(2)}").status == 200


def test_acknowledgement_follows_language(api: LocalApi) -> None:
    body = valid_request()
    body["applicant"]["language"] = "nl"
    request_id = api.post("/requests", body).json()["request_id"]

    entry = wait_for(lambda: api.emails_for(request_id), timeout=5)[0]

    message = email.message_from_bytes(Path(entry["path"]).read_bytes(),
                                       policy=email.policy.default)
    assert message["Content-Language"] == "nl"
    assert "Beste Élise Dupont" in message.get_body(preferencelist=("plain",)).get_content()


def test_same_idempotency_key_replays_answer(api: LocalApi) -> None:
    key = f"test-{uuid.uuid4()}"
    first = api.post("/requests", valid_request(), headers={"Idempotency-Key": key})
    wait_for(lambda: api.emails_for(first.json()["request_id"]), timeout=5)

    second = api.post("/requests", valid_request(), headers={"Idempotency-Key": key})

    assert first.status == 201
    assert second.status == 201
    assert second.json() == first.json()
    # Give a duplicate workflow time to send a second email, if there were one.
    wait_for(lambda: api.platform.functions["NotifyFunction"].invocations > 0)
    assert len(api.emails_for(first.json()["request_id"])) == 1


def test_reused_key_other_body_rejected(api: LocalApi) -> None:
    key = f"test-{uuid.uuid4()}"
    api.post("/requests", valid_request(), headers={"Idempotency-Key": key})

    reply = api.post("/requests", valid_request(notes="Autre demande"),
                     headers={"Idempotency-Key": key})

    assert reply.status == 422
    assert reply.json()["code"] == "idempotency_key_reused"


def test_requests_without_key_are_distinct(api: LocalApi) -> None:
    first = api.post("/requests", valid_request()).json()
    second = api.post("/requests", valid_request()).json()

    assert first["request_id"] != second["request_id"]
    assert first["reference"] != second["reference"]


def test_references_unique_under_concurrency(api: LocalApi) -> None:
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(lambda _: api.post("/requests", valid_request()), range(16)))

    references = [reply.json()["reference"] for reply in replies]
    assert all(reply.status == 201 for reply in replies)
    assert len(set(references)) == len(references)


def test_liege_outside_service_area(api: LocalApi) -> None:
    body = valid_request()
    body["site"].update(postal_code="4000", municipality="Liège")

    reply = api.post("/requests", body)

    assert reply.status == 422
    answer = reply.json()
    assert answer["code"] == "outside_service_area"
    assert {item["utility"] for item in answer["uncovered"]} == {"electricity", "gas", "water"}
    contacts = {contact["name"] for item in answer["uncovered"] for contact in item["contacts"]}
    assert contacts == {"RESA", "CILE"}
    assert "RESA" in answer["message"]
    assert "électricité" in answer["message"]
    assert set(errors_by_field(answer)) == {"connections[0]", "connections[1]", "connections[2]"}


def test_liege_outside_area_in_dutch(api: LocalApi) -> None:
    body = valid_request()
    body["site"].update(postal_code="4000", municipality="Liège")

    reply = api.post("/requests", body, headers={"Accept-Language": "nl-BE,nl;q=0.9"})

    assert reply.json()["code"] == "outside_service_area"
    assert reply.headers["Content-Language"] == "nl"
    assert "elektriciteit" in reply.json()["message"]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        (lambda body: body["connections"].append({"utility": "electricity", "power_kva": 9.2,
                                                  "phases": 3}),
         "connections", "too_many_connections"),
        (lambda body: body["connections"][0].update(meters=5), "connections[0].meters",
         "too_many_meters"),
        (lambda body: body["applicant"].update(phone="12345"), "applicant.phone",
         "phone_invalid"),
        (lambda body: body["applicant"].update(email="elise@"), "applicant.email",
         "email_invalid"),
    ],
    ids=["six connections", "five meters", "invalid phone", "invalid email"],
)
@pytest.mark.parametrize("language", ["fr", "nl"])
def test_invalid_input_names_field(api: LocalApi, change, field: str, code: str,
                                   language: str) -> None:
    body = valid_request()
    change(body)
    headers = {"Accept-Language": language} if language != "fr" else {}

    reply = api.post("/requests", body, headers=headers)

    assert reply.status == 422
    answer = reply.json()
    assert answer["code"] == "invalid_request"
    assert reply.headers["Content-Language"] == language
    assert field in errors_by_field(answer)
    assert errors_by_field(answer)[field]["code"] == code


def test_messages_french_by_default(api: LocalApi) -> None:
    body = valid_request()
    body["applicant"]["phone"] = "12345"

    answer = api.post("/requests", body).json()

    assert answer["message"].startswith("La demande contient des erreurs")
    assert "Numéro de téléphone invalide" in errors_by_field(answer)["applicant.phone"]["message"]


def test_messages_dutch_on_request(api: LocalApi) -> None:
    body = valid_request()
    body["applicant"]["phone"] = "12345"

    answer = api.post("/requests", body, headers={"Accept-Language": "nl"}).json()

    french = api.post("/requests", body).json()
    assert answer["message"] != french["message"]
    assert "telefoonnummer" in errors_by_field(answer)["applicant.phone"]["message"].lower()


@pytest.mark.parametrize("phone", ["0470 12 34 56", "0470/12.34.56", "+32 470 12 34 56",
                                   "0032 470 12 34 56"])
def test_phone_normalised_to_e164(api: LocalApi, phone: str) -> None:
    body = valid_request()
    body["applicant"]["phone"] = phone

    reply = api.post("/requests", body)

    assert reply.status == 201
    stored = repository.load_request(reply.json()["request_id"])
    assert stored["applicant"]["phone"] == "+32470123456"


def test_every_error_listed_at_once(api: LocalApi) -> None:
    body = valid_request(consent=False)
    body["connections"][1]["meters"] = 6
    body["connections"].append({"utility": "water", "meters": 1})

    answer = api.post("/requests", body).json()

    fields = errors_by_field(answer)
    assert fields["consent"]["code"] == "consent_required"
    assert fields["connections[1].meters"]["code"] == "too_many_meters"
    assert fields["connections[5]"]["code"] == "duplicate_connection"
    assert fields["connections"]["code"] == "too_many_connections"


@pytest.mark.parametrize(
    ("site_change", "field", "code"),
    [
        ({"postal_code": "7000", "municipality": "Namur"}, "site.municipality",
         "municipality_mismatch"),
        ({"postal_code": "9000", "municipality": "Gent"}, "site.postal_code",
         "outside_wallonia"),
        ({"postal_code": "0999"}, "site.postal_code", "postal_code_invalid"),
        ({"postal_code": "1999"}, "site.postal_code", "postal_code_unknown"),
    ],
    ids=["wrong municipality", "flemish", "malformed", "unknown"],
)
def test_site_checked(api: LocalApi, site_change: dict, field: str, code: str) -> None:
    body = valid_request()
    body["site"].update(site_change)

    answer = api.post("/requests", body).json()

    assert errors_by_field(answer)[field]["code"] == code


def test_locality_name_accepted(api: LocalApi) -> None:
    body = valid_request()
    body["site"].update(postal_code="7012", municipality="jemappes")

    assert api.post("/requests", body).status == 201


def test_dates_checked(api: LocalApi) -> None:
    body = valid_request(preferred_period={"from": "2020-01-01", "to": "2020-02-01"},
                         unavailable_days=["2020-01-01"])

    fields = errors_by_field(api.post("/requests", body).json())

    assert fields["preferred_period.from"]["code"] == "date_in_past"
    assert fields["preferred_period.to"]["code"] == "date_in_past"
    assert fields["unavailable_days[0]"]["code"] == "date_in_past"


def test_reversed_period_rejected(api: LocalApi) -> None:
    next_year = datetime.now(clock.BRUSSELS).year + 1
    body = valid_request(preferred_period={"from": f"{next_year}-03-01",
                                           "to": f"{next_year}-02-01"})

    fields = errors_by_field(api.post("/requests", body).json())

    assert fields["preferred_period.to"]["code"] == "period_reversed"


def test_schema_errors_are_localised(api: LocalApi) -> None:
    body = valid_request(project="castle", surprise=1)
    del body["applicant"]["last_name"]
    body["connections"][0]["utility"] = "steam"

    fields = errors_by_field(api.post("/requests", body).json())

    assert fields["project"]["code"] == "literal_error"
    assert fields["surprise"]["code"] == "extra_forbidden"
    assert fields["applicant.last_name"]["code"] == "missing"
    assert fields["applicant.last_name"]["message"] == "Ce champ est obligatoire."
    assert fields["connections[0].utility"]["code"] == "utility_invalid"


def test_malformed_json_is_400(api: LocalApi) -> None:
    reply = api.post("/requests", raw=b'{"applicant": ',
                     headers={"Content-Type": "application/json"})

    assert reply.status == 400
    assert reply.json()["code"] == "malformed_json"


def test_json_array_is_400(api: LocalApi) -> None:
    reply = api.post("/requests", raw=b"[]", headers={"Content-Type": "application/json"})

    assert reply.status == 400
    assert reply.json()["code"] == "body_not_object"


def test_oversized_body_is_413(api: LocalApi) -> None:
    body = valid_request(notes="x" * 70_000)

    reply = api.post("/requests", body)

    assert reply.status == 413
    assert reply.json()["code"] == "payload_too_large"


def test_form_encoded_body_is_415(api: LocalApi) -> None:
    reply = api.post("/requests", raw=b"a=b",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})

    assert reply.status == 415


def test_invalid_idempotency_key_is_400(api: LocalApi) -> None:
    reply = api.post("/requests", valid_request(), headers={"Idempotency-Key": "short"})

    assert reply.status == 400
    assert reply.json()["code"] == "idempotency_key_invalid"


def test_unknown_route_is_404(api: LocalApi) -> None:
    reply = api.get("/nowhere")

    assert reply.status == 404
    assert reply.json()["code"] == "route_not_found"


def reference_counter() -> int:
    table = boto3.resource("dynamodb").Table("RequestsTable")
    year = str(datetime.now(clock.BRUSSELS).year)
    item = table.get_item(Key={"PK": "COUNTER#reference", "SK": year}).get("Item")
    return int(item["value"]) if item else 0


def test_nothing_stored_when_rejected(api: LocalApi) -> None:
    api.post("/requests", valid_request())
    before = reference_counter()
    body = valid_request()
    body["site"].update(postal_code="4000", municipality="Liège")

    api.post("/requests", body)

    assert reference_counter() == before
