"""Routes of an HTTP API function, resolved by Powertools' APIGatewayHttpResolver built on
first use.

Importing Powertools' event handler loads every resolver it has (AppSync, Bedrock, asyncio
and more), which costs a handler module about as much as the rest of its cold start. Handler
modules therefore register their routes and error handlers on an `HttpRouter` at import, and
the resolver is built, with the same routes in the same order, when the first event comes in.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

Function = Callable[..., Any]


class HttpRouter:
    """Routes and error handlers, handed to an APIGatewayHttpResolver on first use."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, str, Function]] = []
        self._error_handlers: list[tuple[type[Exception], Function]] = []
        self._resolver: APIGatewayHttpResolver | None = None

    def get(self, rule: str) -> Callable[[Function], Function]:
        return self._route("GET", rule)

    def post(self, rule: str) -> Callable[[Function], Function]:
        return self._route("POST", rule)

    def _route(self, method: str, rule: str) -> Callable[[Function], Function]:
        def register(function: Function) -> Function:
            self._routes.append((method, rule, function))
            return function

        return register

    def exception_handler(self, error: type[Exception]) -> Callable[[Function], Function]:
        def register(function: Function) -> Function:
            self._error_handlers.append((error, function))
            return function

        return register

    @property
    def resolver(self) -> "APIGatewayHttpResolver":
        """Return the resolver, building it with every registered route on first use."""
        if self._resolver is None:
            from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

            resolver = APIGatewayHttpResolver()
            for method, rule, function in self._routes:
                resolver.route(rule, method)(function)
            for error, function in self._error_handlers:
                resolver.exception_handler(error)(function)
            self._resolver = resolver
        return self._resolver

    @property
    def current_event(self) -> "APIGatewayProxyEventV2":
        return self.resolver.current_event

    def resolve(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        return self.resolver.resolve(event, context)
