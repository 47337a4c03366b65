"""Errors of the domain, each with a stable code that callers and translations key on."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One invalid value: where it is (e.g. "connections[2].meters"), its code and parameters."""

    field: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)


class DomainError(Exception):
    code = "internal_error"

    def __init__(self, **params: Any) -> None:
        super().__init__(self.code)
        self.params = params


class InvalidRequestError(DomainError):
    """The request body breaks the schema or a rule of the joint service."""

    code = "invalid_request"

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__()
        self.errors = errors


@dataclass(frozen=True)
class UncoveredUtility:
    """A requested connection that no partner serves at the site, and whom to contact instead."""

    field: str
    utility: str
    label_key: str
    contacts: tuple[Any, ...]


class OutsideServiceAreaError(DomainError):
    code = "outside_service_area"

    def __init__(self, postal_code: str, municipality: str,
                 uncovered: list[UncoveredUtility]) -> None:
        super().__init__(postal_code=postal_code, municipality=municipality)
        self.uncovered = uncovered


class ActionNotAllowedError(DomainError):
    """An admin action that the request's status or history does not allow."""

    code = "action_not_allowed"


class RequestNotFoundError(DomainError):
    code = "not_found"


class UnauthorizedError(DomainError):
    code = "unauthorized"


class TransientError(Exception):
    """A dependency failed in a way that a later retry may fix (throttling, time-out).

    The state machine retries tasks that fail with this error name, with backoff.
    """
