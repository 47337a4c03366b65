"""Contexts of the emails after the offer, and the calendar file of the works day.

The appointment email announces the single works day of every crew and what the household
prepares for it, with an iCalendar file attached. The closing email reports what each
operator connected, with the meters' EAN codes, and how each service is activated next. The
declined and expired emails confirm that the request is closed without works. As in
`offer_emails`, every value of a context is ready to display (a missing value is None), so
that the templates of the four languages stay plain and use the same variables.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from icalendar import Calendar, Event, vCalAddress

from . import clock, i18n
from .emails import SENDER_NAME, ascii_address
from .notifications import display_phone, request_values

UTILITIES = ("electricity", "gas", "water", "telecom")
"""The utilities of a request, in the order the emails list them."""

METERED_UTILITIES = ("electricity", "gas", "water")
"""Utilities whose connection ends at a meter on the customer's premises."""

PRODID = f"-//{SENDER_NAME}//Works day//EN"
# A custom property that ties the calendar event to its request, like the email headers do.
REFERENCE_PROPERTY = "X-CONNECT-MY-HOME-REFERENCE"

# The preparatory works of the offer's annex (meter cabinet, sheaths) are the customer's to do
# before the works day. `{utilities}` lists the utilities concerned.
_PREPARATION_SENTENCES: dict[str, dict[str, str]] = {
    "fr": {
        "meter_place": "Le coffret ou le local technique qui accueillera les compteurs "
                       "({utilities}) est prêt.",
        "sheaths": "Les gaines ({utilities}) sont posées depuis la rue jusqu'au point d'entrée "
                   "en façade.",
        "access": "Le tracé de la tranchée et le point d'entrée en façade sont dégagés et "
                  "accessibles.",
        "presence": "Une personne majeure est présente sur place toute la journée.",
        "smart_meter": "Pour l'électricité, un compteur communicant (compteur intelligent) est "
                       "installé. En Wallonie, tout nouveau raccordement électrique en reçoit "
                       "un depuis le 1er janvier 2023, sauf impossibilité technique.",
    },
    "nl": {
        "meter_place": "De meterkast of technische ruimte voor de meters ({utilities}) is "
                       "klaar.",
        "sheaths": "De wachtbuizen ({utilities}) liggen van de straat tot aan de gevelinvoer.",
        "access": "Het tracé van de sleuf en de gevelinvoer zijn vrij en bereikbaar.",
        "presence": "Er is de hele dag een meerderjarige persoon ter plaatse.",
        "smart_meter": "Voor elektriciteit wordt een slimme meter (communicerende meter) "
                       "geplaatst. In Wallonië krijgt elke nieuwe elektriciteitsaansluiting er "
                       "sinds 1 januari 2023 een, tenzij dat technisch onmogelijk is.",
    },
    "de": {
        "meter_place": "Der Zählerschrank oder Technikraum für die Zähler ({utilities}) ist "
                       "bereit.",
        "sheaths": "Die Leerrohre ({utilities}) sind von der Straße bis zur Hauseinführung in "
                   "der Fassade verlegt.",
        "access": "Der Verlauf des Grabens und die Hauseinführung in der Fassade sind frei "
                  "zugänglich.",
        "presence": "Eine volljährige Person ist den ganzen Tag vor Ort.",
        "smart_meter": "Für den Strom wird ein intelligenter Zähler eingebaut. In der Wallonie "
                       "erhält seit dem 1. Januar 2023 jeder neue Stromanschluss einen, sofern "
                       "dies technisch möglich ist.",
    },
    "en": {
        "meter_place": "The meter cabinet or technical room for the meters ({utilities}) is "
                       "ready.",
        "sheaths": "The ducts ({utilities}) are laid from the street to the entry point in the "
                   "façade.",
        "access": "The trench path and the façade entry point are clear and accessible.",
        "presence": "An adult is present on site all day.",
        "smart_meter": "For electricity, a smart meter is installed. In Wallonia every new "
                       "electricity connection has received one since 1 January 2023, unless "
                       "it is technically impossible.",
    },
}

# Sentences on starting each service once connected, where `{operator}` is the connecting
# operator.
_ACTIVATION_SENTENCES: dict[str, dict[str, str]] = {
    "fr": {
        "electricity": "Choisissez un fournisseur d'électricité et communiquez-lui le code EAN "
                       "de votre raccordement électrique. Ce code identifie votre point de "
                       "raccordement sur le réseau.",
        "gas": "Choisissez un fournisseur de gaz et communiquez-lui le code EAN de votre "
               "raccordement au gaz. Ce code identifie votre point de raccordement sur le "
               "réseau.",
        "water": "Le contrat de fourniture d'eau avec {operator} découle du raccordement, vous "
                 "n'avez donc pas de fournisseur à choisir. Notez l'index de votre compteur "
                 "d'eau au jour des travaux et conservez-le.",
        "telecom": "Si vous souhaitez un abonnement (téléphone, internet ou télévision), "
                   "contactez {operator}. Le raccordement standard ne vous engage à aucun "
                   "abonnement.",
    },
    "nl": {
        "electricity": "Kies een elektriciteitsleverancier en geef die de EAN-code van uw "
                       "elektriciteitsaansluiting door. Die code identificeert uw "
                       "aansluitingspunt op het net.",
        "gas": "Kies een gasleverancier en geef die de EAN-code van uw gasaansluiting door. Die "
               "code identificeert uw aansluitingspunt op het net.",
        "water": "Het contract voor de waterlevering met {operator} volgt uit de aansluiting, "
                 "dus u hoeft geen leverancier te kiezen. Noteer de meterstand van uw "
                 "watermeter op de dag van de werken en bewaar die.",
        "telecom": "Wilt u een abonnement (telefoon, internet of televisie), neem dan contact "
                   "op met {operator}. De standaardaansluiting verplicht u tot geen enkel "
                   "abonnement.",
    },
    "de": {
        "electricity": "Wählen Sie einen Stromlieferanten und teilen Sie ihm den EAN-Code "
                       "Ihres Stromanschlusses mit. Dieser Code kennzeichnet Ihren "
                       "Anschlusspunkt im Netz.",
        "gas": "Wählen Sie einen Gaslieferanten und teilen Sie ihm den EAN-Code Ihres "
               "Gasanschlusses mit. Dieser Code kennzeichnet Ihren Anschlusspunkt im Netz.",
        "water": "Der Wasserliefervertrag mit {operator} ergibt sich aus dem Anschluss, Sie "
                 "müssen also keinen Lieferanten wählen. Notieren Sie den Stand Ihres "
                 "Wasserzählers am Tag der Arbeiten und bewahren Sie ihn auf.",
        "telecom": "Wenn Sie ein Abonnement (Telefon, Internet oder Fernsehen) wünschen, "
                   "wenden Sie sich an {operator}. Der Standardanschluss verpflichtet Sie zu "
                   "keinem Abonnement.",
    },
    "en": {
        "electricity": "Choose an electricity supplier and give them the EAN code of your "
                       "electricity connection. This code identifies your connection point on "
                       "the grid.",
        "gas": "Choose a gas supplier and give them the EAN code of your gas connection. This "
               "code identifies your connection point on the network.",
        "water": "Your water supply contract with {operator} follows from the connection, so "
                 "there is no supplier to choose. Note the reading of your water meter on the "
                 "works day and keep it.",
        "telecom": "If you want a subscription (telephone, internet or television), contact "
                   "{operator}. The standard connection commits you to no subscription.",
    },
}

# The SUMMARY and DESCRIPTION of the works day's calendar event.
_CALENDAR_TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "summary": "Jour des travaux de raccordement ({reference})",
        "description": "Raccordements : {utilities}.\n"
                       "Adresse : {address}\n"
                       "Toutes les équipes interviennent le {day}. Une personne majeure "
                       "doit être présente sur place toute la journée.\n"
                       "Les travaux préparatoires à votre charge doivent être terminés.\n"
                       "Votre gestionnaire de dossier : {name}, {phone}, {email}\n"
                       "Référence : {reference}",
    },
    "nl": {
        "summary": "Dag van de werken voor uw aansluitingen ({reference})",
        "description": "Aansluitingen: {utilities}.\n"
                       "Adres: {address}\n"
                       "Alle ploegen komen op {day}. Er moet de hele dag een meerderjarige "
                       "persoon ter plaatse zijn.\n"
                       "De voorbereidende werken die u zelf uitvoert, moeten klaar zijn.\n"
                       "Uw dossierbeheerder: {name}, {phone}, {email}\n"
                       "Referentie: {reference}",
    },
    "de": {
        "summary": "Tag der Arbeiten für Ihre Anschlüsse ({reference})",
        "description": "Anschlüsse: {utilities}.\n"
                       "Adresse: {address}\n"
                       "Alle Teams kommen am {day}. Eine volljährige Person muss den "
                       "ganzen Tag vor Ort sein.\n"
                       "Die Ihnen obliegenden vorbereitenden Arbeiten müssen "
                       "abgeschlossen sein.\n"
                       "Ihr Sachbearbeiter: {name}, {phone}, {email}\n"
                       "Referenz: {reference}",
    },
    "en": {
        "summary": "Works day for your connections ({reference})",
        "description": "Connections: {utilities}.\n"
                       "Address: {address}\n"
                       "Every crew comes on {day}. An adult must be present on site all "
                       "day.\n"
                       "The preparatory works that are yours to do must be finished.\n"
                       "Your case manager: {name}, {phone}, {email}\n"
                       "Reference: {reference}",
    },
}


def appointment_context(request: dict[str, Any], works_day: date, case_manager: dict[str, Any],
                        operators: list[dict[str, Any]], tracking_url: str,
                        language: str) -> dict[str, Any]:
    """Build the context of the appointment email, which announces the works day.

    `request["connections_utilities"]` lists the utilities requested, which decide what the
    household prepares. `operators` are the operators whose crews come that day.
    """
    _check_language(language)
    utilities = requested_utilities(request)
    day = i18n.long_date(works_day, language)
    values = request_values(request, language)
    return {
        **values,
        "subject": {**values["subject"], "day": day},
        "works_day": day,
        "operators": [operator["name"] for operator in operators],
        "preparations": preparation_sentences(utilities, language),
        "case_manager": _contact(case_manager),
        "tracking_url": tracking_url,
    }


def closing_context(request: dict[str, Any], reports: list[dict[str, Any]],
                    case_manager: dict[str, Any], tracking_url: str,
                    language: str) -> dict[str, Any]:
    """Build the context of the closing email, sent when every crew has finished.

    Each report gives an operator's `name`, the `utilities` it connected and its `meters`,
    each with its `utility`, `ean` and `meter_number` (either may be None).
    """
    _check_language(language)
    return {
        **request_values(request, language),
        "operators": [_operator_report(report, language) for report in reports],
        "activation": activation_steps(reports, language),
        "case_manager": _contact(case_manager),
        "tracking_url": tracking_url,
    }


def declined_context(request: dict[str, Any], case_manager: dict[str, Any] | None,
                     tracking_url: str, language: str) -> dict[str, Any]:
    """Build the context of the email confirming that the customer declined the offer.

    Without a case manager, the email shows no case manager contact.
    """
    _check_language(language)
    return {
        **request_values(request, language),
        "case_manager": _contact(case_manager) if case_manager else None,
        "tracking_url": tracking_url,
    }


def expired_context(request: dict[str, Any], case_manager: dict[str, Any] | None,
                    tracking_url: str, language: str) -> dict[str, Any]:
    """Build the context of the email closing a request whose offer expired unanswered.

    The date shown is the day the wait for an answer ended: the offer's validity date, or
    today when the deployment cut the wait shorter (DECISION_TIMEOUT_SECONDS). Without a
    case manager, the email shows no case manager contact.
    """
    _check_language(language)
    valid_until = (request.get("offer") or {}).get("valid_until")
    ended = None
    if valid_until:
        ended = min(date.fromisoformat(valid_until), clock.today_in_brussels())
    return {
        **request_values(request, language),
        "valid_until": i18n.long_date(ended, language) if ended else None,
        "case_manager": _contact(case_manager) if case_manager else None,
        "tracking_url": tracking_url,
    }


def requested_utilities(request: dict[str, Any]) -> list[str]:
    """Return the request's utilities once each, in the order of UTILITIES.

    Raises ValueError for a utility outside UTILITIES.
    """
    requested = set(request["connections_utilities"])
    unknown = requested - set(UTILITIES)
    if unknown:
        raise ValueError(f"unknown utilities {sorted(unknown)} in connections_utilities, "
                         f"expected among {', '.join(UTILITIES)}")
    return [utility for utility in UTILITIES if utility in requested]


def preparation_sentences(utilities: list[str], language: str) -> list[str]:
    """List what the household prepares for the works day, given the utilities requested.

    The meter cabinet concerns only metered utilities, and the smart meter only electricity.
    """
    sentences = _PREPARATION_SENTENCES[language]
    metered = [utility for utility in utilities if utility in METERED_UTILITIES]

    items = []
    if metered:
        items.append(sentences["meter_place"].format(utilities=_labels(metered, language)))
    items.append(sentences["sheaths"].format(utilities=_labels(utilities, language)))
    items.append(sentences["access"])
    items.append(sentences["presence"])
    if "electricity" in utilities:
        items.append(sentences["smart_meter"])
    return items


def activation_steps(reports: list[dict[str, Any]], language: str) -> list[dict[str, str]]:
    """Describe how each connected service starts, one step per utility and operator.

    Steps follow the order of UTILITIES, then the order of the reports.
    """
    steps = []
    for utility in UTILITIES:
        for report in reports:
            if utility not in report["utilities"]:
                continue
            sentence = _ACTIVATION_SENTENCES[language][utility]
            steps.append({"label": _capitalise(i18n.text("utilities", utility, language)),
                          "text": sentence.format(operator=report["name"])})
    return steps


def calendar_texts(request: dict[str, Any], works_day: date, case_manager: dict[str, Any],
                   language: str) -> tuple[str, str]:
    """Return the localised SUMMARY and DESCRIPTION of the works day's calendar event.

    The DESCRIPTION repeats the works day, so that it reads on its own when copied.
    """
    _check_language(language)
    texts = _CALENDAR_TEXTS[language]
    values = request_values(request, language)
    summary = texts["summary"].format(reference=values["reference"])
    description = texts["description"].format(
        utilities=_labels(requested_utilities(request), language),
        address=values["address"],
        day=i18n.long_date(works_day, language),
        name=case_manager["name"],
        phone=display_phone(case_manager["phone"]),
        email=case_manager["email"],
        reference=values["reference"],
    )
    return summary, description


def works_day_calendar(request_id: str, reference: str, works_day: date, address: str,
                       summary: str, description: str, organizer_email: str) -> bytes:
    """Build the iCalendar file (RFC 5545) that adds the works day to the customer's calendar.

    The event lasts the whole day, so it needs no time zone: DTEND is the day after, because
    RFC 5545 makes it exclusive. The UID depends on the request only, so a file sent for a
    rescheduled day describes the same event. The icalendar package escapes commas,
    semicolons and newlines and folds lines at 75 octets.
    """
    event = Event()
    event.add("uid", f"{request_id}-works-day@connectmyhome")
    event.add("dtstamp", clock.now())
    event.add("dtstart", works_day)
    event.add("dtend", works_day + timedelta(days=1))
    event.add("summary", summary)
    event.add("location", address)
    event.add("description", description)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", vCalAddress(f"mailto:{ascii_address(organizer_email)}"))
    event.add(REFERENCE_PROPERTY, reference)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    return calendar.to_ical()


def _operator_report(report: dict[str, Any], language: str) -> dict[str, Any]:
    connected = [utility for utility in UTILITIES if utility in report["utilities"]]
    return {
        "name": report["name"],
        "utilities": _labels(connected, language),
        "meters": [{"utility": i18n.text("utilities", meter["utility"], language),
                    "ean": meter.get("ean"),
                    "meter_number": meter.get("meter_number")}
                   for meter in report["meters"]],
    }


def _labels(utilities: list[str], language: str) -> str:
    """Name utilities in a sentence, e.g. "électricité, gaz naturel et eau"."""
    return i18n.join_words([i18n.text("utilities", utility, language) for utility in utilities],
                           language)


def _capitalise(label: str) -> str:
    return label[:1].upper() + label[1:]


def _check_language(language: str) -> None:
    if language not in i18n.LANGUAGES:
        raise ValueError(f"unsupported language {language!r}, expected one of "
                         f"{', '.join(i18n.LANGUAGES)}")


def _contact(person: dict[str, Any]) -> dict[str, str]:
    return {"name": person["name"], "email": person["email"],
            "phone": display_phone(person["phone"]), "phone_uri": f"tel:{person['phone']}"}
