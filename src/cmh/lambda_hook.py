"""In-process dispatch of Lambda invocations on moto, without Docker.

moto's Step Functions interpreter invokes Lambda tasks through the Lambda API. With
`{"lambda": {"use_docker": False}}`, moto routes `Invoke` to `LambdaSimpleBackend.invoke`,
which only echoes the payload. This module replaces that one method so that an invocation of
a registered function runs its real handler in this process and returns its real result, or
reports its exception as a function error the way Lambda does.

Tested with moto 5.1 and 5.2 (see `pyproject.toml`); `tests/test_lambda_hook.py` fails when a
moto release changes the behaviour this relies on.
"""

import json
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.awslambda_simple.models import LambdaSimpleBackend

Handler = Callable[[dict[str, Any], Any], Any]
_original_invoke = LambdaSimpleBackend.invoke
_handlers: dict[str, "Registration"] = {}
_lock = threading.Lock()


@dataclass
class Registration:
    name: str
    handler: Handler
    arn: str
    memory_mb: int = 512
    timeout_seconds: int = 15
    invocations: int = field(default=0)
    # One invocation at a time, as one Lambda instance runs: handler modules keep per-event
    # state at module level (Powertools' resolver holds the current event).
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


@dataclass
class LambdaContext:
    """The parts of the Lambda context object that Powertools and the handlers read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_seconds * 1000


def register(registration: Registration) -> None:
    with _lock:
        _handlers[registration.name] = registration


def unregister_all() -> None:
    with _lock:
        _handlers.clear()


def context_for(registration: Registration) -> LambdaContext:
    return LambdaContext(function_name=registration.name,
                         invoked_function_arn=registration.arn,
                         memory_limit_in_mb=registration.memory_mb,
                         timeout_seconds=registration.timeout_seconds)


def run(registration: Registration, payload: Any) -> Any:
    """Run a handler once, alone; its exceptions propagate."""
    with registration.lock:
        registration.invocations += 1
        return registration.handler(payload, context_for(registration))


def _function_name(name_or_arn: str) -> str:
    """Return the function name of a name, a partial ARN or a full ARN (with or without alias)."""
    if ":function:" in name_or_arn:
        return name_or_arn.split(":function:", 1)[1].split(":", 1)[0]
    return name_or_arn.split(":", 1)[0]


def invoke(registration: Registration, payload: Any) -> tuple[Any, bool]:
    """Run a handler as Lambda would; return (result, failed)."""
    registration.invocations += 1
    try:
        return registration.handler(payload, context_for(registration)), False
    except Exception as error:
        return {
            "errorMessage": str(error),
            "errorType": type(error).__name__,
            "stackTrace": traceback.format_exception(error),
        }, True


def _invoke(self: LambdaSimpleBackend, function_name: str, qualifier: str | None, body: Any,
            headers: Any, response_headers: Any) -> bytes | None:
    registration = _handlers.get(_function_name(function_name))
    if registration is None:
        return _original_invoke(self, function_name, qualifier, body, headers, response_headers)

    raw = body.decode() if isinstance(body, bytes) else body
    payload = json.loads(raw) if raw else {}
    result, failed = invoke(registration, payload)
    try:
        encoded = json.dumps(result)
    except TypeError as error:
        # Lambda's Python runtime serialises results with plain json.dumps too.
        result = {"errorMessage": f"Unable to marshal response: {error}",
                  "errorType": "Runtime.MarshalError"}
        encoded = json.dumps(result)
        failed = True
    if failed:
        response_headers["x-amz-function-error"] = "Unhandled"
    return encoded.encode()


def install() -> None:
    """Route moto's Docker-free Lambda invocations to the registered handlers."""
    LambdaSimpleBackend.invoke = _invoke  # type: ignore[method-assign]


def uninstall() -> None:
    LambdaSimpleBackend.invoke = _original_invoke  # type: ignore[method-assign]
