"""POST /admin/requests/{request_id}/survey behind the emulated Cognito JWT authorizer."""

import jwt

from conftest import LocalApi, file_request, wait_for
from connectmyhome import repository


def survey_path(request_id: str) -> str:
    return f"/admin/requests/{request_id}/survey"


def pending_request(api: LocalApi) -> dict:
    filed = file_request(api)
    wait_for(lambda: repository.load_request(filed["request_id"])["status"] == "survey_pending")
    return filed


def test_survey_without_token_is_401(api: LocalApi) -> None:
    filed = pending_request(api)

    reply = api.post(survey_path(filed["request_id"]), {"joint_works_feasible": True})

    assert reply.status == 401


def test_survey_with_forged_token_is_401(api: LocalApi) -> None:
    filed = pending_request(api)
    forged = jwt.encode({"sub": "x", "cognito:groups": ["admins"],
                         "iss": api.runtime.auth.issuer, "aud": api.runtime.auth.audience,
                         "exp": 4102444800}, "not the key", algorithm="HS256")

    reply = api.post(survey_path(filed["request_id"]), {"joint_works_feasible": True},
                     headers={"Authorization": f"Bearer {forged}"})

    assert reply.status == 401


def test_survey_by_non_admin_is_403(api: LocalApi) -> None:
    filed = pending_request(api)

    reply = api.post(survey_path(filed["request_id"]), {"joint_works_feasible": True},
                     headers=api.admin_headers(groups=("operators",)))

    assert reply.status == 403
    assert reply.json()["code"] == "forbidden"


def test_survey_customer_token_is_401(api: LocalApi) -> None:
    filed = pending_request(api)
    customer_token = filed["tracking_url"].split("token=")[1]

    reply = api.post(survey_path(filed["request_id"]), {"joint_works_feasible": True},
                     headers={"Authorization": f"Bearer {customer_token}"})

    assert reply.status == 401


def test_survey_recorded_once(api: LocalApi) -> None:
    filed = pending_request(api)

    first = api.post(survey_path(filed["request_id"]),
                     {"joint_works_feasible": True, "notes": "Tranchée commune possible."},
                     headers=api.admin_headers())
    second = api.post(survey_path(filed["request_id"]), {"joint_works_feasible": True},
                      headers=api.admin_headers())

    assert first.status == 202
    assert second.status == 409
    assert second.json()["code"] == "survey_not_awaited"
    stored = repository.load_request(filed["request_id"])["survey"]
    assert stored["notes"] == "Tranchée commune possible."
    assert stored["recorded_by"] == "case.manager@example.org"


def test_survey_invalid_body_is_422(api: LocalApi) -> None:
    filed = pending_request(api)

    reply = api.post(survey_path(filed["request_id"]), {"joint_works_feasible": "perhaps"},
                     headers=api.admin_headers())

    assert reply.status == 422
    assert reply.json()["errors"][0]["field"] == "joint_works_feasible"


def test_survey_unknown_request_is_404(api: LocalApi) -> None:
    reply = api.post(survey_path("01NOTAREQUEST0000000000000"), {"joint_works_feasible": True},
                     headers=api.admin_headers())

    assert reply.status == 404
