"""Deployment settings, read from the environment that template.yaml gives each function."""

import os
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Settings:
    table_name: str
    idempotency_table_name: str
    customer_token_secret_arn: str
    customer_token_days: int
    sender_email: str
    public_base_url: str
    state_machine_arn: str
    alerts_topic_arn: str
    operator_secrets_arn: str


@cache
def settings() -> Settings:
    """Read the settings once per process; a missing required variable raises KeyError."""
    return Settings(
        table_name=os.environ["TABLE_NAME"],
        idempotency_table_name=os.environ.get("IDEMPOTENCY_TABLE_NAME", ""),
        customer_token_secret_arn=os.environ.get("CUSTOMER_TOKEN_SECRET_ARN", ""),
        customer_token_days=int(os.environ.get("CUSTOMER_TOKEN_DAYS", "180")),
        sender_email=os.environ.get("SENDER_EMAIL", ""),
        public_base_url=os.environ.get("PUBLIC_BASE_URL", "").rstrip("/"),
        state_machine_arn=os.environ.get("STATE_MACHINE_ARN", ""),
        alerts_topic_arn=os.environ.get("ALERTS_TOPIC_ARN", ""),
        operator_secrets_arn=os.environ.get("OPERATOR_SECRETS_ARN", ""),
    )
