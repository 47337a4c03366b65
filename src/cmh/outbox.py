"""The local outbox: every email SES accepted on moto, written as an .eml file and listed."""

import email
import email.policy
import logging
import re
import threading
from dataclasses import asdict, dataclass
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from connectmyhome.emails import EMAIL_HEADER, REQUEST_HEADER

from .platform import ACCOUNT_ID, REGION

logger = logging.getLogger("cmh.outbox")


@dataclass(frozen=True)
class OutboxEntry:
    message_id: str
    sent_at: str
    sender: str
    recipients: list[str]
    subject: str
    request_id: str | None
    email: str | None
    path: str


def _unique_addresses(values: list[Any]) -> list[str]:
    """Return each address once, without display names (moto lists To twice, encoded once)."""
    addresses: list[str] = []
    for _, address in getaddresses([str(value) for value in values]):
        if address and address not in addresses:
            addresses.append(address)
    return addresses


class Outbox:
    """Copies the messages of moto's SES backend to `folder`, in the order they were sent."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.entries: list[OutboxEntry] = []
        self._copied = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def clear_folder(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.eml"):
            old.unlink()

    def sync(self) -> list[OutboxEntry]:
        """Write the messages sent since the last call; return every entry so far."""
        from moto.ses.models import ses_backends

        with self._lock:
            sent = ses_backends[ACCOUNT_ID][REGION].sent_messages
            # SES may append while this loop runs, so the list is read one index at a time.
            while self._copied < len(sent):
                message = sent[self._copied]
                self._copied += 1
                raw = getattr(message, "raw_data", None)
                if raw is not None:
                    self.entries.append(self._write(message.id, raw, message.destinations))
            return list(self.entries)

    def _write(self, message_id: str, raw: str, destinations: Any) -> OutboxEntry:
        parsed = email.message_from_string(raw, policy=email.policy.default)
        sent_at = parsed["Date"].datetime.isoformat() if parsed["Date"] else ""
        safe_id = re.sub(r"[^A-Za-z0-9_.-]", "_", message_id)
        path = self.folder / f"{len(self.entries) + 1:05d}-{safe_id}.eml"
        path.write_text(raw, encoding="utf-8", newline="")
        logger.info("Email to %s written to %s", ", ".join(destinations), path)
        return OutboxEntry(
            message_id=message_id,
            sent_at=sent_at,
            sender=str(parsed["From"]),
            recipients=_unique_addresses([*destinations, *parsed.get_all("To", [])]),
            subject=str(parsed["Subject"]).strip(),
            request_id=parsed[REQUEST_HEADER],
            email=parsed[EMAIL_HEADER],
            path=str(path.resolve()),
        )

    def start(self, interval_seconds: float = 0.1) -> None:
        def run() -> None:
            while not self._stop.wait(interval_seconds):
                try:
                    self.sync()
                except Exception:
                    logger.exception("Failed to copy sent emails to the outbox")

        self._thread = threading.Thread(target=run, name="outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def listing(self, request_id: str | None = None) -> list[dict[str, Any]]:
        entries = self.sync()
        return [asdict(entry) for entry in entries
                if request_id is None or entry.request_id == request_id]
