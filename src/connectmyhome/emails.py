"""Rendering the emails of a request and building their MIME messages.

Each email exists per language as two Jinja2 templates, `templates/email/<name>.<lang>.txt.j2`
and `<name>.<lang>.html.j2`; the subject is the message `emails.<name>_subject`.
"""

from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from . import i18n

# Custom headers that tie a sent email to its request, for support and the local outbox.
REQUEST_HEADER = "X-Connect-My-Home-Request"
EMAIL_HEADER = "X-Connect-My-Home-Email"
SENDER_NAME = "Connect my Home"
# SMTP line endings; lines up to RFC 5322's limit of 998 characters, because folding a long
# Subject makes Python put it on a continuation line, read back with a leading space.
MAIL_POLICY = SMTP.clone(max_line_length=998)
# RFC 5321 limits an address to 254 characters and SES rejects headers with longer ones.
MAX_ADDRESS_LENGTH = 254


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("connectmyhome", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["long_date"] = i18n.long_date
    return environment


def render(name: str, language: str, context: dict[str, Any]) -> RenderedEmail:
    environment = _environment()
    values = {**context, "language": language}
    subject = i18n.text("emails", f"{name}_subject", language, **context.get("subject", {}))
    text = environment.get_template(f"email/{name}.{language}.txt.j2").render(values)
    html = environment.get_template(f"email/{name}.{language}.html.j2").render(values)
    return RenderedEmail(subject=subject, text=text, html=html)


def ascii_address(address: str) -> str:
    """Return the address with its domain in punycode; SES takes only ASCII addresses."""
    local, _, domain = address.rpartition("@")
    if not local or not domain:
        raise ValueError(f"invalid email address: {address!r}")
    if not local.isascii():
        raise ValueError(f"email local part must be ASCII: {address!r}")
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise ValueError(f"invalid email domain in {address!r}: {error}") from error

    result = f"{local}@{ascii_domain}"
    if len(result) > MAX_ADDRESS_LENGTH:
        raise ValueError(f"email address longer than {MAX_ADDRESS_LENGTH} characters")
    return result


def build_message(
    rendered: RenderedEmail,
    sender: str,
    recipient_name: str,
    recipient_email: str,
    language: str,
    request_id: str,
    email_name: str,
    sent_at: datetime,
    attachments: list[Attachment] | None = None,
) -> EmailMessage:
    """Build a text and HTML alternative message, with attachments after it if any.

    Only display names are encoded; addresses stay ASCII.
    """
    sender_address = parseaddr(sender)[1] or sender
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = Address(display_name=SENDER_NAME, addr_spec=ascii_address(sender_address))
    message["To"] = Address(display_name=recipient_name, addr_spec=ascii_address(recipient_email))
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = make_msgid(domain=ascii_address(sender_address).split("@")[1])
    message["Auto-Submitted"] = "auto-generated"
    message[REQUEST_HEADER] = request_id
    message[EMAIL_HEADER] = email_name

    message.set_content(rendered.text, subtype="plain", charset="utf-8")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8")
    for attachment in attachments or []:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(attachment.data, maintype=maintype, subtype=subtype,
                               filename=attachment.filename, params=attachment.params)
    # set_content() drops every Content-* header set before it, so this one comes last.
    message["Content-Language"] = language
    return message
