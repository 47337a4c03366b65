"""The real ASL definition of template.yaml executed on moto, with in-process Lambda tasks."""

import json

import boto3
import pytest

from conftest import LocalApi, valid_request, wait_for
from connectmyhome import repository


def execution_of(api: LocalApi, reference: str) -> dict:
    client = boto3.client("stepfunctions")
    arn = api.platform.state_machine_arns["RequestStateMachine"]
    execution_arn = arn.replace(":stateMachine:", ":execution:") + f":{reference}"
    return client.describe_execution(executionArn=execution_arn)


def finished(api: LocalApi, reference: str) -> dict | None:
    execution = execution_of(api, reference)
    return execution if execution["status"] != "RUNNING" else None


def state_names(api: LocalApi, execution_arn: str) -> list[str]:
    history = boto3.client("stepfunctions").get_execution_history(executionArn=execution_arn,
                                                                  maxResults=1000)
    return [event["stateEnteredEventDetails"]["name"] for event in history["events"]
            if "stateEnteredEventDetails" in event]


def test_execution_named_after_reference(api: LocalApi) -> None:
    filed = api.post("/requests", valid_request()).json()

    execution = wait_for(lambda: finished(api, filed["reference"]))

    assert execution["name"] == filed["reference"]
    assert json.loads(execution["input"])["request_id"] == filed["request_id"]


def test_acknowledgement_path_succeeds(api: LocalApi) -> None:
    filed = api.post("/requests", valid_request()).json()

    execution = wait_for(lambda: finished(api, filed["reference"]))

    assert execution["status"] == "SUCCEEDED"
    assert state_names(api, execution["executionArn"]) == ["SendAcknowledgement",
                                                           "AwaitSiteSurvey"]
    request = repository.load_request(filed["request_id"])
    assert request["status"] == "survey_pending"
    event_types = [event["type"] for event in repository.load_events(filed["request_id"])]
    assert event_types == ["request.submitted", "email.sent", "status.changed"]


def test_stored_items_match_request(api: LocalApi) -> None:
    filed = api.post("/requests", valid_request()).json()

    request = repository.load_request(filed["request_id"])
    connections = repository.load_connections(filed["request_id"])

    assert request["reference"] == filed["reference"]
    assert request["site"]["nis_code"] == "53053"
    assert request["operator_ids"] == ["ores", "proximus", "swde", "voo"]
    assert [item["operator_id"] for item in connections] == ["ores", "ores", "swde",
                                                              "proximus", "voo"]
    assert request["GSI1PK"].startswith("STATUS#")


def test_failed_email_marks_request_failed(api: LocalApi) -> None:
    sesv2 = boto3.client("sesv2")
    sender = api.platform.environment["SENDER_EMAIL"]
    sesv2.delete_email_identity(EmailIdentity=sender)
    try:
        filed = api.post("/requests", valid_request()).json()
        execution = wait_for(lambda: finished(api, filed["reference"]), timeout=30)
    finally:
        sesv2.create_email_identity(EmailIdentity=sender)

    assert execution["status"] == "FAILED"
    assert state_names(api, execution["executionArn"]) == ["SendAcknowledgement",
                                                           "RecordFailure", "RequestFailed"]
    request = repository.load_request(filed["request_id"])
    assert request["status"] == "failed"
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
        filed = api.post("/requests", valid_request()).json()
        wait_for(lambda: finished(api, filed["reference"]), timeout=30)
    finally:
        sesv2.create_email_identity(EmailIdentity=sender)

    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    alerts = [json.loads(json.loads(message["Body"])["Message"]) for message in messages]
    assert filed["request_id"] in [alert["request_id"] for alert in alerts]


def test_retried_notify_sends_once(api: LocalApi) -> None:
    filed = api.post("/requests", valid_request()).json()
    wait_for(lambda: finished(api, filed["reference"]))
    task = {"request_id": filed["request_id"], "email": "acknowledgement",
            "step": "SendAcknowledgement"}

    first = api.platform.invoke("NotifyFunction", task)
    wait_for(lambda: api.emails_for(filed["request_id"]))

    assert api.platform.invoke("NotifyFunction", task) == first
    assert len(api.emails_for(filed["request_id"])) == 1


@pytest.mark.parametrize("payload", [{"action": "explode"}, {}])
def test_progress_rejects_unknown_action(api: LocalApi, payload: dict) -> None:
    with pytest.raises(ValueError, match="unknown action"):
        api.platform.invoke("ProgressFunction", payload)
