"""Alerts to the admins, published to the SNS topic that ALERTS_TOPIC_ARN names."""

import json
import os
from functools import cache
from typing import Any

import boto3


@cache
def _sns() -> Any:
    return boto3.client("sns")


def publish(subject: str, details: dict[str, Any]) -> None:
    """Publish one alert with `subject`, its message being `details` as JSON."""
    _sns().publish(TopicArn=os.environ["ALERTS_TOPIC_ARN"], Subject=subject,
                   Message=json.dumps(details))
