"""One AWS call at a time on moto, as the local runtime serves requests on several threads.

moto's backends are not thread-safe: two concurrent DynamoDB transactions, for example,
deep-copy and change the same table at once and fail with "dictionary changed size during
iteration". AWS serves such calls atomically, so the local runtime serialises every call that
moto handles. Lambda invocations are the exception: they run a handler, which makes AWS calls
of its own, and holding the lock through them would run one handler at a time.

boto3's DynamoDB resources build condition expressions with one builder per resource, and
each build resets its placeholder counters. A Lambda process runs one invocation at a time.
Here the functions share the domain package's Table and run at once, so two builds could
interleave and swap placeholders ("Query condition missed key schema element"). Each build
now gets a builder of its own.

Tested with moto 5.1 and 5.2; `tests/test_moto_hooks.py` fails if the hook stops applying.
"""

import copy
import threading
from typing import Any

from boto3.dynamodb.conditions import ConditionExpressionBuilder
from boto3.dynamodb.transform import TransformationInjector
from moto.core.botocore_stubber import BotocoreStubber

_original_call = BotocoreStubber.__call__
_original_inject = TransformationInjector.inject_condition_expressions
_lock = threading.RLock()


def _is_lambda_invoke(request: Any) -> bool:
    url = getattr(request, "url", "") or ""
    return url.split("?")[0].endswith("/invocations")


def _serialised_call(self: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> Any:
    if _is_lambda_invoke(request):
        return _original_call(self, event_name, request, **kwargs)
    with _lock:
        return _original_call(self, event_name, request, **kwargs)


def _inject_with_own_builder(self: TransformationInjector, params: Any, model: Any,
                             **kwargs: Any) -> None:
    injector = copy.copy(self)
    injector._condition_builder = ConditionExpressionBuilder()
    _original_inject(injector, params, model, **kwargs)


def install() -> None:
    BotocoreStubber.__call__ = _serialised_call  # type: ignore[method-assign]
    TransformationInjector.inject_condition_expressions = (  # type: ignore[method-assign]
        _inject_with_own_builder)


def uninstall() -> None:
    BotocoreStubber.__call__ = _original_call  # type: ignore[method-assign]
    TransformationInjector.inject_condition_expressions = (  # type: ignore[method-assign]
        _original_inject)
