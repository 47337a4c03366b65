"""Powertools idempotency, set up on the first call of the function instead of at import.

Powertools' DynamoDB persistence layer imports boto3, which would otherwise weigh on every
cold start of the handlers that use it, even when an invocation never reaches the
idempotent function (bench/cold_start.py measures it).
"""

import os
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

ResultT = TypeVar("ResultT")


class DeferredIdempotentFunction(Generic[ResultT]):
    """A function wrapped by Powertools' `idempotent_function` on its first call.

    The records go to the DynamoDB table named by IDEMPOTENCY_TABLE_NAME, and
    `config_options` are the arguments of Powertools' IdempotencyConfig. Call it with keyword
    arguments only, as `idempotent_function` requires.
    """

    def __init__(self, function: Callable[..., ResultT], data_keyword_argument: str,
                 **config_options: Any) -> None:
        self._function = function
        self._data_keyword_argument = data_keyword_argument
        self._config_options = config_options
        self._lambda_context: Any = None
        self._config: Any = None
        self._idempotent: Callable[..., ResultT] | None = None
        # Lambda runs one invocation at a time per instance, but the local runtime runs many
        # in one process: without the lock, each of a burst of first calls would build its
        # own DynamoDB client.
        self._set_up = threading.Lock()

    def register_lambda_context(self, lambda_context: Any) -> None:
        """Keep the invocation's context: Powertools expires in-progress records with it."""
        self._lambda_context = lambda_context
        if self._config is not None:
            self._config.register_lambda_context(lambda_context)

    def __call__(self, **arguments: Any) -> ResultT:
        if self._idempotent is None:
            with self._set_up:
                if self._idempotent is None:
                    self._idempotent = self._wrap()
        return self._idempotent(**arguments)

    def _wrap(self) -> Callable[..., ResultT]:
        from aws_lambda_powertools.utilities.idempotency import (
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
            idempotent_function,
        )

        self._config = IdempotencyConfig(**self._config_options)
        self._config.register_lambda_context(self._lambda_context)
        persistence = DynamoDBPersistenceLayer(table_name=os.environ["IDEMPOTENCY_TABLE_NAME"])
        return idempotent_function(self._function,
                                   data_keyword_argument=self._data_keyword_argument,
                                   config=self._config, persistence_store=persistence)


def idempotent_on_first_call(
        data_keyword_argument: str, **config_options: Any,
) -> Callable[[Callable[..., ResultT]], DeferredIdempotentFunction[ResultT]]:
    """Decorate like Powertools' `idempotent_function`, deferring its set-up to the first call.

    `config_options` are IdempotencyConfig's arguments; the persistence layer is DynamoDB's.
    """
    def decorate(function: Callable[..., ResultT]) -> DeferredIdempotentFunction[ResultT]:
        return DeferredIdempotentFunction(function, data_keyword_argument, **config_options)
    return decorate
