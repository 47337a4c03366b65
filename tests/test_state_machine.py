"""Every path of the request state machine, executed by moto from the real ASL definition.

The operators are the local simulators, answering through the real inbound endpoint with
real signatures; the survey is recorded through the real admin API.
"""

import json
from collections.abc import Iterator

import boto3
import pytest

from conftest import LocalApi, file_request, valid_request, wait_for
from connectmyhome import repository

PARTNERS = ("ores", "proximus", "swde", "voo")


@pytest.fixture(autouse=True)
def simulators_quote(api: LocalApi) -> Iterator[None]:
    """Give every test simulators that quote at once, whatever the test changes."""
    for operator_id in api.runtime.simulators.simulators:
        api.runtime.simulators.configure(operator_id, "quote", 0.0, "accept", "complete")
    yield
    for operator_id in api.runtime.simulators.simulators:
        api.runtime.simulators.configure(operator_id, "quote", 0.0, "accept", "complete")


def execution_of(api: LocalApi, reference: str, machine: str = "RequestStateMachine") -> dict:
    client = boto3.client("stepfunctions")
    arn = api.platform.state_machine_arns.get(machine, machine)
    execution_arn = arn.replace(":stateMachine:", ":execution:") + f":{reference}"
    return client.describe_execution(executionArn=execution_arn)


def finished(api: LocalApi, reference: str, machine: str = "RequestStateMachine") -> dict | None:
    execution = execution_of(api, reference, machine)
    return execution if execution["status"] != "RUNNING" else None


def state_names(execution_arn: str) -> list[str]:
    history = boto3.client("stepfunctions").get_execution_history(executionArn=execution_arn,
                                                                  maxResults=1000)
    return [event["stateEnteredEventDetails"]["name"] for event in history["events"]
            if "stateEnteredEventDetails" in event]


def status_of(request_id: str) -> str:
    return repository.load_request(request_id)["status"]


def record_survey(api: LocalApi, request_id: str, feasible: bool = True) -> None:
    wait_for(lambda: status_of(request_id) == "survey_pending")
    reply = api.post(f"/admin/requests/{request_id}/survey",
                     {"joint_works_feasible": feasible, "notes": "Visite faite."},
                     headers=api.admin_headers())
    assert reply.status == 202, reply.body


def emails_named(api: LocalApi, request_id: str, name: str) -> list[dict]:
    return [entry for entry in api.emails_for(request_id) if entry["email"] == name]


def test_waits_for_survey_after_acknowledgement(api: LocalApi) -> None:
    filed = file_request(api)

    wait_for(lambda: status_of(filed["request_id"]) == "survey_pending")

    execution = execution_of(api, filed["reference"])
    assert execution["status"] == "RUNNING"
    assert execution["name"] == filed["reference"]
    assert json.loads(execution["input"])["request_id"] == filed["request_id"]
    assert state_names(execution["executionArn"]) == ["SendAcknowledgement",
                                                      "AssignCaseManager", "AwaitSiteSurvey"]
    request = repository.load_request(filed["request_id"])
    assert request["case_manager"]["name"]
    assert request["GSI3PK"] == f"CASE_MANAGER#{request['case_manager']['id']}"


def offer_sent(api: LocalApi, filed: dict) -> bool:
    return bool(emails_named(api, filed["request_id"], "offer"))


def test_joint_path_sends_one_offer(api: LocalApi) -> None:
    filed = file_request(api)

    record_survey(api, filed["request_id"])
    wait_for(lambda: offer_sent(api, filed), timeout=60)

    execution = execution_of(api, filed["reference"])
    assert execution["status"] == "RUNNING"
    names = state_names(execution["executionArn"])
    assert names[-5:] == ["EvaluateSynergy", "JointOrHandOver", "BuildOffer", "SendOffer",
                          "AwaitCustomerDecision"]
    assert names.count("RequestQuote") == 4
    request = repository.load_request(filed["request_id"])
    assert request["status"] == "offer_sent"
    offer = request["offer"]
    assert [item["operator_id"] for item in offer["operators"]] == list(PARTNERS)
    assert sum(item["total_cents"] for item in offer["operators"]) == offer["total_cents"]
    assert offer["net_cents"] + offer["vat_cents"] == offer["total_cents"]
    free = {item["operator_id"] for item in offer["operators"] if item["free"]}
    assert free == {"proximus", "voo"}
    assert len(emails_named(api, filed["request_id"], "offer")) == 1


def test_every_operator_receives_quote_request(api: LocalApi) -> None:
    filed = file_request(api)

    record_survey(api, filed["request_id"])
    wait_for(lambda: offer_sent(api, filed), timeout=60)

    for operator_id in PARTNERS:
        received = api.runtime.simulators.simulators[operator_id].received
        assert [item["type"] for item in received
                if item["request_id"] == filed["request_id"]] == ["quote.requested"]


def test_fifth_operator_receives_quote_request(api: LocalApi) -> None:
    body = valid_request()
    body["connections"][4] = {"utility": "telecom", "operator": "fibreco"}
    filed = file_request(api, body)

    record_survey(api, filed["request_id"])
    wait_for(lambda: offer_sent(api, filed), timeout=60)

    received = api.runtime.simulators.simulators["fibreco"].received
    assert [item["type"] for item in received
            if item["request_id"] == filed["request_id"]] == ["quote.requested"]
    offer = repository.load_request(filed["request_id"])["offer"]
    assert "FibreCo" in [item["operator_name"] for item in offer["operators"]]


@pytest.mark.parametrize(
    ("behaviour", "cause"),
    [("decline", "not_feasible"), ("needs_extension", "network_extension_required")],
)
def test_operator_answer_hands_over(api: LocalApi, behaviour: str, cause: str) -> None:
    api.runtime.simulators.configure("swde", behaviour)
    filed = file_request(api)

    record_survey(api, filed["request_id"])
    execution = wait_for(lambda: finished(api, filed["reference"]), timeout=60)

    assert_handed_over(api, filed, execution, {"swde": cause})


def test_silent_operator_times_out(api: LocalApi) -> None:
    api.runtime.simulators.configure("voo", "silent")
    api.runtime.set_operator_settings("voo", quote_deadline_seconds=2)
    try:
        filed = file_request(api)
        record_survey(api, filed["request_id"])
        execution = wait_for(lambda: finished(api, filed["reference"]), timeout=60)
    finally:
        api.runtime.set_operator_settings("voo", quote_deadline_seconds=None)

    assert_handed_over(api, filed, execution, {"voo": "timed_out"})


def test_failing_endpoint_hands_over(api: LocalApi) -> None:
    api.runtime.simulators.configure("proximus", "failing")
    filed = file_request(api)

    record_survey(api, filed["request_id"])
    execution = wait_for(lambda: finished(api, filed["reference"]), timeout=90)

    assert_handed_over(api, filed, execution, {"proximus": "unreachable"})
    attempts = [item for item in api.runtime.simulators.simulators["proximus"].received
                if item["request_id"] == filed["request_id"]
                and item["type"] == "quote.requested"]
    assert len(attempts) >= 4
    assert len({item["webhook_id"] for item in attempts}) == 1
    events = [event["type"] for event in repository.load_events(filed["request_id"])]
    assert "operator.unreachable" in events


def test_survey_not_feasible_hands_over(api: LocalApi) -> None:
    filed = file_request(api)

    record_survey(api, filed["request_id"], feasible=False)
    execution = wait_for(lambda: finished(api, filed["reference"]), timeout=60)

    assert_handed_over(api, filed, execution,
                       dict.fromkeys(PARTNERS, "survey_not_feasible"))
    received = api.runtime.simulators.simulators["ores"].received
    assert "quote.requested" not in [item["type"] for item in received
                                     if item["request_id"] == filed["request_id"]]


def test_survey_timeout_hands_over(api: LocalApi) -> None:
    machine = api.platform.create_state_machine("RequestStateMachine", "ShortSurveyWait",
                                                {"SurveyTimeoutSeconds": "2"})
    filed = file_request(api)
    wait_for(lambda: status_of(filed["request_id"]) == "survey_pending")
    client = boto3.client("stepfunctions")
    client.stop_execution(executionArn=execution_of(api, filed["reference"])["executionArn"])

    client.start_execution(stateMachineArn=machine, name=filed["reference"],
                           input=json.dumps({"request_id": filed["request_id"]}))
    execution = wait_for(lambda: finished(api, filed["reference"], machine), timeout=60)

    assert "SurveyTimedOut" in state_names(execution["executionArn"])
    assert_handed_over(api, filed, execution, dict.fromkeys(PARTNERS, "survey_timed_out"))


def assert_handed_over(api: LocalApi, filed: dict, execution: dict,
                       causes: dict[str, str]) -> None:
    assert execution["status"] == "SUCCEEDED"
    names = state_names(execution["executionArn"])
    assert names[-3:] == ["NotifyOperatorsOfHandOver", "SendHandOverWebhook",
                          "SendHandOverEmail"] or names[-1] == "SendHandOverEmail"
    request = repository.load_request(filed["request_id"])
    assert request["status"] == "handed_over"
    assert {reason["operator_id"]: reason["cause"]
            for reason in request["handover_reasons"]} == causes
    assert len(emails_named(api, filed["request_id"], "handover")) == 1
    assert emails_named(api, filed["request_id"], "offer") == []
    for operator_id in request["operator_ids"]:
        simulator = api.runtime.simulators.simulators[operator_id]
        if simulator.behaviour == "failing":
            continue
        types = [item["type"] for item in simulator.received
                 if item["request_id"] == filed["request_id"]]
        assert "request.handed_over" in types, operator_id


def test_failed_email_marks_request_failed(api: LocalApi) -> None:
    sesv2 = boto3.client("sesv2")
    sender = api.platform.environment["SENDER_EMAIL"]
    sesv2.delete_email_identity(EmailIdentity=sender)
    try:
        filed = file_request(api)
        execution = wait_for(lambda: finished(api, filed["reference"]), timeout=60)
    finally:
        sesv2.create_email_identity(EmailIdentity=sender)

    assert execution["status"] == "FAILED"
    assert state_names(execution["executionArn"]) == ["SendAcknowledgement",
                                                      "RecordFailure", "RequestFailed"]
    assert status_of(filed["request_id"]) == "failed"
    failure = [event for event in repository.load_events(filed["request_id"])
               if event["type"] == "status.changed"][-1]
    assert failure["data"]["to"] == "failed"
    assert failure["data"]["execution_id"] == execution["executionArn"]
    assert api.emails_for(filed["request_id"]) == []


def test_failure_alerts_admins(api: LocalApi) -> None:
    sns = boto3.client("sns")
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="alerts-listener")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url,
                                         AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=api.platform.environment["ALERTS_TOPIC_ARN"], Protocol="sqs",
                  Endpoint=queue_arn)
    sesv2 = boto3.client("sesv2")
    sender = api.platform.environment["SENDER_EMAIL"]
    sesv2.delete_email_identity(EmailIdentity=sender)
    try:
        filed = file_request(api)
        wait_for(lambda: finished(api, filed["reference"]), timeout=60)
    finally:
        sesv2.create_email_identity(EmailIdentity=sender)

    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    alerts = [json.loads(json.loads(message["Body"])["Message"]) for message in messages]
    assert filed["request_id"] in [alert["request_id"] for alert in alerts]


def test_retried_notify_sends_once(api: LocalApi) -> None:
    filed = file_request(api)
    wait_for(lambda: api.emails_for(filed["request_id"]))
    task = {"request_id": filed["request_id"], "email": "acknowledgement",
            "step": "SendAcknowledgement"}

    first = api.platform.invoke("NotifyFunction", task)

    assert api.platform.invoke("NotifyFunction", task) == first
    assert len(api.emails_for(filed["request_id"])) == 1


@pytest.mark.parametrize("payload", [{"action": "explode"}, {}])
def test_progress_rejects_unknown_action(api: LocalApi, payload: dict) -> None:
    with pytest.raises(ValueError, match="unknown action"):
        api.platform.invoke("ProgressFunction", payload)
