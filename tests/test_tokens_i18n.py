"""Customer tokens and language negotiation, as units."""

from datetime import UTC, datetime, timedelta

import pytest

from connectmyhome import i18n, tokens
from connectmyhome.errors import UnauthorizedError

KEY = b"k" * 64
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def test_token_round_trip() -> None:
    token = tokens.issue("R1", valid_for=timedelta(days=1), now=NOW, key=KEY)

    tokens.verify(token, "R1", now=NOW + timedelta(hours=23), key=KEY)


@pytest.mark.parametrize(
    ("token_request", "verify_request", "age", "key"),
    [
        ("R1", "R2", timedelta(0), KEY),
        ("R1", "R1", timedelta(days=2), KEY),
        ("R1", "R1", timedelta(0), b"other key"),
    ],
    ids=["other request", "expired", "other key"],
)
def test_token_rejected(token_request: str, verify_request: str, age: timedelta,
                        key: bytes) -> None:
    token = tokens.issue(token_request, valid_for=timedelta(days=1), now=NOW, key=KEY)

    with pytest.raises(UnauthorizedError):
        tokens.verify(token, verify_request, now=NOW + age, key=key)


@pytest.mark.parametrize("token", [None, "", "abc", "a.b.c", "x" * 2000 + ".y", "!!.??"])
def test_malformed_token_rejected(token: str | None) -> None:
    with pytest.raises(UnauthorizedError):
        tokens.verify(token, "R1", now=NOW, key=KEY)


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "fr"),
        ("", "fr"),
        ("nl", "nl"),
        ("nl-BE,nl;q=0.9,fr;q=0.8", "nl"),
        ("en-GB;q=0.5,de;q=0.9", "de"),
        ("es,it", "fr"),
        ("es,en;q=0.1", "en"),
        ("de;q=0", "fr"),
        ("EN-us", "en"),
    ],
)
def test_negotiate(header: str | None, language: str) -> None:
    assert i18n.negotiate(header) == language


def test_join_words_per_language() -> None:
    assert i18n.join_words(["a", "b", "c"], "fr") == "a, b et c"
    assert i18n.join_words(["a", "b"], "en") == "a and b"
    assert i18n.join_words(["a"], "nl") == "a"


def test_every_status_has_label_and_next_step() -> None:
    from connectmyhome import statuses

    for language in i18n.LANGUAGES:
        for status in statuses.ALL:
            assert i18n.text("statuses", status, language)
            assert i18n.text("status_next", status, language)
