"""Tests that every citizen language has the same messages and email templates as French."""

from __future__ import annotations

import json
import re
import string
from datetime import date
from importlib import resources
from typing import Any

import pytest
from jinja2 import meta

from connectmyhome import emails, i18n

SOURCE_LANGUAGE = "fr"
EXPECTED_LANGUAGES = ("fr", "nl", "de", "en")
PACKAGE = resources.files("connectmyhome")
# Email templates are named `<email>.<language>.<txt|html>.j2`. Names starting with an
# underscore, such as `_layout`, are shared pieces and not emails.
TEMPLATE_NAME = re.compile(
    r"^(?P<email>[a-z][a-z0-9_]*)\.(?P<language>[a-z]{2})\.(?P<format>txt|html)\.j2$"
)
DEADLINE = date(2027, 2, 1)

# A sample context per email, with the values a real request gives (see
# notifications.acknowledgement_context). Values avoid HTML special characters so that the
# rendered HTML contains them verbatim.
SAMPLE_CONTEXTS: dict[str, dict[str, Any]] = {
    "acknowledgement": {
        "subject": {"reference": "CMH-2026-7K3Q9"},
        "reference": "CMH-2026-7K3Q9",
        "first_name": "Amélie",
        "last_name": "Dubois",
        "phone": "+32 470 12 34 56",
        "address": "Rue de la Station 12 B, 7000 Mons",
        "connections": ["electricity: 1 meter, 9.2 kVA", "water: 1 meter"],
        "operators": "ORES, SWDE and Proximus",
        "deadline": DEADLINE,
        "operator_count": 3,
        "has_telecom": True,
        "preferred_period": None,
        "tracking_url": "https://connectmyhome.example/requests/01JABCDEF?token=sample-token",
    },
}
# Context values that each rendered email (text and HTML) must show, so that a translation
# cannot drop one of them silently.
SHOWN_VALUES = ("reference", "first_name", "last_name", "phone", "address", "operators",
                "tracking_url")


def load_catalog(language: str) -> dict[str, dict[str, str]]:
    path = PACKAGE / "locales" / f"{language}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def placeholders(message: str) -> set[str]:
    """Return the field names of a str.format message, e.g. {"count"} for "{count} meters"."""
    return {field for _, field, _, _ in string.Formatter().parse(message) if field is not None}


def template_files() -> dict[str, re.Match[str]]:
    """Return the email templates by file name, excluding shared pieces such as `_layout`."""
    folder = PACKAGE / "templates" / "email"
    found = {}
    for entry in folder.iterdir():
        if entry.name.startswith("_") or not entry.name.endswith(".j2"):
            continue
        match = TEMPLATE_NAME.match(entry.name)
        assert match, f"email template {entry.name} is not named <email>.<language>.<txt|html>.j2"
        found[entry.name] = match
    return found


def email_names() -> list[str]:
    return sorted({match["email"] for match in template_files().values()})


SOURCE_CATALOG = load_catalog(SOURCE_LANGUAGE)
SOURCE_MESSAGES = [(kind, key) for kind, messages in SOURCE_CATALOG.items() for key in messages]


def test_languages_are_fr_nl_de_en() -> None:
    assert i18n.LANGUAGES == EXPECTED_LANGUAGES


@pytest.mark.parametrize("language", EXPECTED_LANGUAGES)
def test_catalog_keys_match_french(language: str) -> None:
    catalog = load_catalog(language)
    assert set(catalog) == set(SOURCE_CATALOG), "kinds differ from fr.json"
    for kind, messages in SOURCE_CATALOG.items():
        missing = set(messages) - set(catalog[kind])
        extra = set(catalog[kind]) - set(messages)
        assert not missing, f"{language}.json lacks {kind}: {sorted(missing)}"
        assert not extra, f"{language}.json has keys absent from fr.json in {kind}: {sorted(extra)}"


@pytest.mark.parametrize("language", EXPECTED_LANGUAGES)
def test_messages_are_not_empty(language: str) -> None:
    for kind, messages in load_catalog(language).items():
        for key, message in messages.items():
            assert isinstance(message, str), f"{language}: {kind}.{key} is not a string"
            assert message.strip(), f"{language}: {kind}.{key} is empty"


@pytest.mark.parametrize("language", [lang for lang in EXPECTED_LANGUAGES if lang != "fr"])
@pytest.mark.parametrize(("kind", "key"), SOURCE_MESSAGES)
def test_placeholders_match_french(language: str, kind: str, key: str) -> None:
    message = load_catalog(language).get(kind, {}).get(key)
    if message is None:
        pytest.fail(f"{language}.json lacks {kind}.{key}")
    assert placeholders(message) == placeholders(SOURCE_CATALOG[kind][key])


@pytest.mark.parametrize("language", EXPECTED_LANGUAGES)
def test_catalog_file_formatting(language: str) -> None:
    """Check UTF-8 without escapes and 2-space indent, so diffs between languages stay readable."""
    text = (PACKAGE / "locales" / f"{language}.json").read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"


def test_placeholders_parses_fields() -> None:
    assert placeholders("{count} compteur(s) pour {label}") == {"count", "label"}
    assert placeholders("Aucun champ") == set()


def test_templates_exist_in_every_language() -> None:
    files = template_files()
    assert files, "no email template found"
    variants = {(match["email"], match["format"]) for match in files.values()}
    missing = [
        f"{email}.{language}.{format_}.j2"
        for email, format_ in sorted(variants)
        for language in EXPECTED_LANGUAGES
        if f"{email}.{language}.{format_}.j2" not in files
    ]
    assert not missing, f"missing email templates: {missing}"
    unexpected = sorted(name for name, match in files.items()
                        if match["language"] not in EXPECTED_LANGUAGES)
    assert not unexpected, f"email templates in unsupported languages: {unexpected}"


@pytest.mark.parametrize("format_", ["txt", "html"])
@pytest.mark.parametrize("language", [lang for lang in EXPECTED_LANGUAGES if lang != "fr"])
@pytest.mark.parametrize("email", email_names())
def test_template_variables_match_french(email: str, language: str, format_: str) -> None:
    environment = emails._environment()
    folder = PACKAGE / "templates" / "email"

    def variables(lang: str) -> set[str]:
        source = (folder / f"{email}.{lang}.{format_}.j2").read_text(encoding="utf-8")
        return meta.find_undeclared_variables(environment.parse(source))

    assert variables(language) == variables(SOURCE_LANGUAGE)


# The offer and hand-over emails have their own rendering tests (test_offer_emails.py).
@pytest.mark.parametrize("language", EXPECTED_LANGUAGES)
@pytest.mark.parametrize("email", sorted(SAMPLE_CONTEXTS))
def test_email_renders_every_value(email: str, language: str) -> None:
    context = SAMPLE_CONTEXTS[email]

    rendered = emails.render(email, language, context)

    assert context["subject"]["reference"] in rendered.subject
    for body in (rendered.text, rendered.html):
        for name in SHOWN_VALUES:
            assert context[name] in body, f"{language} {email} does not show {name}"
        for line in context["connections"]:
            assert line in body
        assert i18n.long_date(context["deadline"], language) in body
        assert "{{" not in body
        assert "{%" not in body
    assert f'<html lang="{language}">' in rendered.html

