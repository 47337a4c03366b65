"""The admin listings, one request in full, and the admin actions, through the API and CLI."""

import subprocess
import sys
from pathlib import Path

from test_state_machine import (
    emails_named,
    finished,
    record_survey,
    simulators_quote,  # noqa: F401 - the autouse fixture applies here too
)

from conftest import LocalApi, file_request, wait_for
from connectmyhome import repository


def admin(api: LocalApi, method: str, path: str, body=None, groups=("admins",)):
    return api.call(method, path, body, headers=api.admin_headers(groups=groups))


def test_list_without_token_is_401(api: LocalApi) -> None:
    assert api.get("/admin/requests").status == 401


def test_list_with_operator_token_is_403(api: LocalApi) -> None:
    assert admin(api, "GET", "/admin/requests", groups=("operators",)).status == 403


def test_list_with_customer_token_is_401(api: LocalApi) -> None:
    filed = file_request(api)
    token = filed["tracking_url"].split("#token=")[1]

    reply = api.get("/admin/requests", headers={"Authorization": f"Bearer {token}"})

    assert reply.status == 401


def test_list_filters_by_status(api: LocalApi) -> None:
    filed = file_request(api)
    wait_for(lambda: repository.load_request(filed["request_id"])["status"] == "survey_pending")

    page = admin(api, "GET", "/admin/requests?status=survey_pending&limit=100").json()

    assert filed["request_id"] in [item["request_id"] for item in page["items"]]
    assert {item["status"] for item in page["items"]} == {"survey_pending"}


def test_list_paginates(api: LocalApi) -> None:
    for _ in range(3):
        file_request(api)

    first = admin(api, "GET", "/admin/requests?limit=2").json()
    second = admin(api, "GET", f"/admin/requests?limit=2&cursor={first['next_cursor']}").json()

    assert len(first["items"]) == 2
    assert first["next_cursor"]
    ids = {item["request_id"] for item in first["items"]}
    assert not ids & {item["request_id"] for item in second["items"]}


def test_list_by_case_manager_and_operator(api: LocalApi) -> None:
    filed = file_request(api)
    manager = wait_for(lambda: repository.load_request(filed["request_id"]).get("case_manager"))

    by_manager = admin(api, "GET", f"/admin/requests?case_manager={manager['id']}&limit=100")
    by_operator = admin(api, "GET", "/admin/requests?operator=swde&limit=100")

    assert filed["request_id"] in [item["request_id"] for item in by_manager.json()["items"]]
    assert filed["request_id"] in [item["request_id"] for item in by_operator.json()["items"]]


def test_show_merges_execution_history(api: LocalApi) -> None:
    filed = file_request(api)
    wait_for(lambda: repository.load_request(filed["request_id"])["status"] == "survey_pending")

    view = admin(api, "GET", f"/admin/requests/{filed['reference']}").json()

    sources = {entry["source"] for entry in view["timeline"]}
    assert sources == {"request", "execution"}
    states = [entry["data"]["state"] for entry in view["timeline"]
              if entry["type"] == "state.entered"]
    assert states[:3] == ["SendAcknowledgement", "AssignCaseManager", "AwaitSiteSurvey"]
    assert view["waiting_on"][0]["step"] == "site_survey"
    assert view["current_states"][-1]["state"] == "AwaitSiteSurvey"


def test_cancel_stops_and_tells_everyone(api: LocalApi) -> None:
    filed = file_request(api)
    record_survey(api, filed["request_id"])
    wait_for(lambda: emails_named(api, filed["request_id"], "offer"), timeout=40)

    reply = admin(api, "POST", f"/admin/requests/{filed['request_id']}/cancel",
                  {"reason": "Demande faite en double."})

    assert reply.status == 200
    # AWS reports ABORTED; moto ends the waiting step with the cancellation error instead.
    execution = wait_for(lambda: finished(api, filed["reference"]), timeout=40)
    assert execution["status"] in ("ABORTED", "FAILED"), execution["status"]
    assert repository.load_request(filed["request_id"])["status"] == "cancelled"
    assert len(wait_for(lambda: emails_named(api, filed["request_id"], "cancelled"))) == 1
    for operator_id in ("ores", "proximus", "swde", "voo"):
        received = [item["type"] for item in
                    api.runtime.simulators.simulators[operator_id].received
                    if item["request_id"] == filed["request_id"]]
        assert received.count("request.cancelled") == 1
    again = admin(api, "POST", f"/admin/requests/{filed['request_id']}/cancel", {})
    assert again.status == 409


def test_remind_resends_waiting_step(api: LocalApi) -> None:
    api.runtime.simulators.configure("voo", "silent")
    filed = file_request(api)
    record_survey(api, filed["request_id"])
    wait_for(lambda: any(item["request_id"] == filed["request_id"]
                         for item in api.runtime.simulators.simulators["voo"].received))

    reply = admin(api, "POST", f"/admin/requests/{filed['request_id']}/remind",
                  {"operator_id": "voo"})

    assert reply.status == 200
    received = [item for item in api.runtime.simulators.simulators["voo"].received
                if item["request_id"] == filed["request_id"]]
    assert [item["type"] for item in received] == ["quote.requested", "quote.requested"]
    assert received[0]["webhook_id"] != received[1]["webhook_id"]
    events = [event["type"] for event in repository.load_events(filed["request_id"])]
    assert "operator.reminded" in events


def test_resend_sends_email_again(api: LocalApi) -> None:
    filed = file_request(api)
    wait_for(lambda: emails_named(api, filed["request_id"], "acknowledgement"))

    reply = admin(api, "POST", f"/admin/requests/{filed['request_id']}/resend",
                  {"email": "acknowledgement"})

    assert reply.status == 200
    assert len(wait_for(lambda: len(emails_named(api, filed["request_id"],
                                                 "acknowledgement")) == 2 and
                        emails_named(api, filed["request_id"], "acknowledgement"))) == 2


def test_restart_failed_execution(api: LocalApi) -> None:
    import boto3

    sesv2 = boto3.client("sesv2")
    sender = api.platform.environment["SENDER_EMAIL"]
    sesv2.delete_email_identity(EmailIdentity=sender)
    try:
        filed = file_request(api)
        wait_for(lambda: finished(api, filed["reference"]), timeout=60)
    finally:
        sesv2.create_email_identity(EmailIdentity=sender)
    assert repository.load_request(filed["request_id"])["status"] == "failed"

    reply = admin(api, "POST", f"/admin/requests/{filed['request_id']}/restart")

    assert reply.status == 202
    wait_for(lambda: repository.load_request(filed["request_id"])["status"] == "survey_pending",
             timeout=40)
    assert len(emails_named(api, filed["request_id"], "acknowledgement")) == 1


def run_cli(api: LocalApi, *arguments: str) -> subprocess.CompletedProcess[str]:
    cmh = Path(sys.executable).parent / "cmh"
    return subprocess.run([str(cmh), "admin", *arguments, "--state",
                           str(api.runtime.state_dir)], capture_output=True, text=True,
                          timeout=60, check=False)


def test_cli_list_and_show(api: LocalApi) -> None:
    filed = file_request(api)
    wait_for(lambda: repository.load_request(filed["request_id"])["status"] == "survey_pending")

    listing = run_cli(api, "list", "--limit", "100")
    shown = run_cli(api, "show", filed["reference"])

    assert listing.returncode == 0, listing.stderr
    assert filed["reference"] in listing.stdout
    assert shown.returncode == 0, shown.stderr
    assert "AwaitSiteSurvey" in shown.stdout
    assert "Timeline:" in shown.stdout


def test_silent_operator_reminded_then_escalated(api: LocalApi) -> None:
    api.runtime.simulators.configure("voo", "silent")
    api.runtime.set_operator_settings("voo", quote_deadline_seconds=10)
    try:
        filed = file_request(api)
        record_survey(api, filed["request_id"])
        wait_for(lambda: "deadline.escalated" in [
            event["type"] for event in repository.load_events(filed["request_id"])],
            timeout=30)
    finally:
        api.runtime.set_operator_settings("voo", quote_deadline_seconds=None)

    types = [event["type"] for event in repository.load_events(filed["request_id"])]
    assert types.index("operator.reminded") < types.index("deadline.escalated")
    escalations = emails_named(api, filed["request_id"], "escalation")
    manager = repository.load_request(filed["request_id"])["case_manager"]
    assert len(escalations) == 1
    assert escalations[0]["recipients"] == [manager["email"]]
    view = admin(api, "GET", f"/admin/requests/{filed['request_id']}").json()
    timeline_types = [entry["type"] for entry in view["timeline"]]
    assert "operator.reminded" in timeline_types
    assert "deadline.escalated" in timeline_types
    assert view["request"]["escalated"] is True


def test_cli_shows_demo_request(api: LocalApi, tmp_path: Path) -> None:
    """`cmh demo` runs on the running platform, then `cmh admin` lists and shows its request."""
    cmh = Path(sys.executable).parent / "cmh"
    demo = subprocess.run([str(cmh), "demo", "--platform-state", str(api.runtime.state_dir),
                           "--state", str(tmp_path)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    assert "Using the local platform running on" in demo.stdout
    reference = demo.stdout.split("Request filed: ", 1)[1].split(" ", 1)[0]

    listing = run_cli(api, "list", "--limit", "100")
    shown = run_cli(api, "show", reference)

    line = next(line for line in listing.stdout.splitlines() if line.startswith(reference))
    assert "completed" in line
    assert "2027-" in line or "2026-" in line
    assert "SendClosing" in shown.stdout
