"""The public pages of web/ in Debian's Chromium, against the local platform of `api`.

A household fills the request form, sees its reference, opens the tracking link, accepts the
offer and sees the works day; axe-core checks the pages in French and Dutch; the form works
with the keyboard alone; an invalid phone number shows its message next to the field.

Chromium comes from Debian (/usr/bin/chromium) and axe-core from node_modules/: `make browser`
installs both, and `make test` runs it first. Playwright never downloads a browser here.
Every page is only allowed to reach the platform on 127.0.0.1; the screenshots of the pages
visited go to test-artifacts/.
"""

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from babel.dates import format_date
from browser_support import (
    ARTIFACTS,
    launch_chromium,
    serious_violations,
    sync_api,
)

from conftest import ROOT, LocalApi, file_request, valid_request, wait_for
from connectmyhome import repository

expect = sync_api.expect

WEB = ROOT / "web"
LANGUAGES = ("fr", "nl", "de", "en")
# Filing runs the intake function and starts the workflow; late in the suite, the platform is
# still busy with other modules' workflows, so the answer may take more than a few seconds.
FILING_TIMEOUT_MS = 30_000
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")




# ---- Fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.fixture
def page(browser: Any, api: LocalApi, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Open a fresh browser context on the platform. A request elsewhere is aborted and fails
    the test."""
    context = browser.new_context(base_url=api.base_url, locale="fr-BE",
                                  viewport={"width": 1024, "height": 900})
    context.set_default_timeout(15_000)
    elsewhere: list[str] = []

    def abort_outside(route: Any) -> None:
        elsewhere.append(route.request.url)
        route.abort()

    context.route(lambda url: not url.startswith(api.base_url + "/"), abort_outside)
    opened = context.new_page()
    script_errors: list[str] = []
    opened.on("pageerror", lambda error: script_errors.append(str(error)))
    yield opened
    screenshot(opened, f"end-{request.node.name}")  # the page as the test left it
    context.close()
    assert elsewhere == [], f"pages asked for addresses outside the platform: {elsewhere}"
    assert script_errors == [], f"script errors in the pages: {script_errors}"


@pytest.fixture
def simulators_quote(api: LocalApi) -> Iterator[None]:
    """Operators' simulators that quote at once, accept the works day and report the works."""
    for operator_id in api.runtime.simulators.simulators:
        api.runtime.simulators.configure(operator_id, "quote", 0.0, "accept", "complete")
    yield
    for operator_id in api.runtime.simulators.simulators:
        api.runtime.simulators.configure(operator_id, "quote", 0.0, "accept", "complete")


# ---- Helpers ---------------------------------------------------------------------------------


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def open_form(page: Any) -> None:
    page.goto("/")
    page.evaluate("() => window.CMH.ready")
    expect(page.locator("html")).to_have_attribute("lang", "fr")


def switch_language(page: Any, language: str) -> None:
    page.locator(f"button[data-language='{language}']").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def type_in(page: Any, selector: str, text: str) -> None:
    """Focus a field and type into it key by key, as a person does."""
    page.locator(selector).focus()
    page.keyboard.type(text)


def press_space_on(page: Any, selector: str) -> None:
    page.locator(selector).focus()
    page.keyboard.press("Space")


def fill_namur_request(page: Any) -> None:
    """Fill the form for a new build in Namur (5000) with the keyboard."""
    type_in(page, "#first-name", "Marc")
    type_in(page, "#last-name", "Lambert")
    type_in(page, "#email", "marc.lambert@example.org")
    type_in(page, "#phone", "0470 12 34 56")
    type_in(page, "#street", "Rue de Fer")
    type_in(page, "#house-number", "25")
    type_in(page, "#postal-code", "5000")
    expect(page.locator("#municipality")).to_have_value("Namur")
    press_space_on(page, "#project-new_build")
    press_space_on(page, "#conn-electricity")
    type_in(page, "#electricity-power", "9,2")
    press_space_on(page, "#phases-1")
    press_space_on(page, "#conn-water")
    press_space_on(page, "#conn-telecom_proximus")
    type_in(page, "#notes", "Accès par la rue de Fer.")
    press_space_on(page, "#consent")


def fill_quickly(page: Any, phone: str = "0470 12 34 56") -> None:
    """Fill the form for Mons (7000) at once, where typing is not what the test is about."""
    for selector, value in (("#first-name", "Élise"), ("#last-name", "Dupont"),
                            ("#email", "elise@example.org"), ("#phone", phone),
                            ("#street", "Rue de la Station"), ("#house-number", "12"),
                            ("#postal-code", "7000")):
        page.locator(selector).fill(value)
    expect(page.locator("#municipality")).to_have_value(re.compile("Mons|Bergen"))
    page.locator("#project-renovation").check()
    page.locator("#conn-gas").check()
    page.locator("#conn-telecom_voo").check()
    page.locator("#consent").check()


def is_filing(response: Any) -> bool:
    return response.request.method == "POST" and urlsplit(response.url).path == "/requests"


def tracking_link(api: LocalApi, tracking_url: str) -> str:
    """Return the emailed tracking link on the fixture's own host and port."""
    parts = urlsplit(tracking_url)
    return f"{api.base_url}{parts.path}?{parts.query}#{parts.fragment}"


def status_of(request_id: str) -> str:
    return repository.load_request(request_id)["status"]


def bring_to_offer(api: LocalApi, request_id: str) -> None:
    """Record the site survey as the case manager and wait for the combined offer."""
    wait_for(lambda: status_of(request_id) == "survey_pending")
    reply = api.post(f"/admin/requests/{request_id}/survey",
                     {"joint_works_feasible": True, "notes": "Visite faite."},
                     headers=api.admin_headers())
    assert reply.status == 202, reply.body
    wait_for(lambda: status_of(request_id) == "offer_sent", timeout=30)




def check_accessibility(page: Any, name: str) -> None:
    screenshot(page, name)
    assert serious_violations(page) == [], name


def focused_id(page: Any) -> str:
    return page.evaluate("() => document.activeElement ? document.activeElement.id : ''")


def tab_to(page: Any, element_id: str, limit: int = 40) -> None:
    """Press Tab until `element_id` has the focus. Only forward moves, so the order is checked."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused_id(page) == element_id:
            return
    pytest.fail(f"#{element_id} not reached with {limit} presses of Tab")


def focus_ring_width(page: Any) -> float:
    return page.evaluate("""() => {
        const style = getComputedStyle(document.activeElement);
        return style.outlineStyle === "none" ? 0 : parseFloat(style.outlineWidth);
    }""")


# ---- Browser tests ---------------------------------------------------------------------------


def test_form_to_works_day(page: Any, api: LocalApi, simulators_quote: None) -> None:
    open_form(page)
    screenshot(page, "form-fr")

    fill_namur_request(page)
    page.locator("#submit").focus()
    with page.expect_response(is_filing, timeout=FILING_TIMEOUT_MS) as answer:
        page.keyboard.press("Enter")

    reply = answer.value
    filed = reply.json()
    assert reply.status == 201, filed
    sent = reply.request.post_data_json
    example = json.loads((ROOT / "events" / "request_body.json").read_text(encoding="utf-8"))
    assert list(sent) == list(example)
    assert sent["applicant"] == {"first_name": "Marc", "last_name": "Lambert",
                                 "email": "marc.lambert@example.org", "phone": "0470 12 34 56",
                                 "language": "fr"}
    assert sent["site"] == {"street": "Rue de Fer", "house_number": "25", "postal_code": "5000",
                            "municipality": "Namur"}
    assert sent["project"] == "new_build"
    assert sent["connections"] == [
        {"utility": "electricity", "meters": 1, "power_kva": 9.2, "phases": 1},
        {"utility": "water", "meters": 1},
        {"utility": "telecom", "operator": "proximus"},
    ]
    assert sent["consent"] is True
    assert UUID.match(reply.request.headers["idempotency-key"])
    assert reply.request.headers["accept-language"] == "fr"

    expect(page.locator("#confirmation-reference")).to_have_text(filed["reference"])
    expect(page.locator("#confirmation-title")).to_be_focused()
    expect(page.locator("#confirmation-email")).to_contain_text("marc.lambert@example.org")
    screenshot(page, "confirmation-fr")

    request_id = filed["request_id"]
    bring_to_offer(api, request_id)
    token = filed["tracking_url"].split("#token=", 1)[1]
    tracked = api.get(f"/requests/{request_id}",
                      headers={"Authorization": f"Bearer {token}"}).json()

    page.goto(tracking_link(api, filed["tracking_url"]))
    expect(page.locator("#tracking-title")).to_contain_text(filed["reference"])
    expect(page.locator("#status-label")).to_have_text("Offre envoyée")
    expect(page.locator("#next-actor")).to_contain_text("Vous")
    expect(page.locator("#offer-total")).to_have_text(tracked["offer"]["total"])
    expect(page.locator("#offer-operators tr")).to_have_count(len(tracked["offer"]["operators"]))
    expect(page.locator("#case-manager")).to_contain_text(tracked["case_manager"]["name"])
    screenshot(page, "tracking-offer-fr")
    assert status_of(request_id) == "offer_sent", "opening the tracking page changed the request"

    page.locator("#accept-button").focus()
    page.keyboard.press("Enter")
    dialog = page.locator("#accept-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(tracked["offer"]["total"])
    screenshot(page, "tracking-accept-dialog-fr")
    page.locator("#accept-confirm").focus()
    page.keyboard.press("Enter")

    expect(page.locator("#decision-result")).to_contain_text("acceptation est enregistrée")
    works_day = wait_for(lambda: repository.load_request(request_id).get("works_day"), timeout=30)
    expected_day = format_date(date.fromisoformat(works_day), format="d MMMM y", locale="fr_BE")
    expect(page.locator("#works-day")).to_contain_text(expected_day, timeout=30_000)
    expect(page.locator("#offer-decision")).to_have_text("Vous avez accepté l'offre.")
    decisions = [event for event in repository.load_events(request_id)
                 if event["type"] == "decision.recorded"]
    assert len(decisions) == 1
    screenshot(page, "tracking-works-day-fr")


def test_pages_pass_axe_in_french_and_dutch(page: Any, api: LocalApi,
                                             simulators_quote: None) -> None:
    open_form(page)
    check_accessibility(page, "axe-form-fr")

    switch_language(page, "nl")
    expect(page.locator("#request-view h1")).to_have_text("Uw aansluitingen aanvragen")
    check_accessibility(page, "axe-form-nl")

    page.locator("#submit").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#consent-error")).to_contain_text("Uw toestemming is nodig")
    check_accessibility(page, "axe-form-errors-nl")

    fill_quickly(page)
    with page.expect_response(is_filing, timeout=FILING_TIMEOUT_MS) as answer:
        page.locator("#submit").click()
    assert answer.value.status == 201
    assert answer.value.request.headers["accept-language"] == "nl"
    assert answer.value.request.post_data_json["applicant"]["language"] == "nl"
    expect(page.locator("#confirmation-title")).to_have_text("Uw aanvraag is geregistreerd")
    check_accessibility(page, "axe-confirmation-nl")
    switch_language(page, "fr")
    expect(page.locator("#confirmation-title")).to_have_text("Votre demande est enregistrée")
    check_accessibility(page, "axe-confirmation-fr")

    filed = file_request(api)
    bring_to_offer(api, filed["request_id"])
    page.goto(tracking_link(api, filed["tracking_url"]))
    expect(page.locator("#status-label")).to_have_text("Offre envoyée")
    check_accessibility(page, "axe-tracking-fr")
    page.locator("#decline-button").click()
    expect(page.locator("#decline-dialog")).to_be_visible()
    check_accessibility(page, "axe-tracking-decline-dialog-fr")
    page.keyboard.press("Escape")
    expect(page.locator("#decline-dialog")).to_be_hidden()
    assert status_of(filed["request_id"]) == "offer_sent"

    switch_language(page, "nl")
    dutch = json.loads((ROOT / "src" / "connectmyhome" / "locales" / "nl.json")
                       .read_text(encoding="utf-8"))
    expect(page.locator("#status-label")).to_have_text(dutch["statuses"]["offer_sent"])
    check_accessibility(page, "axe-tracking-nl")


def test_form_sent_with_keyboard_alone(page: Any, api: LocalApi) -> None:
    open_form(page)

    page.keyboard.press("Tab")
    assert focused_id(page) == "", "the skip link comes first"
    assert page.evaluate("() => document.activeElement.classList.contains('skip-link')")
    tab_to(page, "first-name")
    assert focus_ring_width(page) >= 2
    page.keyboard.type("Anne")
    tab_to(page, "last-name")
    page.keyboard.type("Leroy")
    tab_to(page, "email")
    page.keyboard.type("anne.leroy@example.org")
    tab_to(page, "phone")
    page.keyboard.type("+32 81 22 33 44")
    tab_to(page, "street")
    page.keyboard.type("Avenue de la Gare")
    tab_to(page, "house-number")
    page.keyboard.type("3A")
    tab_to(page, "postal-code")
    page.keyboard.type("5000")
    tab_to(page, "municipality")
    expect(page.locator("#municipality")).to_have_value("Namur")
    tab_to(page, "project-new_build")
    assert focus_ring_width(page) >= 2
    page.keyboard.press("Space")
    tab_to(page, "conn-gas")
    page.keyboard.press("Space")
    tab_to(page, "gas-meters")
    page.keyboard.press("Backspace")
    page.keyboard.type("2")
    tab_to(page, "conn-telecom_voo")
    page.keyboard.press("Space")
    tab_to(page, "consent")
    page.keyboard.press("Space")
    tab_to(page, "submit")
    assert focus_ring_width(page) >= 2
    screenshot(page, "keyboard-form-fr")

    with page.expect_response(is_filing, timeout=FILING_TIMEOUT_MS) as answer:
        page.keyboard.press("Enter")

    assert answer.value.status == 201
    assert answer.value.request.post_data_json["connections"] == [
        {"utility": "gas", "meters": 2}, {"utility": "telecom", "operator": "voo"}]
    expect(page.locator("#confirmation-reference")).to_have_text(answer.value.json()["reference"])
    expect(page.locator("#confirmation-title")).to_be_focused()
    tab_to(page, "confirmation-tracking")
    screenshot(page, "keyboard-confirmation-fr")


def test_invalid_phone_message_next_to_field(page: Any, api: LocalApi) -> None:
    open_form(page)
    phone = page.locator("#phone")

    phone.fill("12345")
    phone.press("Tab")

    error = page.locator("#phone-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Numéro de téléphone invalide")
    expect(phone).to_have_attribute("aria-invalid", "true")
    assert "phone-error" in phone.get_attribute("aria-describedby").split()
    expect(phone).to_have_accessible_description(re.compile("Numéro de téléphone invalide"))
    screenshot(page, "phone-invalid-fr")

    # 02 123 45 67 looks Belgian to the page's check, but no such number exists: only the
    # API's check (phonenumbers) rejects it, and its field error comes back to the same place.
    fill_quickly(page, phone="02 123 45 67")
    expect(error).to_be_hidden()
    with page.expect_response(is_filing, timeout=FILING_TIMEOUT_MS) as answer:
        page.locator("#submit").click()

    assert answer.value.status == 422
    assert [item["field"] for item in answer.value.json()["errors"]] == ["applicant.phone"]
    expect(error).to_contain_text("Numéro de téléphone invalide")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary-list a")).to_have_attribute("href", "#phone")
    screenshot(page, "phone-rejected-by-api-fr")


def test_retry_keeps_idempotency_key(page: Any, api: LocalApi) -> None:
    open_form(page)
    fill_quickly(page)
    keys: list[str] = []
    first_answers: list[dict[str, Any]] = []

    def lose_first_answer(route: Any) -> None:
        keys.append(route.request.headers["idempotency-key"])
        if first_answers:
            route.continue_()
            return
        first_answers.append(route.fetch().json())  # the platform files the request...
        route.abort("connectionreset")  # ...but the browser never sees the answer

    page.route(lambda url: urlsplit(url).path == "/requests", lose_first_answer)
    page.locator("#submit").click()
    expect(page.locator("#error-summary")).to_contain_text("Le service ne répond pas")

    with page.expect_response(is_filing, timeout=FILING_TIMEOUT_MS) as answer:
        page.locator("#submit").dblclick()

    assert answer.value.status == 201
    assert len(keys) == 2, "a double click sent the request twice"
    assert keys[0] == keys[1]
    assert answer.value.json()["request_id"] == first_answers[0]["request_id"]
    expect(page.locator("#confirmation-reference")).to_have_text(first_answers[0]["reference"])
    emails = wait_for(lambda: api.emails_for(first_answers[0]["request_id"]))
    assert [entry["email"] for entry in emails] == ["acknowledgement"]


def test_outside_service_area_shows_contacts(page: Any, api: LocalApi) -> None:
    liege = valid_request(
        site={"street": "Rue Léopold", "house_number": "1", "postal_code": "4000",
              "municipality": "Liège"},
        connections=[{"utility": "electricity", "meters": 1, "power_kva": 9.2, "phases": 1},
                     {"utility": "water", "meters": 1},
                     {"utility": "telecom", "operator": "proximus"}])
    rejected = api.post("/requests", liege)
    assert rejected.status == 422
    assert rejected.json()["code"] == "outside_service_area"
    open_form(page)
    fill_namur_request(page)

    # The page's copy of the area serves Namur, so only the API can refuse: its real answer
    # for Liège stands in for an area changed since web/data/postal-codes.json was built.
    page.route(lambda url: urlsplit(url).path == "/requests",
               lambda route: route.fulfill(status=422, content_type="application/json",
                                           body=rejected.body))
    page.locator("#submit").click()

    section = page.locator("#outside-area")
    expect(section).to_be_focused()
    expect(section).to_contain_text(rejected.json()["message"])
    expect(page.locator("#outside-area-contacts li")).to_have_count(2)
    expect(page.locator("#outside-area-contacts")).to_contain_text("RESA")
    expect(page.locator("#outside-area-contacts")).to_contain_text("CILE")
    expect(page.locator("#conn-electricity-error")).to_contain_text("aucun partenaire")
    expect(page.locator("#conn-water")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#conn-telecom_proximus")).not_to_have_attribute("aria-invalid", "true")
    check_accessibility(page, "outside-service-area-fr")


# ---- Files of web/ ---------------------------------------------------------------------------


def catalog_keys(catalog: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, value in catalog.items():
        if isinstance(value, dict):
            keys |= catalog_keys(value, f"{prefix}{name}.")
        else:
            keys.add(f"{prefix}{name}")
    return keys


def read_catalog(folder: Path, language: str) -> dict[str, Any]:
    return json.loads((folder / f"{language}.json").read_text(encoding="utf-8"))


def test_page_texts_exist_in_every_language() -> None:
    french = catalog_keys(read_catalog(WEB / "i18n", "fr"))
    html = "".join(path.read_text(encoding="utf-8") for path in WEB.glob("*.html"))
    used = set(re.findall(r'data-i18n="([\w.]+)"', html))
    used |= set(re.findall(r'data-i18n-attr="[\w-]+:([\w.]+)"', html))

    assert used - french == set()
    for language in LANGUAGES:
        catalog = read_catalog(WEB / "i18n", language)
        assert catalog_keys(catalog) == french, language


def test_page_field_errors_match_api() -> None:
    for language in LANGUAGES:
        page_errors = read_catalog(WEB / "i18n", language)["field_errors"]
        api_errors = read_catalog(ROOT / "src" / "connectmyhome" / "locales",
                                  language)["field_errors"]
        for code, text in page_errors.items():
            assert text == api_errors[code], f"{language}: field_errors.{code}"


def test_postal_codes_file_matches_script() -> None:
    # A subprocess, so that the test platform's operator registry (FibreCo) stays out.
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith("OPERATOR_REGISTRY")}
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_postal_codes.py"), "--check"],
        capture_output=True, text=True, env=environment, check=False)

    assert result.returncode == 0, result.stderr
    codes = json.loads((WEB / "data" / "postal-codes.json").read_text(encoding="utf-8"))
    assert codes["walloon"]["5000"]["municipalities"][0]["name_fr"] == "Namur"
    assert codes["walloon"]["4000"]["municipalities"][0]["partners"]["water"] is None
    assert "1000" in codes["elsewhere"]
