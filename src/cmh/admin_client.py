"""`cmh admin list|show|cancel|remind|resend|restart`: the admin API from the command line.

Against the local platform, the base URL and a development token come from its state folder.
Against a deployed stack (`--stack NAME`, with AWS credentials), the base URL is the stack's
ApiUrl output and the token is a Cognito ID token given with --token or CMH_ADMIN_TOKEN.
"""

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class AdminClientError(Exception):
    pass


@dataclass(frozen=True)
class AdminClient:
    base_url: str
    token: str
    language: str = "fr"

    @classmethod
    def local(cls, state_dir: Path, language: str) -> "AdminClient":
        from .auth import DevelopmentAuth

        try:
            state = json.loads((state_dir / "local.json").read_text(encoding="utf-8"))
            auth = DevelopmentAuth.load(state_dir / "dev-auth.json")
        except FileNotFoundError as error:
            raise AdminClientError(f"{error.filename} not found: start the local platform "
                                   "first (make run)") from error
        return cls(state["base_url"], auth.issue("cli.admin@example.org", ["admins"]), language)

    @classmethod
    def deployed(cls, stack: str, token: str | None, language: str) -> "AdminClient":
        token = token or os.environ.get("CMH_ADMIN_TOKEN")
        if not token:
            raise AdminClientError("a deployed stack needs a Cognito ID token: --token or "
                                   "CMH_ADMIN_TOKEN")
        import boto3

        outputs = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
        values = {item["OutputKey"]: item["OutputValue"] for item in outputs.get("Outputs", [])}
        if "ApiUrl" not in values:
            raise AdminClientError(f"stack {stack} has no ApiUrl output")
        return cls(values["ApiUrl"].rstrip("/"), token, language)

    def call(self, method: str, path: str, body: Any = None,
             query: dict[str, str] | None = None) -> tuple[int, Any]:
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode({key: value for key, value in query.items()
                                                 if value not in (None, "")})
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
            "Accept-Language": self.language})
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")
        except urllib.error.URLError as error:
            raise AdminClientError(f"cannot reach {self.base_url}: {error.reason}") from error


def format_list(page: dict[str, Any]) -> str:
    lines = [f"{'reference':17} {'status':15} {'deadline':10} {'overdue':7} "
             f"{'case manager':18} {'municipality'}"]
    for item in page["items"]:
        lines.append(f"{item['reference']:17} {item['status']:15} {item['deadline']:10} "
                     f"{'yes' if item['overdue'] else '':7} {item['case_manager'] or '':18} "
                     f"{item['postal_code']} {item['municipality']}")
    if page.get("next_cursor"):
        lines.append(f"(more: --cursor {page['next_cursor']})")
    return "\n".join(lines)


def format_show(view: dict[str, Any]) -> str:
    request = view["request"]
    lines = [f"{request['reference']}  {request['status']} ({request['status_label']})",
             f"  deadline {request['deadline']}{'  OVERDUE' if request['overdue'] else ''}"
             f"  case manager {request['case_manager'] or '-'}",
             f"  site {request['site']['postal_code']} {request['site']['municipality']}",
             "  operators: " + ", ".join(f"{item['operator_id']} ({item['state']})"
                                         for item in view["operators"])]
    for execution in view["executions"]:
        ended = (f", ended {execution['stopped_at']}" if execution.get("stopped_at") else "")
        lines.append(f"  execution {execution['name']}: {execution['status']} (started "
                     f"{execution['started_at']}{ended})")
    for waiting in view["waiting_on"]:
        lines.append(f"  waiting on {waiting['party']} for {waiting['step']} since "
                     f"{waiting['since']} (deadline {waiting['deadline']})")
    lines.append("Timeline:")
    for entry in view["timeline"]:
        detail = entry["data"].get("state") or entry["data"].get("to") or \
            entry["data"].get("email") or entry["data"].get("operator_id") or ""
        lines.append(f"  {entry['at']}  {entry['source']:9} {entry['type']:22} {detail}")
    return "\n".join(lines)
