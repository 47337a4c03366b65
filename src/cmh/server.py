"""The local HTTP server: API Gateway (HTTP API, payload 2.0) in front of the handlers.

Requests become the events that API Gateway would send, routed by the template's HttpApi
events; `/_local/health` and `/_local/outbox` serve the local runtime itself.
"""

import base64
import json
import logging
import mimetypes
import re
import time
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from connectmyhome import i18n

from .auth import InvalidTokenError, authorizer_claims
from .platform import ACCOUNT_ID

if TYPE_CHECKING:
    from .runtime import LocalRuntime

logger = logging.getLogger("cmh.server")
# API Gateway's HTTP API rejects payloads over 10 MB before any function runs.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024


def api_gateway_event(method: str, target: str, headers: list[tuple[str, str]], body: bytes,
                      route_key: str, path_parameters: dict[str, str], client_ip: str,
                      host: str) -> dict[str, Any]:
    """Build the HTTP API payload 2.0 event of one request."""
    split = urlsplit(target)
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        joined[key] = f"{joined[key]},{value}" if key in joined else value

    query = {name: ",".join(values)
             for name, values in parse_qs(split.query, keep_blank_values=True).items()}
    try:
        text_body: str | None = body.decode("utf-8") if body else None
        is_base64 = False
    except UnicodeDecodeError:
        text_body = base64.b64encode(body).decode()
        is_base64 = True

    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": split.path,
        "rawQueryString": split.query,
        "headers": joined,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "local",
            "domainName": host,
            "domainPrefix": host.split(".", maxsplit=1)[0],
            "http": {"method": method, "path": split.path, "protocol": "HTTP/1.1",
                     "sourceIp": client_ip, "userAgent": joined.get("user-agent", "")},
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": is_base64,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if text_body is not None:
        event["body"] = text_body
    return event


def make_handler(runtime: "LocalRuntime") -> type[BaseHTTPRequestHandler]:
    """Build the request handler class of one runtime (its platform, outbox, simulators)."""
    simulator_path = re.compile(r"/_local/simulators/(?P<operator>[a-z0-9_-]+)(?P<hook>/webhooks)?")

    class Handler(BaseHTTPRequestHandler):
        server_version = "cmh-local"
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            logger.info("%s %s", self.address_string(), format % args)

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() not in ("content-length", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _send_json(self, status: int, value: Any, language: str = "fr") -> None:
            body = json.dumps(value, ensure_ascii=False, indent=2).encode()
            self._send(status, {"Content-Type": "application/json; charset=utf-8",
                                "Content-Language": language}, body)

        def _error(self, status: int, code: str, **params: Any) -> None:
            language = i18n.negotiate(self.headers.get("Accept-Language"))
            self._send_json(status, {"code": code,
                                     "message": i18n.text("errors", code, language, **params)},
                            language)

        def _handle(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_PAYLOAD_BYTES:
                self.close_connection = True
                self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "payload_too_large",
                            limit=MAX_PAYLOAD_BYTES)
                return
            body = self.rfile.read(length) if length else b""

            if split.path.startswith("/_local/"):
                self._handle_local(split.path, parse_qs(split.query), body)
                return

            found = runtime.platform.find_route(self.command, split.path)
            if found is None and self.command in ("GET", "HEAD") and self._serve_static(
                    split.path):
                return
            if found is None:
                self._error(HTTPStatus.NOT_FOUND, "route_not_found")
                return
            route, path_parameters = found

            event = api_gateway_event(self.command, self.path, list(self.headers.items()), body,
                                      route.route_key, path_parameters, self.client_address[0],
                                      self.headers.get("Host", f"localhost:{runtime.port}"))
            if route.authorizer is not None and not self._authorize(event):
                return
            try:
                answer = runtime.platform.invoke(route.function, event)
            except Exception:
                logger.exception("Function %s failed on %s", route.function, route.route_key)
                self._error(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error")
                return
            self._reply(answer)

        def _serve_static(self, path: str) -> bool:
            """Serve a file of the web/ folder, as the deployed site's bucket would."""
            folder = (runtime.root / "web").resolve()
            relative = unquote(path).lstrip("/") or "index.html"
            target = (folder / relative).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_relative_to(folder) or not target.is_file():
                return False
            content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            if content_type.startswith("text/") or content_type in ("application/javascript",
                                                                    "application/json"):
                content_type += "; charset=utf-8"
            self._send(HTTPStatus.OK, {"Content-Type": content_type,
                                       "Cache-Control": "no-cache"}, target.read_bytes())
            return True

        def _authorize(self, event: dict[str, Any]) -> bool:
            """Check the JWT as API Gateway's authorizer does; reply 401 when it fails."""
            try:
                claims = runtime.auth.verify(self.headers.get("Authorization"))
            except InvalidTokenError as error:
                logger.info("JWT rejected: %s", error)
                self._send_json(HTTPStatus.UNAUTHORIZED, {"message": "Unauthorized"})
                return False
            event["requestContext"]["authorizer"] = {
                "jwt": {"claims": authorizer_claims(claims), "scopes": None}}
            return True

        def _handle_local(self, path: str, query: dict[str, list[str]], body: bytes) -> None:
            if path == "/_local/health" and self.command in ("GET", "HEAD"):
                self._send_json(HTTPStatus.OK, runtime.describe())
                return
            if path == "/_local/outbox" and self.command in ("GET", "HEAD"):
                request_id = (query.get("request_id") or [None])[0]
                self._send_json(HTTPStatus.OK, {"emails": runtime.outbox.listing(request_id),
                                                "folder": str(runtime.outbox.folder.resolve())})
                return
            if path == "/_local/simulators" and self.command == "GET":
                self._send_json(HTTPStatus.OK, runtime.simulators.describe())
                return

            match = simulator_path.fullmatch(path)
            if match and match["hook"] and self.command == "POST":
                status, answer = runtime.simulators.receive(match["operator"],
                                                            dict(self.headers.items()), body)
                self._send_json(status, answer)
                return
            if match and not match["hook"] and self.command == "PUT":
                self._configure_simulator(match["operator"], body)
                return
            self._error(HTTPStatus.NOT_FOUND, "route_not_found")

        def _configure_simulator(self, operator_id: str, body: bytes) -> None:
            try:
                settings = json.loads(body or b"{}")
                if not isinstance(settings, dict):
                    raise TypeError("the body must be a JSON object")
                simulator = runtime.simulators.configure(
                    operator_id, settings.get("behaviour"), settings.get("delay_seconds"),
                    settings.get("works_day"), settings.get("works"))
            except KeyError:
                self._send_json(HTTPStatus.NOT_FOUND,
                                {"error": f"no simulator for operator {operator_id!r}"})
                return
            except (ValueError, TypeError) as error:
                self._send_json(HTTPStatus.BAD_REQUEST,
                                {"error": f"{error}; send {{\"behaviour\", "
                                          "\"delay_seconds\", \"works_day\" or "
                                          "\"works\": ...}"})
                return
            self._send_json(HTTPStatus.OK, simulator.describe())

        def _reply(self, answer: Any) -> None:
            if not isinstance(answer, dict) or "statusCode" not in answer:
                self._send_json(HTTPStatus.OK, answer)
                return
            body = answer.get("body") or ""
            data = base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode()
            headers = {str(name): str(value)
                       for name, value in (answer.get("headers") or {}).items()}
            for name, values in (answer.get("multiValueHeaders") or {}).items():
                headers[name] = ", ".join(str(value) for value in values)
            self._send(int(answer["statusCode"]), headers, data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

    return Handler
