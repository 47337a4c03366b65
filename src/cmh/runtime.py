"""The whole local runtime in one object: platform, HTTP server, outbox, simulators, auth.

`cmh serve`, `cmh demo` and the tests start it the same way.
"""

import json
import logging
import os
import secrets
import threading
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any

from connectmyhome import service_area

from .auth import DevelopmentAuth
from .outbox import Outbox
from .platform import REGION, Platform
from .simulators import Simulators

logger = logging.getLogger("cmh.runtime")
SECRET_BYTES = 32


class LocalHTTPServer(ThreadingHTTPServer):
    """The local platform's HTTP server, with room for bursts of connections.

    The standard library's server keeps 5 connections waiting and refuses the rest. The
    operator simulators and a few clients at once already exceed that.
    """

    request_queue_size = 256
    daemon_threads = True


def new_webhook_secret() -> str:
    import base64

    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


@dataclass
class LocalRuntime:
    root: Path
    state_dir: Path
    host: str = "127.0.0.1"
    port: int = 3000
    public_host: str = "localhost"
    operators_file: Path | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    behaviours: dict[str, str] = field(default_factory=dict)
    # Run scheduled functions this often instead of the template's rate, e.g. for tests.
    schedule_seconds: float | None = None

    platform: Platform = field(init=False)
    outbox: Outbox = field(init=False)
    simulators: Simulators = field(init=False)
    auth: DevelopmentAuth = field(init=False)
    server: LocalHTTPServer = field(init=False)
    base_url: str = field(init=False)
    _thread: threading.Thread | None = field(init=False, default=None)
    _stop_schedules: threading.Event = field(init=False, default_factory=threading.Event)

    def start(self, background: bool = False) -> "LocalRuntime":
        """Bind the port, build the platform from template.yaml, then serve."""
        from .server import make_handler

        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.server = LocalHTTPServer((self.host, self.port), make_handler(self))
        self.port = self.server.server_address[1]
        self.base_url = f"http://{self.public_host}:{self.port}"
        loopback_url = f"http://127.0.0.1:{self.port}"

        registry = self._write_registry(loopback_url)
        os.environ["OPERATOR_REGISTRY_FILE"] = str(registry)
        service_area.reload()

        self.platform = Platform(root=self.root, parameters={"PublicBaseUrl": self.base_url,
                                                             **self.parameters})
        self.platform.start()
        secrets_by_operator = self._provision_secrets()
        self.simulators = Simulators(loopback_url, secrets_by_operator)
        self._write_local_state(loopback_url, secrets_by_operator)
        for operator_id, behaviour in self.behaviours.items():
            self.simulators.configure(operator_id, behaviour)
        self.auth = self._create_auth()

        self._start_schedules()
        self.outbox = Outbox(self.state_dir / "outbox")
        self.outbox.clear_folder()
        self.outbox.start()
        if background:
            self._thread = threading.Thread(target=self.server.serve_forever,
                                            kwargs={"poll_interval": 0.1}, daemon=True)
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.server.serve_forever(poll_interval=0.2)

    def _start_schedules(self) -> None:
        """Invoke each scheduled function at its rate, as EventBridge would."""
        for function, rate in self.platform.schedules.items():
            interval = self.schedule_seconds or rate

            def run(function: str = function, interval: float = interval) -> None:
                while not self._stop_schedules.wait(interval):
                    event = {"source": "aws.events", "detail-type": "Scheduled Event",
                             "detail": {}, "resources": [f"local-schedule-{function}"]}
                    try:
                        self.platform.invoke(function, event)
                    except Exception:
                        logger.exception("Scheduled function %s failed", function)

            threading.Thread(target=run, name=f"schedule-{function}", daemon=True).start()

    def stop(self) -> None:
        self._stop_schedules.set()
        if self._thread is not None:
            self.server.shutdown()
        self.server.server_close()
        self.outbox.stop()
        self.platform.stop()
        os.environ.pop("OPERATOR_REGISTRY_FILE", None)
        service_area.reload()

    def _write_registry(self, loopback_url: str) -> Path:
        """Point every operator's webhook at its simulator, over the operators file if any."""
        text = resources.files("connectmyhome").joinpath("data/service_area.json").read_text(
            encoding="utf-8")
        entries = {entry["id"]: {"id": entry["id"]} for entry in json.loads(text)["partners"]}
        if self.operators_file is not None:
            document = json.loads(self.operators_file.read_text(encoding="utf-8"))
            for entry in document["operators"]:
                entries[entry["id"]] = {**entries.get(entry["id"], {}), **entry}
        for operator_id, entry in entries.items():
            entry["webhook"] = {"url": f"{loopback_url}/_local/simulators/{operator_id}/webhooks"}

        path = self.state_dir / "operators.json"
        path.write_text(json.dumps({"operators": list(entries.values())}, indent=2),
                        encoding="utf-8")
        return path

    def _provision_secrets(self) -> dict[str, str]:
        """Generate one webhook secret per operator and store them as the template's secret."""
        import boto3

        generated = {operator_id: new_webhook_secret()
                     for operator_id in service_area.partner_ids()}
        arn = self.platform.physical_ids["OperatorWebhookSecrets"]
        boto3.client("secretsmanager", region_name=REGION).put_secret_value(
            SecretId=arn, SecretString=json.dumps(generated))
        return generated

    def _write_local_state(self, loopback_url: str, secrets_by_operator: dict[str, str]) -> None:
        """Keep what `cmh operator send` needs to act as an operator: URL and secrets.

        The secrets are development secrets made at each start; the file is readable by the
        owner only.
        """
        path = self.state_dir / "local.json"
        path.write_text(json.dumps({"base_url": loopback_url,
                                    "operator_secrets": secrets_by_operator}, indent=2),
                        encoding="utf-8")
        path.chmod(0o600)

    def _create_auth(self) -> DevelopmentAuth:
        authorizers = [route.authorizer for route in self.platform.routes if route.authorizer]
        if authorizers:
            auth = DevelopmentAuth.create(authorizers[0].issuer, authorizers[0].audience[0])
        else:
            auth = DevelopmentAuth.create("local", "local")
        auth.save(self.state_dir / "dev-auth.json")
        return auth

    def set_operator_settings(self, operator_id: str, **values: Any) -> None:
        """Change an operator's registry entry while running, e.g. its quote deadline."""
        path = self.state_dir / "operators.json"
        document = json.loads(path.read_text(encoding="utf-8"))
        for entry in document["operators"]:
            if entry["id"] == operator_id:
                entry.update({key: value for key, value in values.items() if value is not None})
                for key in [key for key, value in values.items() if value is None]:
                    entry.pop(key, None)
        path.write_text(json.dumps(document, indent=2), encoding="utf-8")
        service_area.reload()

    def admin_token(self, email: str = "case.manager@example.org") -> str:
        return self.auth.issue(email, ["admins"])

    def describe(self) -> dict[str, Any]:
        return {"status": "ready", "base_url": self.base_url,
                "functions": sorted(self.platform.functions),
                "routes": [route.route_key for route in self.platform.routes],
                "state_machines": self.platform.state_machine_arns}
