"""The yardstick of bench/cold_start.py: the smallest Powertools handler, logging one line."""

from typing import Any

from aws_lambda_powertools import Logger

logger = Logger()


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.info("Reference handler invoked")
    return {}
