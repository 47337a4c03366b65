"""Contexts of the offer email and of the hand-over email, ready for their templates.

The offer email lists every operator's price from one offer of `pricing.build_offer`. The
hand-over email informs the household that the joint service stops for its request and that
each operator follows up its own connection. Both contexts hold display strings only: money,
dates, quantities and phone numbers are formatted here for the language, so that the
templates of the four languages stay plain and use the same variables.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal, format_percent

from . import i18n
from .notifications import display_phone, request_values
from .pricing import format_euros

CAUSES = ("declined", "network_extension_required", "not_feasible", "timed_out",
          "unreachable", "survey_not_feasible", "survey_timed_out", "no_common_day",
          "works_failed", "works_timed_out")
"""Causes of an operator leaving the joint service, as stored in a hand-over reason."""

# One sentence per language and cause, where `{name}` is the operator's name.
_CAUSE_SENTENCES: dict[str, dict[str, str]] = {
    "fr": {
        "declined": "{name} a refusé de traiter son raccordement dans le cadre du service "
                    "commun.",
        "network_extension_required": "{name} doit d'abord étendre son réseau jusqu'à votre "
                                      "adresse, ce qui suit une procédure distincte.",
        "not_feasible": "{name} estime que le raccordement demandé n'est pas réalisable en "
                        "l'état.",
        "timed_out": "{name} n'a pas remis son offre dans le délai prévu.",
        "unreachable": "Nous n'avons pas pu joindre {name}.",
        "survey_not_feasible": "La visite technique sur place pour {name} n'a pas pu avoir "
                               "lieu.",
        "survey_timed_out": "La visite technique sur place n'a pas pu être organisée dans le délai "
                            "prévu, pour {name} comme pour les autres opérateurs.",
        "no_common_day": "Aucun jour de travaux commun n'a pu être fixé avec {name} et les "
                         "autres opérateurs.",
        "works_failed": "{name} n'a pas pu réaliser ses travaux le jour prévu.",
        "works_timed_out": "{name} n'a pas confirmé la fin de ses travaux dans le délai "
                           "prévu.",
    },
    "nl": {
        "declined": "{name} heeft geweigerd de aansluiting binnen de gezamenlijke dienst te "
                    "behandelen.",
        "network_extension_required": "{name} moet eerst zijn net tot aan uw adres "
                                      "uitbreiden, en dat verloopt via een aparte procedure.",
        "not_feasible": "Volgens {name} is de gevraagde aansluiting in de huidige "
                        "omstandigheden niet uitvoerbaar.",
        "timed_out": "{name} heeft zijn offerte niet binnen de voorziene termijn bezorgd.",
        "unreachable": "We konden {name} niet bereiken.",
        "survey_not_feasible": "Het technisch plaatsbezoek voor {name} kon niet plaatsvinden.",
        "survey_timed_out": "Het technisch plaatsbezoek kon niet binnen de voorziene termijn "
                            "plaatsvinden, voor {name} en de andere operatoren.",
        "no_common_day": "Er kon met {name} en de andere operatoren geen gemeenschappelijke "
                         "dag van de werken worden vastgelegd.",
        "works_failed": "{name} kon zijn werken niet op de geplande dag uitvoeren.",
        "works_timed_out": "{name} heeft het einde van zijn werken niet binnen de voorziene "
                           "termijn bevestigd.",
    },
    "de": {
        "declined": "{name} hat es abgelehnt, den Anschluss im Rahmen des gemeinsamen "
                    "Dienstes zu bearbeiten.",
        "network_extension_required": "{name} muss sein Netz zuerst bis zu Ihrer Adresse "
                                      "erweitern, wofür ein eigenes Verfahren gilt.",
        "not_feasible": "Nach Einschätzung von {name} ist der beantragte Anschluss so nicht "
                        "machbar.",
        "timed_out": "{name} hat sein Angebot nicht innerhalb der vorgesehenen Frist "
                     "eingereicht.",
        "unreachable": "Wir konnten {name} nicht erreichen.",
        "survey_not_feasible": "Der technische Ortstermin für {name} konnte nicht "
                               "stattfinden.",
        "survey_timed_out": "Der technische Ortstermin konnte nicht innerhalb der vorgesehenen "
                            "Frist stattfinden, für {name} wie für die anderen Betreiber.",
        "no_common_day": "Mit {name} und den anderen Betreibern konnte kein gemeinsamer Tag "
                         "der Arbeiten festgelegt werden.",
        "works_failed": "{name} konnte seine Arbeiten am geplanten Tag nicht ausführen.",
        "works_timed_out": "{name} hat das Ende seiner Arbeiten nicht innerhalb der "
                           "vorgesehenen Frist bestätigt.",
    },
    "en": {
        "declined": "{name} declined to handle its connection through the joint service.",
        "network_extension_required": "{name} must first extend its network to your "
                                      "address, which follows a separate procedure.",
        "not_feasible": "{name} considers the requested connection not feasible as it "
                        "stands.",
        "timed_out": "{name} did not send its quote within the agreed time.",
        "unreachable": "We could not reach {name}.",
        "survey_not_feasible": "The site survey for {name} could not take place.",
        "survey_timed_out": "The site survey could not take place in time, for {name} as for the "
                            "other operators.",
        "no_common_day": "No common works day could be set with {name} and the other "
                         "operators.",
        "works_failed": "{name} could not carry out its works on the planned day.",
        "works_timed_out": "{name} did not confirm the end of its works in time.",
    },
}


def cause_sentence(cause: str, operator_name: str, language: str) -> str:
    """Describe in one sentence why an operator left the joint service.

    Raises ValueError for a cause outside CAUSES or a language outside i18n.LANGUAGES.
    """
    _check_language(language)
    if cause not in CAUSES:
        raise ValueError(f"unknown hand-over cause {cause!r}, expected one of "
                         f"{', '.join(CAUSES)}")
    return _CAUSE_SENTENCES[language][cause].format(name=operator_name)


def offer_context(request: dict[str, Any], offer: dict[str, Any], case_manager: dict[str, Any],
                  tracking_url: str, language: str) -> dict[str, Any]:
    """Build the context of the offer email from an offer of `pricing.build_offer`.

    `tracking_url` is the customer's tracking link, where they accept or decline the offer.
    """
    _check_language(language)
    return {
        **request_values(request, language),
        "operators": [_operator_prices(operator, language) for operator in offer["operators"]],
        "net": format_euros(offer["net_cents"], language),
        "vat_by_rate": _vat_rows(offer["vat_by_rate"], language),
        "total": format_euros(offer["total_cents"], language),
        "valid_until": i18n.long_date(date.fromisoformat(offer["valid_until"]), language),
        "tracking_url": tracking_url,
        "case_manager": _contact(case_manager),
    }


def handover_context(request: dict[str, Any], operators: list[dict[str, Any]],
                     case_manager: dict[str, Any] | None, reasons: list[dict[str, Any]],
                     tracking_url: str, language: str) -> dict[str, Any]:
    """Build the context of the hand-over email.

    `operators` are the operators that now follow up their own connection, each with its
    `website` and its `phone` in E.164 or None. `reasons` give each `cause` (one of CAUSES)
    per operator. Without a case manager, the email shows no case manager contact.
    """
    _check_language(language)
    return {
        **request_values(request, language),
        "reasons": [cause_sentence(reason["cause"], reason["name"], language)
                    for reason in reasons],
        "operators": [{"name": operator["name"],
                       "website": operator.get("website"),
                       **_phone(operator.get("phone"))}
                      for operator in operators],
        "case_manager": _contact(case_manager) if case_manager else None,
        "tracking_url": tracking_url,
    }


def _check_language(language: str) -> None:
    if language not in i18n.LANGUAGES:
        raise ValueError(f"unsupported language {language!r}, expected one of "
                         f"{', '.join(i18n.LANGUAGES)}")


def _operator_prices(operator: dict[str, Any], language: str) -> dict[str, Any]:
    locale = f"{language}_BE"
    return {
        "name": operator["operator_name"],
        "lines": [{"label": line["label"],
                   "quantity": format_decimal(Decimal(str(line["quantity"])), locale=locale),
                   "unit_price": format_euros(line["unit_price_cents"], language),
                   "net": format_euros(line["net_cents"], language)}
                  for line in operator["lines"]],
        "net": format_euros(operator["net_cents"], language),
        "vat_by_rate": _vat_rows(operator["vat_by_rate"], language),
        "total": format_euros(operator["total_cents"], language),
        "free": bool(operator["free"]),
    }


def _vat_rows(vat_by_rate: list[dict[str, Any]], language: str) -> list[dict[str, str]]:
    """Format each VAT rate with its base and amount, e.g. "21 %", "1 200,00 €", "252,00 €"."""
    return [{"rate": format_percent(Decimal(int(vat["rate"])) / 100, locale=f"{language}_BE"),
             "base": format_euros(vat["base_cents"], language),
             "amount": format_euros(vat["vat_cents"], language)}
            for vat in vat_by_rate]


def _contact(person: dict[str, Any]) -> dict[str, Any]:
    return {"name": person["name"], "email": person["email"], **_phone(person["phone"])}


def _phone(e164: str | None) -> dict[str, str | None]:
    """Return a phone number for reading and as a `tel:` link, both None without a number."""
    if not e164:
        return {"phone": None, "phone_uri": None}
    return {"phone": display_phone(e164), "phone_uri": f"tel:{e164}"}
