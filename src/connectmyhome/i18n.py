"""Languages of the citizens' side (French first, then Dutch, German, English) and messages.

Messages live in `locales/<language>.json`, one flat namespace per kind ("errors",
"statuses", "utilities", ...). A key missing in a language falls back to French.
"""

import json
from functools import cache
from typing import Any

LANGUAGES = ("fr", "nl", "de", "en")
DEFAULT_LANGUAGE = "fr"


@cache
def _catalog(language: str) -> dict[str, dict[str, str]]:
    # importlib.resources costs a handler module a tenth of its cold start; it loads on the
    # first message.
    from importlib import resources

    path = resources.files("connectmyhome") / "locales" / f"{language}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def negotiate(accept_language: str | None) -> str:
    """Pick the best supported language from an Accept-Language header, French by default."""
    if not accept_language:
        return DEFAULT_LANGUAGE

    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        weighted.append((-quality, position, tag.strip().lower()))

    for negative_quality, _, tag in sorted(weighted):
        if negative_quality >= 0:
            break
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


def text(kind: str, key: str, language: str, **params: Any) -> str:
    """Return the message `kind.key` in `language` (French if missing) with `params` filled in."""
    template = _catalog(language).get(kind, {}).get(key)
    if template is None:
        template = _catalog(DEFAULT_LANGUAGE).get(kind, {}).get(key)
    if template is None:
        raise KeyError(f"no message {kind}.{key} in any language")
    return template.format(**params) if params else template


def has_text(kind: str, key: str) -> bool:
    return key in _catalog(DEFAULT_LANGUAGE).get(kind, {})


def join_words(words: list[str], language: str) -> str:
    """Join words as a sentence does: "a, b et c" in French, "a, b and c" in English."""
    if len(words) <= 1:
        return "".join(words)
    conjunction = text("words", "and", language)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def long_date(day: Any, language: str) -> str:
    """Format a date the way a letter in that language does, e.g. "1 février 2027"."""
    # Imported here because the HTTP handlers import this module at cold start (babel ~40 ms).
    from babel import Locale, UnknownLocaleError
    from babel.dates import format_date

    try:
        locale = Locale.parse(f"{language}_BE")
    except UnknownLocaleError:
        locale = Locale.parse(language)
    return format_date(day, format="long", locale=locale)


def utility_label(label_key: str, language: str) -> str:
    """Name a connection for the customer, e.g. "télévision et internet (VOO)".

    An operator added by configuration has no message of its own, so its telecom connection
    reads as the generic label followed by the operator's name.
    """
    if has_text("utilities", label_key):
        return text("utilities", label_key, language)

    from . import service_area

    utility, _, operator_id = label_key.partition("_")
    return f"{text('utilities', utility, language)} ({service_area.partner(operator_id).name})"
