"""The `cmh` command: run the platform locally, on moto, without Docker or AWS."""

import argparse
import logging
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

DEFAULT_PORT = 3000


def find_project_root(start: Path) -> Path:
    """Return the nearest folder at or above `start` that contains template.yaml."""
    for folder in (start, *start.parents):
        if (folder / "template.yaml").is_file():
            return folder
    raise FileNotFoundError(f"no template.yaml in {start} or any parent folder")


def _behaviours(values: list[str]) -> dict[str, str]:
    behaviours = {}
    for value in values:
        operator_id, separator, behaviour = value.partition("=")
        if not separator:
            raise SystemExit(f"cmh: --simulate takes OPERATOR=BEHAVIOUR, not {value!r}")
        behaviours[operator_id.strip()] = behaviour.strip()
    return behaviours


def serve(arguments: argparse.Namespace) -> int:
    from .runtime import LocalRuntime

    root = find_project_root(Path(arguments.root).resolve())
    loopback = ("127.0.0.1", "0.0.0.0", "::1")
    runtime = LocalRuntime(
        root=root, state_dir=Path(arguments.state).resolve(), host=arguments.host,
        port=arguments.port,
        public_host="localhost" if arguments.host in loopback else arguments.host,
        operators_file=Path(arguments.operators).resolve() if arguments.operators else None,
        behaviours=_behaviours(arguments.simulate),
        schedule_seconds=arguments.schedule_seconds,
        # The simulated crews report their works at once, weeks before the works day.
        parameters={"AcceptWorksReportsBeforeWorksDay":
                    "false" if arguments.works_reports_from_works_day else "true"})
    try:
        runtime.start()
    except OSError as error:
        print(f"cmh serve: cannot listen on {arguments.host}:{arguments.port}: {error.strerror}. "
              "Stop the other program or pick another port with --port.", file=sys.stderr)
        return 1

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    base_url = runtime.base_url
    print(f"Connect my Home runs on {base_url} (template {root / 'template.yaml'})", flush=True)
    print(f"  health:     {base_url}/_local/health", flush=True)
    print(f"  outbox:     {base_url}/_local/outbox  ({runtime.outbox.folder})", flush=True)
    print(f"  simulators: {base_url}/_local/simulators", flush=True)
    print("  routes:     " + ", ".join(route.route_key for route in runtime.platform.routes),
          flush=True)
    print(f"  admin token (12 h; more with `cmh admin token`):\n    {runtime.admin_token()}",
          flush=True)
    try:
        runtime.serve_forever()
    except KeyboardInterrupt:
        print("Stopping.", flush=True)
    finally:
        runtime.stop()
    return 0


def admin_token(arguments: argparse.Namespace) -> int:
    from .auth import DevelopmentAuth

    path = Path(arguments.state).resolve() / "dev-auth.json"
    try:
        auth = DevelopmentAuth.load(path)
    except FileNotFoundError as error:
        print(f"cmh admin token: {error}", file=sys.stderr)
        return 1
    groups = [group for group in arguments.group if group]
    print(auth.issue(arguments.email, groups))
    return 0


def _admin_call(arguments: argparse.Namespace) -> tuple[str, str, dict[str, Any] | None]:
    """Return the method, path and body of the admin API call for one CLI action."""
    action = arguments.admin_command
    if action == "list":
        return "GET", "/admin/requests", None
    path = f"/admin/requests/{arguments.request}"
    bodies: dict[str, dict[str, Any] | None] = {
        "show": None,
        "cancel": {"reason": getattr(arguments, "reason", None)},
        "remind": {"operator_id": getattr(arguments, "operator_id", None)},
        "resend": {"email": getattr(arguments, "email", None)},
        "restart": None,
    }
    if action == "show":
        return "GET", path, None
    return "POST", f"{path}/{action}", bodies[action]


def admin_command(arguments: argparse.Namespace) -> int:
    """Run one admin action against the local platform or a deployed stack."""
    import json

    from .admin_client import AdminClient, AdminClientError, format_list, format_show

    try:
        if arguments.stack:
            client = AdminClient.deployed(arguments.stack, arguments.token, arguments.language)
        else:
            client = AdminClient.local(Path(arguments.state).resolve(), arguments.language)

        action = arguments.admin_command
        method, path, body = _admin_call(arguments)
        query = None
        if action == "list":
            query = {"status": arguments.status, "operator": arguments.operator,
                     "case_manager": arguments.case_manager,
                     "overdue": "true" if arguments.overdue else "",
                     "open": "true" if arguments.open else "",
                     "limit": str(arguments.limit), "cursor": arguments.cursor}
        status, answer = client.call(method, path, body, query=query)
    except AdminClientError as error:
        print(f"cmh admin: {error}", file=sys.stderr)
        return 1

    if status >= 400:
        print(f"cmh admin: HTTP {status}: {json.dumps(answer, ensure_ascii=False)}",
              file=sys.stderr)
        return 2
    if arguments.json:
        print(json.dumps(answer, ensure_ascii=False, indent=2))
    elif action == "list":
        print(format_list(answer))
    elif action == "show":
        print(format_show(answer))
    else:
        print(json.dumps(answer, ensure_ascii=False, indent=2))
    return 0


def operator_send(arguments: argparse.Namespace) -> int:
    """Sign an event with an operator's development secret and post it, as the operator."""
    import json
    import urllib.error
    import urllib.request

    from connectmyhome import webhooks

    state_path = Path(arguments.state).resolve() / "local.json"
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        print(f"cmh operator send: {state_path} not found: start the local platform first "
              "(make run)", file=sys.stderr)
        return 1
    secret = state["operator_secrets"].get(arguments.operator)
    if secret is None:
        known = ", ".join(sorted(state["operator_secrets"]))
        print(f"cmh operator send: no operator {arguments.operator!r}; known: {known}",
              file=sys.stderr)
        return 1

    text = arguments.data
    if text.startswith("@"):
        text = Path(text[1:]).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        print(f"cmh operator send: DATA is not valid JSON: {error}", file=sys.stderr)
        return 1

    body = webhooks.encode_event(arguments.type, data)
    message_id = arguments.webhook_id or f"cli_{arguments.operator}_{time.time_ns()}"
    headers = webhooks.signature_headers([secret], message_id, body)
    url = f"{state['base_url']}/operators/{arguments.operator}/webhooks"
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={**headers, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            status, reply = answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        status, reply = error.code, error.read().decode()

    print(f"webhook-id: {message_id}\nHTTP {status}\n{reply}")
    return 0 if 200 <= status < 300 else 2


def demo(arguments: argparse.Namespace) -> int:
    from .demo import run_demo

    root = find_project_root(Path(arguments.root).resolve())
    return run_demo(root, Path(arguments.state).resolve(), arguments.scenario,
                    Path(arguments.platform_state).resolve())


def _add_admin_parsers(commands: Any) -> None:
    admin_parser = commands.add_parser("admin", help="case managers' and admins' commands")
    admin_commands = admin_parser.add_subparsers(dest="admin_command", required=True)
    token_parser = admin_commands.add_parser(
        "token", help="print a development admin token for the running local platform")
    token_parser.add_argument("--email", default="case.manager@example.org",
                              help="email claim of the token (default: case.manager@example.org)")
    token_parser.add_argument("--group", action="append", default=None,
                              help="Cognito group claim; repeat for several (default: admins; "
                                   "--group '' for none)")
    token_parser.add_argument("--state", default=".cmh",
                              help="state folder of the running platform (default: .cmh)")
    token_parser.set_defaults(run=admin_token)

    def add_target(command: argparse.ArgumentParser) -> None:
        command.add_argument("--state", default=".cmh",
                             help="state folder of the running local platform (default: .cmh)")
        command.add_argument("--stack", help="name of a deployed stack (uses AWS credentials)")
        command.add_argument("--token", help="Cognito ID token for a deployed stack "
                                             "(default: $CMH_ADMIN_TOKEN)")
        command.add_argument("--language", default="fr", choices=["fr", "nl", "de", "en"],
                             help="language of labels and messages (default: fr)")
        command.add_argument("--json", action="store_true", help="print the raw JSON response")
        command.set_defaults(run=admin_command)

    list_parser = admin_commands.add_parser("list", help="list requests, newest first")
    list_parser.add_argument("--open", action="store_true",
                             help="only open requests, earliest deadline first")
    list_parser.add_argument("--status", help="only this status, e.g. quoting")
    list_parser.add_argument("--operator", help="only requests of this operator, e.g. ores")
    list_parser.add_argument("--case-manager", help="only this case manager's id")
    list_parser.add_argument("--overdue", action="store_true",
                             help="only open requests past their six-week deadline")
    list_parser.add_argument("--limit", type=int, default=25, help="page size (default: 25)")
    list_parser.add_argument("--cursor", help="cursor of the next page, from a previous list")
    add_target(list_parser)
    for name, text in (("show", "print a request with its timeline and execution history"),
                       ("cancel", "cancel a request; its customer and operators are told"),
                       ("remind", "send an operator its waiting event again"),
                       ("resend", "send one of the request's emails again"),
                       ("restart", "start a failed request's workflow again")):
        command = admin_commands.add_parser(name, help=text)
        command.add_argument("request", help="request id or reference (CMH-2026-000123)")
        if name == "cancel":
            command.add_argument("--reason", help="reason given to the customer")
        if name == "remind":
            command.add_argument("operator_id", help="operator to remind, e.g. ores")
        if name == "resend":
            command.add_argument("email", help="email to send again, e.g. offer")
        add_target(command)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cmh", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve_parser = commands.add_parser(
        "serve", help="run the whole platform locally: API, state machine, emails to .eml files")
    serve_parser.add_argument("--host", default="127.0.0.1",
                              help="address to listen on (default: 127.0.0.1)")
    serve_parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                              help=f"TCP port to listen on (default: {DEFAULT_PORT})")
    serve_parser.add_argument("--state", default=".cmh",
                              help="folder for the outbox of .eml files (emptied at start), "
                                   "the operator registry and the development auth key "
                                   "(default: .cmh)")
    serve_parser.add_argument("--operators", metavar="FILE",
                              help="operator registry to merge over the packaged partners, "
                                   "JSON {\"operators\": [...]}, e.g. to add an operator")
    serve_parser.add_argument("--simulate", action="append", default=[],
                              metavar="OPERATOR=BEHAVIOUR",
                              help="behaviour of an operator simulator: quote, decline, "
                                   "needs_extension, slow, silent, invalid_payload or failing "
                                   "(default: quote); repeat for several operators")
    serve_parser.add_argument("--works-reports-from-works-day", action="store_true",
                              help="refuse works reports before the works day, as deployed "
                                   "(default: accept them, since the simulators report at "
                                   "once)")
    serve_parser.add_argument("--schedule-seconds", type=float, default=None,
                              help="run scheduled functions (the watchdog) this often, in "
                                   "seconds (default: the template's rate, 15 minutes)")
    serve_parser.add_argument("--root", default=".",
                              help="project folder holding template.yaml (default: search "
                                   "upwards from the current folder)")
    serve_parser.add_argument("--log-level", default="WARNING",
                              choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                              help="level of the local runtime's own logs (default: WARNING)")
    serve_parser.set_defaults(run=serve)

    _add_admin_parsers(commands)

    operator_parser = commands.add_parser(
        "operator", help="act as an operator against the running local platform")
    operator_commands = operator_parser.add_subparsers(dest="operator_command", required=True)
    send_parser = operator_commands.add_parser(
        "send", help="sign an event with the operator's development secret and post it to "
                     "POST /operators/OPERATOR/webhooks")
    send_parser.add_argument("operator", help="operator id, e.g. ores")
    send_parser.add_argument("type", help="event type, e.g. quote.submitted")
    send_parser.add_argument("data", help="the event's data as JSON, or @FILE to read it")
    send_parser.add_argument("--webhook-id",
                             help="delivery id; repeat one to test deduplication "
                                  "(default: a new id)")
    send_parser.add_argument("--state", default=".cmh",
                             help="state folder of the running platform (default: .cmh)")
    send_parser.set_defaults(run=operator_send)

    demo_parser = commands.add_parser(
        "demo", help="run a fresh local platform through one request and print its timeline")
    demo_parser.add_argument("--scenario", default="joint",
                             choices=["joint", "handover", "decline", "expiry", "rejected_day"],
                             help="joint: the whole lifecycle to completed (default); "
                                  "handover: SWDE declines to quote; decline: the customer "
                                  "declines the offer; expiry: the offer expires unanswered; "
                                  "rejected_day: ORES rejects the first works day")
    demo_parser.add_argument("--state", default=".cmh/demo",
                             help="folder of the demo platforms, one subfolder per scenario "
                                  "(default: .cmh/demo)")
    demo_parser.add_argument("--platform-state", default=".cmh",
                             help="state folder of a platform started with `make run`; the "
                                  "demo runs there when it answers, so that `cmh admin` sees "
                                  "the request afterwards (default: .cmh)")
    demo_parser.add_argument("--root", default=".",
                             help="project folder holding template.yaml (default: search "
                                  "upwards from the current folder)")
    demo_parser.set_defaults(run=demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    if getattr(arguments, "admin_command", None) == "token" and arguments.group is None:
        arguments.group = ["admins"]
    logging.basicConfig(level=getattr(logging, getattr(arguments, "log_level", "WARNING")),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return arguments.run(arguments)


if __name__ == "__main__":
    sys.exit(main())
