"""The offer and hand-over emails, rendered in every language from their contexts."""

from __future__ import annotations

import re
from datetime import date
from importlib import resources
from typing import Any

import pytest
from jinja2 import StrictUndefined, UndefinedError, nodes
from markupsafe import escape

from connectmyhome import emails, i18n
from connectmyhome.notifications import display_phone, format_address
from connectmyhome.offer_emails import CAUSES, cause_sentence, handover_context, offer_context
from connectmyhome.pricing import build_offer, format_euros

LANGUAGES = ("fr", "nl", "de", "en")
TEMPLATES = resources.files("connectmyhome") / "templates" / "email"

REQUEST: dict[str, Any] = {
    "request_id": "01JABCDEF",
    "reference": "CMH-2026-000042",
    "applicant": {"first_name": "Élise", "last_name": "Dupont", "email": "elise@example.org",
                  "phone": "+32470123456", "language": "fr"},
    "site": {"street": "Rue de la Station", "house_number": "12", "box": "B",
             "postal_code": "7000", "municipality": "Mons"},
    "deadline": "2027-02-01",
}
QUOTES = [
    {"operator_id": "ores", "operator_name": "ORES", "valid_until": "2027-03-04",
     "lines": [{"label": "Raccordement électrique standard", "quantity": "1",
                "unit_price_cents": 120000, "vat_rate": 21}]},
    {"operator_id": "swde", "operator_name": "SWDE", "valid_until": "2027-02-20",
     "lines": [{"label": "Raccordement eau & compteur", "quantity": "1",
                "unit_price_cents": 95000, "vat_rate": 6},
               {"label": "Tranchée (m)", "quantity": "12.5", "unit_price_cents": 333,
                "vat_rate": 21}]},
    {"operator_id": "proximus", "operator_name": "Proximus", "valid_until": "2027-03-31",
     "lines": [{"label": "Raccordement standard", "quantity": "1", "unit_price_cents": 0,
                "vat_rate": 21}]},
    {"operator_id": "voo", "operator_name": "VOO", "valid_until": "2027-03-31", "lines": []},
]
OFFER = build_offer(QUOTES)
# An apostrophe and an ampersand, so that the checks see HTML escaping at work.
CASE_MANAGER = {"name": "Chloé D'Hondt", "email": "chloe.dhondt@connectmyhome.example",
                "phone": "+3265123456"}
TRACKING_URL = "https://connectmyhome.example/requests/01JABCDEF?token=sample-token&lang=fr"
HANDOVER_OPERATORS = [
    {"operator_id": "ores", "name": "ORES", "website": "https://www.ores.be", "phone": None},
    {"operator_id": "swde", "name": "SWDE", "website": "https://www.swde.be",
     "phone": "+3287878787"},
    {"operator_id": "voo", "name": "VOO", "website": "https://www.voo.be",
     "phone": "+3243000000"},
]
REASONS = [
    {"operator_id": "ores", "name": "ORES", "cause": "network_extension_required"},
    {"operator_id": "swde", "name": "SWDE", "cause": "timed_out"},
]

# Sentences that each language must show. The offer's "free" sentence appears once per
# operator whose total is 0.
FREE_SENTENCE = {
    "fr": "Ce raccordement standard est gratuit et ne demande aucun abonnement.",
    "nl": "Deze standaardaansluiting is gratis en vereist geen abonnement.",
    "de": "Dieser Standardanschluss ist kostenlos und ohne Abonnementpflicht.",
    "en": "This standard connection is free and requires no subscription.",
}
LINK_CHANGES_NOTHING = {
    "fr": "Ouvrir ce lien ne change rien à votre demande.",
    "nl": "Deze link openen verandert niets aan uw aanvraag.",
    "de": "Das Öffnen dieses Links ändert nichts an Ihrem Antrag.",
    "en": "Opening this link changes nothing in your request.",
}
ONE_WORKS_DAY = {
    "fr": "nous fixons un seul jour des travaux pour toutes les équipes",
    "nl": "leggen wij één dag van de werken vast voor alle ploegen",
    "de": "legen wir einen einzigen Tag der Arbeiten für alle Teams fest",
    "en": "we set one works day for all the crews",
}
VALID_UNTIL = {"fr": "20 février 2027", "nl": "20 februari 2027", "de": "20. Februar 2027",
               "en": "20 February 2027"}


def rendered_offer(language: str, offer: dict[str, Any] = OFFER) -> emails.RenderedEmail:
    context = offer_context(REQUEST, offer, CASE_MANAGER, TRACKING_URL, language)
    return emails.render("offer", language, context)


def rendered_handover(language: str, case_manager: dict[str, Any] | None = CASE_MANAGER,
                      ) -> emails.RenderedEmail:
    context = handover_context(REQUEST, HANDOVER_OPERATORS, case_manager, REASONS,
                               TRACKING_URL, language)
    return emails.render("handover", language, context)


def bodies(rendered: emails.RenderedEmail) -> list[tuple[str, str, bool]]:
    """Return (format, body, escaped) for the text and HTML body of an email."""
    return [("text", rendered.text, False), ("html", rendered.html, True)]


def body_shows(value: str, body: str, escaped: bool) -> bool:
    return (str(escape(value)) if escaped else value) in body


def test_environment_is_strict() -> None:
    assert emails._environment().undefined is StrictUndefined


@pytest.mark.parametrize("language", LANGUAGES)
def test_offer_shows_every_operator_and_total(language: str) -> None:
    rendered = rendered_offer(language)

    assert REQUEST["reference"] in rendered.subject
    for format_, body, escaped in bodies(rendered):
        where = f"{language} {format_}"
        assert body_shows(REQUEST["applicant"]["first_name"], body, escaped), where
        assert body_shows(REQUEST["reference"], body, escaped), where
        assert body_shows(format_address(REQUEST["site"], language), body, escaped), where
        for operator in OFFER["operators"]:
            assert body_shows(operator["operator_name"], body, escaped), where
            assert body_shows(format_euros(operator["total_cents"], language), body, escaped), where
            assert body_shows(format_euros(operator["net_cents"], language), body, escaped), where
            for line in operator["lines"]:
                assert body_shows(line["label"], body, escaped), where
                assert body_shows(format_euros(line["net_cents"], language), body, escaped), where
        assert body_shows(format_euros(OFFER["total_cents"], language), body, escaped), where
        assert body_shows(format_euros(OFFER["net_cents"], language), body, escaped), where
        assert "{{" not in body, where
        assert "{%" not in body, where


@pytest.mark.parametrize("language", LANGUAGES)
def test_offer_shows_vat_per_rate(language: str) -> None:
    rendered = rendered_offer(language)
    # The 21 % base of the whole offer: ORES 1 200,00 € + SWDE 41,63 € + Proximus 0,00 €.
    overall_21 = next(vat for vat in OFFER["vat_by_rate"] if vat["rate"] == 21)
    assert overall_21 == {"rate": 21, "base_cents": 124163, "vat_cents": 26074}

    for format_, body, escaped in bodies(rendered):
        for vat in OFFER["vat_by_rate"]:
            base = format_euros(vat["base_cents"], language)
            amount = format_euros(vat["vat_cents"], language)
            rate = re.escape(str(vat["rate"]))
            # "TVA 21 % sur 1 241,63 € : 260,74 €", or the HTML row with the same figures.
            pattern = (rf"{rate}\W*%\W+\w+ {re.escape(base)}( ?:|</th><td[^>]*>)"
                       rf" ?{re.escape(amount)}")
            assert re.search(pattern, body), f"{language} {format_}: VAT {vat['rate']} %"
        assert body_shows(format_euros(25200, language), body, escaped)


@pytest.mark.parametrize("language", LANGUAGES)
def test_offer_validity_link_and_contact(language: str) -> None:
    rendered = rendered_offer(language)

    # The earliest validity of the four quotes, SWDE's.
    assert VALID_UNTIL[language] == i18n.long_date(date(2027, 2, 20), language)
    for format_, body, escaped in bodies(rendered):
        where = f"{language} {format_}"
        assert VALID_UNTIL[language] in body, where
        assert body_shows(TRACKING_URL, body, escaped), where
        assert body_shows(CASE_MANAGER["name"], body, escaped), where
        assert body_shows(CASE_MANAGER["email"], body, escaped), where
        assert display_phone(CASE_MANAGER["phone"]) in body, where
        assert LINK_CHANGES_NOTHING[language] in body, where
        assert ONE_WORKS_DAY[language] in body, where
    assert "&amp;lang=fr" in rendered.html
    assert "D&#39;Hondt" in rendered.html
    assert f'href="tel:{CASE_MANAGER["phone"]}"' in rendered.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_offer_free_sentence(language: str) -> None:
    rendered = rendered_offer(language)
    free_count = sum(1 for operator in OFFER["operators"] if operator["free"])
    assert free_count == 2

    for _, body, _ in bodies(rendered):
        assert body.count(FREE_SENTENCE[language]) == free_count
        assert format_euros(0, language) in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_offer_without_free_operator(language: str) -> None:
    rendered = rendered_offer(language, build_offer(QUOTES[:2]))

    assert FREE_SENTENCE[language] not in rendered.text
    assert FREE_SENTENCE[language] not in rendered.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_offer_html_tables_accessible(language: str) -> None:
    html = rendered_offer(language).html

    assert f'<html lang="{language}">' in html
    headers = re.findall(r"<th\b[^>]*>", html)
    assert headers
    for header in headers:
        assert re.search(r'scope="(col|row)"', header), header
    money_cells = re.findall(r"<td\b([^>]*)>[^<]*€[^<]*</td>", html)
    # Per operator: each line's unit price and net, its net, one VAT row per rate, its total.
    expected_cells = sum(2 * len(operator["lines"]) + 2 + len(operator["vat_by_rate"])
                         for operator in OFFER["operators"])
    # The offer total: one row per operator, its net, one VAT row per rate, the total.
    expected_cells += len(OFFER["operators"]) + 2 + len(OFFER["vat_by_rate"])
    assert len(money_cells) == expected_cells
    for attributes in money_cells:
        assert "text-align:right" in attributes
    assert html.count("<caption") == len(OFFER["operators"]) + 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_offer_context_formats_values(language: str) -> None:
    context = offer_context(REQUEST, OFFER, CASE_MANAGER, TRACKING_URL, language)

    assert context["subject"] == {"reference": REQUEST["reference"]}
    assert context["total"] == format_euros(OFFER["total_cents"], language)
    assert context["valid_until"] == VALID_UNTIL[language]
    assert [operator["free"] for operator in context["operators"]] == [False, False, True, True]
    assert context["operators"][1]["lines"][1]["quantity"] == "12,5"
    assert context["case_manager"]["phone"] == display_phone(CASE_MANAGER["phone"])


def test_offer_missing_value_fails() -> None:
    context = offer_context(REQUEST, OFFER, CASE_MANAGER, TRACKING_URL, "fr")
    del context["valid_until"]

    with pytest.raises(UndefinedError, match="valid_until"):
        emails.render("offer", "fr", context)


@pytest.mark.parametrize("language", LANGUAGES)
def test_handover_shows_reasons_and_contacts(language: str) -> None:
    rendered = rendered_handover(language)

    assert REQUEST["reference"] in rendered.subject
    for format_, body, escaped in bodies(rendered):
        where = f"{language} {format_}"
        assert body_shows(REQUEST["reference"], body, escaped), where
        assert body_shows(format_address(REQUEST["site"], language), body, escaped), where
        for reason in REASONS:
            sentence = cause_sentence(reason["cause"], reason["name"], language)
            assert body_shows(sentence, body, escaped), f"{where}: {reason['cause']}"
        for operator in HANDOVER_OPERATORS:
            assert body_shows(operator["name"], body, escaped), where
            assert body_shows(operator["website"], body, escaped), where
            if operator["phone"]:
                assert display_phone(operator["phone"]) in body, where
        assert body_shows(CASE_MANAGER["name"], body, escaped), where
        assert body_shows(CASE_MANAGER["email"], body, escaped), where
        assert display_phone(CASE_MANAGER["phone"]) in body, where
        assert body_shows(TRACKING_URL, body, escaped), where
        assert "{{" not in body, where
    # ORES has no phone, so only SWDE, VOO and the case manager get a tel: link.
    assert rendered.html.count('href="tel:') == 3
    assert f'<html lang="{language}">' in rendered.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_handover_without_case_manager(language: str) -> None:
    rendered = rendered_handover(language, case_manager=None)

    for _, body, _ in bodies(rendered):
        assert "Hondt" not in body
        assert CASE_MANAGER["email"] not in body
        assert "VOO" in body
    assert rendered.html.count('href="tel:') == 2


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_cause_has_sentence(language: str) -> None:
    sentences = {cause: cause_sentence(cause, "VOO", language) for cause in CAUSES}

    for cause, sentence in sentences.items():
        assert "VOO" in sentence, cause
        assert sentence.endswith("."), cause
    assert len(set(sentences.values())) == len(CAUSES)


def test_unknown_cause_rejected() -> None:
    reasons = [{"operator_id": "voo", "name": "VOO", "cause": "bankrupt"}]

    with pytest.raises(ValueError, match="unknown hand-over cause 'bankrupt'"):
        handover_context(REQUEST, HANDOVER_OPERATORS, None, reasons, TRACKING_URL, "fr")


def test_unsupported_language_rejected() -> None:
    with pytest.raises(ValueError, match="unsupported language 'es'"):
        offer_context(REQUEST, OFFER, CASE_MANAGER, TRACKING_URL, "es")


def template_variables(name: str) -> set[str]:
    """Return the variables a template reads, attributes included, e.g. "operator.total"."""
    source = (TEMPLATES / name).read_text(encoding="utf-8")
    tree = emails._environment().parse(source)
    found = {node.name for node in tree.find_all(nodes.Name)}
    for node in tree.find_all(nodes.Getattr):
        target = node.node
        if isinstance(target, nodes.Name):
            found.add(f"{target.name}.{node.attr}")
    return found


@pytest.mark.parametrize("format_", ["txt", "html"])
@pytest.mark.parametrize("email", ["offer", "handover"])
@pytest.mark.parametrize("language", ["nl", "de", "en"])
def test_templates_use_same_variables(email: str, format_: str, language: str) -> None:
    french = template_variables(f"{email}.fr.{format_}.j2")

    assert template_variables(f"{email}.{language}.{format_}.j2") == french
