"""Email headers and MIME structure, without SES."""

import email
import email.policy
from datetime import UTC, datetime

import pytest

from connectmyhome.emails import RenderedEmail, ascii_address, build_message

RENDERED = RenderedEmail(subject="Votre demande CMH-2026-000001 est bien reçue",
                         text="Bonjour\n", html="<p>Bonjour</p>\n")


def built(name: str, address: str) -> email.message.EmailMessage:
    message = build_message(RENDERED, sender="noreply@connectmyhome.example",
                            recipient_name=name, recipient_email=address, language="fr",
                            request_id="01TEST", email_name="acknowledgement",
                            sent_at=datetime(2026, 12, 4, 12, 0, tzinfo=UTC))
    return email.message_from_bytes(message.as_bytes(), policy=email.policy.default)


def test_display_name_encoded_address_plain() -> None:
    message = built("Élise Dupont", "elise@example.org")

    raw = message.as_string()
    assert "<elise@example.org>" in raw
    assert message["To"].addresses[0].display_name == "Élise Dupont"


def test_name_with_comma_quoted() -> None:
    message = built("Dupont, Élise", "elise@example.org")

    address = message["To"].addresses[0]
    assert address.display_name == "Dupont, Élise"
    assert address.addr_spec == "elise@example.org"


def test_international_domain_punycoded() -> None:
    message = built("Élise", "elise@exemple-été.be")

    assert message["To"].addresses[0].addr_spec == "elise@xn--exemple-t-i4ab.be"


def test_non_ascii_local_part_rejected() -> None:
    with pytest.raises(ValueError, match="ASCII"):
        ascii_address("élise@example.org")


def test_overlong_address_rejected() -> None:
    with pytest.raises(ValueError, match="254"):
        ascii_address("a" * 64 + "@" + ".".join(["b" * 60] * 3) + ".example")


def test_text_and_html_alternatives() -> None:
    message = built("Élise", "elise@example.org")

    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(preferencelist=("plain",)).get_content().splitlines() == ["Bonjour"]
    assert message.get_body(preferencelist=("html",)).get_content().splitlines() == [
        "<p>Bonjour</p>"]
    assert message["Subject"] == RENDERED.subject
    assert message["X-Connect-My-Home-Request"] == "01TEST"
    assert message["Content-Language"] == "fr"
