"""The appointment, closing, declined and expired emails, and the works day's calendar file."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Any

import pytest
from icalendar import Calendar
from jinja2 import UndefinedError, nodes
from markupsafe import escape

from connectmyhome import clock, emails, i18n
from connectmyhome.notifications import display_phone, format_address
from connectmyhome.works_emails import (
    activation_steps,
    appointment_context,
    calendar_texts,
    closing_context,
    declined_context,
    expired_context,
    preparation_sentences,
    works_day_calendar,
)

LANGUAGES = ("fr", "nl", "de", "en")
EMAILS = ("appointment", "closing", "declined", "expired")
TEMPLATES = resources.files("connectmyhome") / "templates" / "email"

REQUEST: dict[str, Any] = {
    "request_id": "01JABCDEF",
    "reference": "CMH-2026-000042",
    "applicant": {"first_name": "Élise", "last_name": "Dupont", "email": "elise@example.org",
                  "phone": "+32470123456", "language": "fr"},
    "site": {"street": "Rue de la Station", "house_number": "12", "box": "B",
             "postal_code": "7000", "municipality": "Mons"},
    "connections_utilities": ["electricity", "gas", "water", "telecom", "telecom"],
    "offer": {"valid_until": "2027-02-20"},
}
WORKS_DAY = date(2027, 3, 1)
LONG_WORKS_DAY = {"fr": "1 mars 2027", "nl": "1 maart 2027", "de": "1. März 2027",
                  "en": "1 March 2027"}
VALID_UNTIL = {"fr": "20 février 2027", "nl": "20 februari 2027", "de": "20. Februar 2027",
               "en": "20 February 2027"}
# An apostrophe, so that the checks see HTML escaping at work.
CASE_MANAGER = {"name": "Chloé D'Hondt", "email": "chloe.dhondt@connectmyhome.example",
                "phone": "+3265123456"}
TRACKING_URL = "https://connectmyhome.example/requests/01JABCDEF?token=sample-token&lang=fr"
OPERATORS = [
    {"operator_id": "ores", "name": "ORES", "website": "https://www.ores.be", "phone": None},
    {"operator_id": "swde", "name": "SWDE", "website": "https://www.swde.be",
     "phone": "+3287878787"},
    {"operator_id": "proximus", "name": "Proximus", "website": "https://www.proximus.be",
     "phone": None},
    {"operator_id": "voo", "name": "VOO", "website": "https://www.voo.be", "phone": None},
]
REPORTS = [
    {"operator_id": "ores", "name": "ORES", "utilities": ["electricity", "gas"],
     "meters": [{"utility": "electricity", "ean": "541449200000000017",
                 "meter_number": "1SAG1100012345"},
                {"utility": "gas", "ean": "541449200000000024", "meter_number": None}]},
    {"operator_id": "swde", "name": "SWDE", "utilities": ["water"],
     "meters": [{"utility": "water", "ean": None, "meter_number": "22W123456"}]},
    {"operator_id": "proximus", "name": "Proximus", "utilities": ["telecom"], "meters": []},
    {"operator_id": "voo", "name": "VOO", "utilities": ["telecom"], "meters": []},
]

# Phrases that each language shows, or leaves out, depending on the request.
SMART_METER = {"fr": "compteur communicant", "nl": "slimme meter",
               "de": "intelligenter Zähler", "en": "smart meter"}
METER_PLACE = {"fr": "local technique", "nl": "meterkast", "de": "Zählerschrank",
               "en": "meter cabinet"}
PREPARATORY_WORKS = {"fr": "travaux préparatoires à votre charge",
                     "nl": "voorbereidende werken die u zelf uitvoert",
                     "de": "vorbereitenden Arbeiten, die Ihnen obliegen",
                     "en": "preparatory works that are yours to do"}
CALENDAR_FILE = {"fr": "fichier calendrier", "nl": "kalenderbestand", "de": "Kalenderdatei",
                 "en": "calendar file"}
SUPPLIER = {"fr": "fournisseur d'électricité", "nl": "elektriciteitsleverancier",
            "de": "Stromlieferanten", "en": "electricity supplier"}
NO_OBLIGATION = {"fr": "ne vous engage à aucun abonnement",
                 "nl": "verplicht u tot geen enkel abonnement",
                 "de": "verpflichtet Sie zu keinem Abonnement",
                 "en": "commits you to no subscription"}
OPERATORS_INFORMED = {"fr": "Nous en avons informé chaque opérateur.",
                  "nl": "We hebben elke operator daarvan op de hoogte gebracht.",
                  "de": "Wir haben jeden Betreiber darüber informiert.",
                  "en": "We have told each operator."}
NEW_REQUEST = {"fr": "nouvelle demande", "nl": "nieuwe aanvraag", "de": "neuen Antrag",
               "en": "new request"}
# Text with every character that iCalendar escapes or that folding could break.
TRICKY_DESCRIPTION = ("Équipes ORES, SWDE; Proximus et VOO.\n"
                      "Coffret à compteurs prêt, gaines posées; accès dégagé — merci !\n"
                      "Gestionnaire : Chloé D'Hondt, +32 65 12 34 56\\n reste littéral\n"
                      + "Zählerschrank, Leerrohre; Hauseinführung. " * 4)


def with_utilities(*utilities: str) -> dict[str, Any]:
    request = copy.deepcopy(REQUEST)
    request["connections_utilities"] = list(utilities)
    return request


def render_appointment(language: str, request: dict[str, Any] = REQUEST,
                       ) -> emails.RenderedEmail:
    context = appointment_context(request, WORKS_DAY, CASE_MANAGER, OPERATORS, TRACKING_URL,
                                  language)
    return emails.render("appointment", language, context)


def render_closing(language: str, reports: list[dict[str, Any]] = REPORTS,
                   ) -> emails.RenderedEmail:
    context = closing_context(REQUEST, reports, CASE_MANAGER, TRACKING_URL, language)
    return emails.render("closing", language, context)


def render_closed(email: str, language: str, request: dict[str, Any] = REQUEST,
                  ) -> emails.RenderedEmail:
    build = declined_context if email == "declined" else expired_context
    return emails.render(email, language, build(request, CASE_MANAGER, TRACKING_URL, language))


def bodies(rendered: emails.RenderedEmail) -> list[tuple[str, str, bool]]:
    """Return (format, body, escaped) for the text and HTML body of an email."""
    return [("text", rendered.text, False), ("html", rendered.html, True)]


def body_shows(value: str, body: str, escaped: bool) -> bool:
    return (str(escape(value)) if escaped else value) in body


def assert_common_values(rendered: emails.RenderedEmail, language: str) -> None:
    """Check the values every email of this module shows: greeting, request and contact."""
    assert REQUEST["reference"] in rendered.subject
    assert f'<html lang="{language}">' in rendered.html
    assert f'href="tel:{CASE_MANAGER["phone"]}"' in rendered.html
    assert f'href="mailto:{CASE_MANAGER["email"]}"' in rendered.html
    assert "D&#39;Hondt" in rendered.html
    assert "&amp;lang=fr" in rendered.html
    for format_, body, escaped in bodies(rendered):
        where = f"{language} {format_}"
        assert body_shows(REQUEST["applicant"]["first_name"], body, escaped), where
        assert body_shows(REQUEST["applicant"]["last_name"], body, escaped), where
        assert body_shows(REQUEST["reference"], body, escaped), where
        assert body_shows(format_address(REQUEST["site"], language), body, escaped), where
        assert body_shows(CASE_MANAGER["name"], body, escaped), where
        assert body_shows(CASE_MANAGER["email"], body, escaped), where
        assert display_phone(CASE_MANAGER["phone"]) in body, where
        assert body_shows(TRACKING_URL, body, escaped), where
        assert "{{" not in body, where
        assert "{%" not in body, where


# The appointment email


@pytest.mark.parametrize("language", LANGUAGES)
def test_appointment_shows_every_value(language: str) -> None:
    rendered = render_appointment(language)

    assert_common_values(rendered, language)
    assert LONG_WORKS_DAY[language] in rendered.subject
    for format_, body, escaped in bodies(rendered):
        where = f"{language} {format_}"
        assert LONG_WORKS_DAY[language] in body, where
        for operator in OPERATORS:
            assert body_shows(operator["name"], body, escaped), f"{where}: {operator['name']}"
        assert PREPARATORY_WORKS[language] in body, where
        assert CALENDAR_FILE[language] in body, where


@pytest.mark.parametrize("language", LANGUAGES)
def test_appointment_lists_every_preparation(language: str) -> None:
    rendered = render_appointment(language)
    preparations = preparation_sentences(["electricity", "gas", "water", "telecom"], language)

    assert len(preparations) == 5
    for format_, body, escaped in bodies(rendered):
        for sentence in preparations:
            assert body_shows(sentence, body, escaped), f"{language} {format_}: {sentence}"
        assert SMART_METER[language] in body
        assert METER_PLACE[language] in body
    assert rendered.html.count("<li>") == len(OPERATORS) + len(preparations) + 2


@pytest.mark.parametrize("language", LANGUAGES)
def test_appointment_without_electricity(language: str) -> None:
    rendered = render_appointment(language, with_utilities("water", "telecom"))

    for _, body, _ in bodies(rendered):
        assert SMART_METER[language] not in body
        assert METER_PLACE[language] in body
        assert i18n.text("utilities", "water", language) in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_appointment_telecom_only(language: str) -> None:
    rendered = render_appointment(language, with_utilities("telecom"))

    for _, body, _ in bodies(rendered):
        assert SMART_METER[language] not in body
        assert METER_PLACE[language] not in body
        assert PREPARATORY_WORKS[language] in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_preparations_name_requested_utilities(language: str) -> None:
    label = {utility: i18n.text("utilities", utility, language)
             for utility in ("electricity", "gas", "water", "telecom")}

    meter_place, sheaths, *_ = preparation_sentences(["gas", "telecom"], language)

    assert label["gas"] in meter_place
    assert label["telecom"] not in meter_place
    assert f"{label['gas']} {i18n.text('words', 'and', language)} {label['telecom']}" in sheaths
    assert label["water"] not in sheaths


def test_preparations_depend_on_utilities() -> None:
    assert len(preparation_sentences(["electricity"], "en")) == 5
    assert len(preparation_sentences(["gas", "water"], "en")) == 4
    assert len(preparation_sentences(["telecom"], "en")) == 3


def test_appointment_context_values() -> None:
    context = appointment_context(REQUEST, WORKS_DAY, CASE_MANAGER, OPERATORS, TRACKING_URL,
                                  "fr")

    assert context["subject"] == {"reference": REQUEST["reference"], "day": "1 mars 2027"}
    assert context["works_day"] == "1 mars 2027"
    assert context["operators"] == ["ORES", "SWDE", "Proximus", "VOO"]
    assert context["case_manager"]["phone"] == "+32 65 12 34 56"
    assert context["case_manager"]["phone_uri"] == "tel:+3265123456"


def test_appointment_unknown_utility_rejected() -> None:
    with pytest.raises(ValueError, match="unknown utilities \\['heat'\\]"):
        appointment_context(with_utilities("electricity", "heat"), WORKS_DAY, CASE_MANAGER,
                            OPERATORS, TRACKING_URL, "fr")


# The closing email


@pytest.mark.parametrize("language", LANGUAGES)
def test_closing_shows_operators_and_meters(language: str) -> None:
    rendered = render_closing(language)

    assert_common_values(rendered, language)
    for format_, body, escaped in bodies(rendered):
        where = f"{language} {format_}"
        for report in REPORTS:
            assert body_shows(report["name"], body, escaped), f"{where}: {report['name']}"
            for meter in report["meters"]:
                if meter["ean"]:
                    assert meter["ean"] in body, f"{where}: {meter['ean']}"
                if meter["meter_number"]:
                    assert meter["meter_number"] in body, f"{where}: {meter['meter_number']}"
        for utility in ("electricity", "gas", "water", "telecom"):
            assert i18n.text("utilities", utility, language) in body, f"{where}: {utility}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_closing_explains_activation(language: str) -> None:
    rendered = render_closing(language)
    steps = activation_steps(REPORTS, language)

    # Electricity, gas, water, then one telecom step per telecom operator.
    assert len(steps) == 5
    assert "SWDE" in steps[2]["text"]
    assert "Proximus" in steps[3]["text"]
    assert "VOO" in steps[4]["text"]
    for format_, body, escaped in bodies(rendered):
        where = f"{language} {format_}"
        for step in steps:
            assert body_shows(step["label"], body, escaped), where
            assert body_shows(step["text"], body, escaped), where
        assert body_shows(SUPPLIER[language], body, escaped), where
        assert body.count(NO_OBLIGATION[language]) == 2, where


@pytest.mark.parametrize("language", LANGUAGES)
def test_closing_water_only(language: str) -> None:
    rendered = render_closing(language, [REPORTS[1]])

    for _, body, escaped in bodies(rendered):
        assert "22W123456" in body
        assert "EAN" not in body
        assert not body_shows(SUPPLIER[language], body, escaped)
        assert NO_OBLIGATION[language] not in body
        assert "ORES" not in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_closing_context_values(language: str) -> None:
    context = closing_context(REQUEST, REPORTS, CASE_MANAGER, TRACKING_URL, language)
    ores = context["operators"][0]

    assert context["subject"] == {"reference": REQUEST["reference"]}
    assert ores["name"] == "ORES"
    assert ores["utilities"] == i18n.join_words(
        [i18n.text("utilities", "electricity", language), i18n.text("utilities", "gas", language)],
        language)
    assert ores["meters"][1] == {"utility": i18n.text("utilities", "gas", language),
                                 "ean": "541449200000000024", "meter_number": None}
    assert context["operators"][2]["meters"] == []


# The declined and expired emails


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("email", ["declined", "expired"])
def test_closed_request_emails(email: str, language: str) -> None:
    rendered = render_closed(email, language)

    assert_common_values(rendered, language)
    for _, body, _ in bodies(rendered):
        assert OPERATORS_INFORMED[language] in body
        assert NEW_REQUEST[language] in body
        assert LONG_WORKS_DAY[language] not in body


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("email", ["declined", "expired"])
def test_closed_without_case_manager(email: str, language: str) -> None:
    build = declined_context if email == "declined" else expired_context
    context = build(REQUEST, None, TRACKING_URL, language)

    rendered = emails.render(email, language, context)

    assert context["case_manager"] is None
    assert 'href="tel:' not in rendered.html
    for _, body, escaped in bodies(rendered):
        assert "Hondt" not in body
        assert CASE_MANAGER["email"] not in body
        assert body_shows(TRACKING_URL, body, escaped)
        assert OPERATORS_INFORMED[language] in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_expired_shows_validity(language: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "today_in_brussels", lambda: date(2027, 3, 1))

    rendered = render_closed("expired", language)

    for _, body, _ in bodies(rendered):
        assert VALID_UNTIL[language] in body


def test_expired_early_shows_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "today_in_brussels", lambda: date(2027, 1, 5))

    context = expired_context(REQUEST, CASE_MANAGER, TRACKING_URL, "fr")

    assert context["valid_until"] == "5 janvier 2027"


@pytest.mark.parametrize("language", LANGUAGES)
def test_expired_without_stored_offer(language: str) -> None:
    request = copy.deepcopy(REQUEST)
    del request["offer"]

    rendered = render_closed("expired", language, request)

    assert expired_context(request, CASE_MANAGER, TRACKING_URL, language)["valid_until"] is None
    for _, body, _ in bodies(rendered):
        assert VALID_UNTIL[language] not in body
        assert REQUEST["reference"] in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_declined_does_not_show_validity(language: str) -> None:
    rendered = render_closed("declined", language)

    for _, body, _ in bodies(rendered):
        assert VALID_UNTIL[language] not in body


# Contexts and templates


def test_missing_value_fails() -> None:
    context = appointment_context(REQUEST, WORKS_DAY, CASE_MANAGER, OPERATORS, TRACKING_URL,
                                  "fr")
    del context["preparations"]

    with pytest.raises(UndefinedError, match="preparations"):
        emails.render("appointment", "fr", context)


@pytest.mark.parametrize("build", [declined_context, expired_context])
def test_unsupported_language_rejected(build: Any) -> None:
    with pytest.raises(ValueError, match="unsupported language 'es'"):
        build(REQUEST, CASE_MANAGER, TRACKING_URL, "es")


def test_unsupported_language_rejected_everywhere() -> None:
    with pytest.raises(ValueError, match="unsupported language 'es'"):
        appointment_context(REQUEST, WORKS_DAY, CASE_MANAGER, OPERATORS, TRACKING_URL, "es")
    with pytest.raises(ValueError, match="unsupported language 'es'"):
        closing_context(REQUEST, REPORTS, CASE_MANAGER, TRACKING_URL, "es")
    with pytest.raises(ValueError, match="unsupported language 'es'"):
        calendar_texts(REQUEST, WORKS_DAY, CASE_MANAGER, "es")


def template_variables(name: str) -> set[str]:
    """Return the variables a template reads, attributes included, e.g. "meter.ean"."""
    source = (TEMPLATES / name).read_text(encoding="utf-8")
    tree = emails._environment().parse(source)
    found = {node.name for node in tree.find_all(nodes.Name)}
    for node in tree.find_all(nodes.Getattr):
        target = node.node
        if isinstance(target, nodes.Name):
            found.add(f"{target.name}.{node.attr}")
    return found


@pytest.mark.parametrize("format_", ["txt", "html"])
@pytest.mark.parametrize("email", EMAILS)
@pytest.mark.parametrize("language", ["nl", "de", "en"])
def test_templates_use_same_variables(email: str, format_: str, language: str) -> None:
    french = template_variables(f"{email}.fr.{format_}.j2")

    assert template_variables(f"{email}.{language}.{format_}.j2") == french


@pytest.mark.parametrize("email", EMAILS)
def test_text_and_html_use_same_values(email: str) -> None:
    """Check that the text body shows every value of the HTML body, and the reverse.

    Only the HTML body uses the case manager's `tel:` link.
    """
    text = template_variables(f"{email}.fr.txt.j2")
    html = template_variables(f"{email}.fr.html.j2")

    assert text == html - {"case_manager.phone_uri"}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("email", EMAILS)
def test_html_has_headings_or_lists(email: str, language: str) -> None:
    if email == "appointment":
        rendered = render_appointment(language)
    elif email == "closing":
        rendered = render_closing(language)
    else:
        rendered = render_closed(email, language)

    assert "<ul>" in rendered.html
    assert "<title>" in rendered.html
    if email in ("appointment", "closing"):
        assert "<h2" in rendered.html


# The calendar file


def build_calendar(description: str = TRICKY_DESCRIPTION,
                   address: str = "Rue de la Station 12 bte B, 7000 Mons") -> bytes:
    return works_day_calendar(REQUEST["request_id"], REQUEST["reference"], WORKS_DAY, address,
                              "Jour des travaux (CMH-2026-000042)", description,
                              CASE_MANAGER["email"])


def parsed_event(data: bytes) -> Any:
    calendar = Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def test_calendar_headers() -> None:
    calendar = Calendar.from_ical(build_calendar())

    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert "Connect my Home" in str(calendar["PRODID"])


def test_calendar_event_properties() -> None:
    event = parsed_event(build_calendar())

    assert str(event["UID"]) == "01JABCDEF-works-day@connectmyhome"
    assert str(event["SUMMARY"]) == "Jour des travaux (CMH-2026-000042)"
    assert str(event["LOCATION"]) == "Rue de la Station 12 bte B, 7000 Mons"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["TRANSP"]) == "OPAQUE"
    assert str(event["ORGANIZER"]) == f"mailto:{CASE_MANAGER['email']}"
    assert str(event["X-CONNECT-MY-HOME-REFERENCE"]) == REQUEST["reference"]


def test_calendar_is_all_day() -> None:
    data = build_calendar()
    event = parsed_event(data)
    start = event.decoded("DTSTART")
    end = event.decoded("DTEND")

    assert type(start) is date
    assert type(end) is date
    assert start == WORKS_DAY
    assert end == WORKS_DAY + timedelta(days=1)
    assert b"DTSTART;VALUE=DATE:20270301\r\n" in data
    assert b"DTEND;VALUE=DATE:20270302\r\n" in data
    assert b"TZID" not in data
    assert b"VTIMEZONE" not in data


def test_calendar_dtstamp_is_utc() -> None:
    before = datetime.now(UTC).replace(microsecond=0)

    stamp = parsed_event(build_calendar()).decoded("DTSTAMP")

    assert stamp.utcoffset() == timedelta(0)
    assert before <= stamp <= datetime.now(UTC)


def test_calendar_description_round_trips() -> None:
    data = build_calendar()

    assert str(parsed_event(data)["DESCRIPTION"]) == TRICKY_DESCRIPTION
    assert b"\\," in data
    assert b"\\;" in data
    assert b"\\n" in data


def test_calendar_uid_stable() -> None:
    first = parsed_event(build_calendar())
    second = parsed_event(build_calendar(description="Autre texte"))

    assert str(first["UID"]) == str(second["UID"])


def test_calendar_lines_fold_at_75_octets() -> None:
    data = build_calendar()
    lines = data.split(b"\r\n")

    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert any(line.startswith(b" ") for line in lines), "the long description is not folded"
    for line in lines:
        assert len(line) <= 75, line
        # Folding must not cut a multi-byte UTF-8 character in two.
        line.decode("utf-8")


def test_calendar_location_escapes() -> None:
    address = "Rue de l'Église 3; bte 2, 7000 Mons"

    event = parsed_event(build_calendar(address=address))

    assert str(event["LOCATION"]) == address


@pytest.mark.parametrize("language", LANGUAGES)
def test_calendar_texts_round_trip(language: str) -> None:
    summary, description = calendar_texts(REQUEST, WORKS_DAY, CASE_MANAGER, language)
    address = format_address(REQUEST["site"], language)

    data = works_day_calendar(REQUEST["request_id"], REQUEST["reference"], WORKS_DAY, address,
                              summary, description, CASE_MANAGER["email"])
    event = parsed_event(data)

    assert REQUEST["reference"] in summary
    assert str(event["SUMMARY"]) == summary
    assert str(event["DESCRIPTION"]) == description
    assert "\n" in description
    assert "," in description
    for value in (address, LONG_WORKS_DAY[language], CASE_MANAGER["name"],
                  CASE_MANAGER["email"], display_phone(CASE_MANAGER["phone"])):
        assert value in description, value
    for line in data.split(b"\r\n"):
        assert len(line) <= 75, line
