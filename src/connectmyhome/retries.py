"""Classifying AWS failures into the ones a state-machine retry may fix and the rest."""

from collections.abc import Callable
from typing import TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from .errors import TransientError

T = TypeVar("T")
_TRANSIENT_CODES = {
    "ThrottlingException", "Throttling", "TooManyRequestsException",
    "ProvisionedThroughputExceededException", "RequestLimitExceeded",
    "InternalServerError", "InternalFailure", "ServiceUnavailable",
    "TransactionConflictException", "LimitExceededException",
}


def transient_on_failure(action: Callable[[], T]) -> T:
    """Run `action`, turning throttling, server and connection failures into TransientError."""
    try:
        return action()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in _TRANSIENT_CODES:
            raise TransientError(str(error)) from error
        raise
    except (BotoConnectionError, BotoCoreError) as error:
        raise TransientError(str(error)) from error
