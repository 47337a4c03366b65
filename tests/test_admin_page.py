"""The case managers' page (web/admin.html) in Debian's Chromium, against the local platform.

Without a token the page shows its sign-in and reads no data. With an admin token it lists a
request filed here, opens it and shows the merged timeline with the state machine's steps.
Through the page and its confirmation dialog, the tests record a site survey, remind an
operator, send an email again and cancel a request. axe-core checks the pages in French and
English.

Chromium is launched by tests/browser_support.py, with the flags that keep it off the
network, and every page may only reach the platform on 127.0.0.1. Screenshots go to
test-artifacts/.
"""

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from browser_support import (
    ARTIFACTS,
    launch_chromium,
    serious_violations,
    sync_api,
)

from conftest import ROOT, LocalApi, file_request, wait_for
from connectmyhome import repository, statuses

expect = sync_api.expect

WEB = ROOT / "web"
LANGUAGES = ("fr", "en")
QUIET_OPERATOR = "voo"




# ---- Fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.fixture
def page(browser: Any, api: LocalApi) -> Iterator[Any]:
    """Open a fresh browser context on the platform. A request elsewhere fails the test."""
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
    context.close()
    assert elsewhere == [], f"the page asked for addresses outside the platform: {elsewhere}"
    assert script_errors == [], f"script errors in the page: {script_errors}"


def restore_simulators(api: LocalApi) -> None:
    for operator_id in api.runtime.simulators.simulators:
        api.runtime.simulators.configure(operator_id, "quote", 0.0, "accept", "complete")


@pytest.fixture
def simulators_quote(api: LocalApi) -> Iterator[None]:
    """Every operator's simulator quotes at once."""
    restore_simulators(api)
    yield
    restore_simulators(api)


@pytest.fixture
def quiet_operator(api: LocalApi) -> Iterator[str]:
    """VOO's simulator stays silent, so its quote step keeps waiting."""
    restore_simulators(api)
    api.runtime.simulators.configure(QUIET_OPERATOR, "silent")
    yield QUIET_OPERATOR
    api.runtime.simulators.configure(QUIET_OPERATOR, "quote", 0.0, "accept", "complete")


# ---- Helpers ---------------------------------------------------------------------------------


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def open_admin(page: Any, fragment: str = "") -> None:
    page.goto(f"/admin.html{fragment}")
    page.evaluate("() => window.CMHAdmin.ready")


def sign_in(page: Any, token: str) -> None:
    page.locator("#token-input").fill(token)
    page.locator("#signin-submit").click()


def signed_in(page: Any, api: LocalApi, fragment: str = "") -> str:
    """Open the page and sign in with a new development admin token; return the token."""
    token = api.runtime.admin_token()
    open_admin(page, fragment)
    sign_in(page, token)
    expect(page.locator("#signin-view")).to_be_hidden()
    return token


def switch_language(page: Any, language: str) -> None:
    page.locator(f"button[data-language='{language}']").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def is_admin_call(request: Any, method: str = "GET", suffix: str = "") -> bool:
    path = urlsplit(request.url).path
    return (request.method == method and path.startswith("/admin/requests")
            and path.endswith(suffix))


def status_of(request_id: str) -> str:
    return repository.load_request(request_id)["status"]


def waiting_parties(request_id: str) -> set[str]:
    return {item["party"] for item in repository.load_task_tokens(request_id)
            if item["state"] == "waiting"}


def filed_in_survey(api: LocalApi) -> dict[str, Any]:
    filed = file_request(api)
    wait_for(lambda: status_of(filed["request_id"]) == "survey_pending")
    return filed


def forged_token(api: LocalApi) -> str:
    """Return a well-formed admin token signed with another key, which the API refuses."""
    return jwt.encode({"sub": "someone", "email": "someone@example.org",
                       "cognito:groups": ["admins"], "iss": api.runtime.auth.issuer,
                       "aud": api.runtime.auth.audience, "exp": 4102444800},
                      "a key that is not the platform's signing key", algorithm="HS256")


def confirm_dialog(page: Any) -> Any:
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    return dialog




def check_accessibility(page: Any, name: str) -> None:
    screenshot(page, name)
    assert serious_violations(page) == [], name


def focus_ring_width(page: Any) -> float:
    return page.evaluate("""() => {
        const style = getComputedStyle(document.activeElement);
        return style.outlineStyle === "none" ? 0 : parseFloat(style.outlineWidth);
    }""")


def catalog(language: str) -> dict[str, Any]:
    return json.loads((WEB / "i18n" / f"admin.{language}.json").read_text(encoding="utf-8"))


def catalog_keys(tree: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, value in tree.items():
        if isinstance(value, dict):
            keys |= catalog_keys(value, f"{prefix}{name}.")
        else:
            keys.add(f"{prefix}{name}")
    return keys


# ---- Sign-in ---------------------------------------------------------------------------------


def test_without_token_shows_sign_in(page: Any, api: LocalApi) -> None:
    admin_calls: list[str] = []
    page.on("request", lambda request: admin_calls.append(request.url)
            if urlsplit(request.url).path.startswith("/admin/") else None)

    open_admin(page)

    expect(page.locator("#signin-view")).to_be_visible()
    expect(page.locator("#signin-title")).to_have_text("Connexion des gestionnaires de dossier")
    expect(page.locator("#list-view")).to_be_hidden()
    expect(page.locator("#request-view")).to_be_hidden()
    expect(page.locator("#requests-rows tr")).to_have_count(0)
    assert admin_calls == [], "the page called the admin API without a token"
    listing = page.evaluate("""async () => {
        const response = await fetch("/admin/requests");
        return {status: response.status, body: await response.json()};
    }""")
    assert listing["status"] == 401
    assert "items" not in listing["body"]
    screenshot(page, "admin-signin-fr")


def test_sign_in_rejections_explained(page: Any, api: LocalApi) -> None:
    open_admin(page)

    sign_in(page, "pas un jeton")
    expect(page.locator("#token-error")).to_contain_text("n'est pas un jeton JWT")
    expect(page.locator("#token-input")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#token-input")).to_have_accessible_description(
        re.compile("n'est pas un jeton JWT"))

    sign_in(page, forged_token(api))
    problem = page.locator("#signin-problem")
    expect(problem).to_contain_text("Jeton absent, invalide ou expiré")
    expect(problem).to_contain_text("401")
    expect(page.locator("#list-view")).to_be_hidden()
    assert page.evaluate("() => sessionStorage.getItem('cmh.admin.token')") is None

    operator_token = api.runtime.auth.issue("operator@example.org", ["operators"])
    sign_in(page, operator_token)
    expect(problem).to_contain_text("n'appartient pas au groupe")
    expect(problem).to_contain_text("admins")
    expect(problem).to_contain_text("403")
    expect(page.locator("#token-input")).to_be_focused()
    screenshot(page, "admin-signin-403-fr")

    switch_language(page, "en")
    expect(problem).to_contain_text("not in the \"admins\" group")


def test_token_kept_until_sign_out(page: Any, api: LocalApi) -> None:
    signed_in(page, api)
    expect(page.locator("#session-text")).to_contain_text("case.manager@example.org")

    page.reload()
    page.evaluate("() => window.CMHAdmin.ready")
    expect(page.locator("#list-view")).to_be_visible()

    page.locator("#sign-out").click()
    expect(page.locator("#signin-view")).to_be_visible()
    expect(page.locator("#signin-problem")).to_contain_text("déconnecté")
    assert page.evaluate("() => sessionStorage.getItem('cmh.admin.token')") is None


# ---- The list and one request ----------------------------------------------------------------


def test_list_open_and_record_survey(page: Any, api: LocalApi, simulators_quote: None) -> None:
    filed = filed_in_survey(api)
    reference = filed["reference"]
    token = signed_in(page, api)

    page.locator("#filter-status").select_option("survey_pending")
    page.locator("#filter-limit").select_option("100")
    with page.expect_request(is_admin_call) as listing:
        page.locator("#filters-submit").click()
    sent = listing.value
    query = parse_qs(urlsplit(sent.url).query)
    assert query["status"] == ["survey_pending"]
    assert query["limit"] == ["100"]
    assert sent.headers["accept-language"] == "fr"
    assert sent.headers["authorization"] == f"Bearer {token}"

    row = page.locator("#requests-rows tr", has=page.locator(f"a:text-is('{reference}')"))
    expect(row).to_have_count(1)
    cells = row.locator("td")
    expect(cells.nth(0)).to_have_text("Visite technique à planifier")
    expect(cells.nth(2)).to_have_text("Non")
    expect(cells.nth(4)).to_have_text("7000 Mons")
    expect(row.locator("th")).to_have_attribute("scope", "row")
    screenshot(page, "admin-list-fr")

    link = row.locator("a")
    link.focus()
    page.keyboard.press("Shift+Tab")  # keyboard moves make the focus ring show
    page.keyboard.press("Tab")
    expect(link).to_be_focused()
    assert focus_ring_width(page) >= 2
    page.keyboard.press("Enter")
    expect(page.locator("#request-title")).to_have_text(f"Demande {reference}")
    expect(page.locator("#request-title")).to_be_focused()
    timeline = page.locator("#timeline-rows")
    expect(timeline).to_contain_text("AwaitSiteSurvey")
    expect(timeline.locator("tr", has_text="Machine à états").first).to_be_visible()
    expect(timeline.locator("tr", has_text="Demande déposée")).to_have_count(1)
    expect(page.locator("#waiting-rows")).to_contain_text("visite technique")
    expect(page.locator("#waiting-rows")).to_contain_text("Le gestionnaire de dossier")
    expect(page.locator("#current-states")).to_contain_text("AwaitSiteSurvey")
    screenshot(page, "admin-request-survey-pending-fr")

    page.locator("#survey-submit").click()
    expect(page.locator("#survey-feasible-error")).to_have_text("Choisissez oui ou non.")
    expect(page.locator("#confirm-dialog")).to_be_hidden()

    page.locator("#survey-feasible-yes").check()
    page.locator("#survey-notes").fill("Tranchée commune possible, accès par l'arrière.")
    page.locator("#survey-submit").click()
    dialog = confirm_dialog(page)
    expect(dialog).to_contain_text(f"Enregistrer la visite technique de {reference} ?")
    expect(dialog).to_contain_text("Tranchée commune possible")
    screenshot(page, "admin-survey-confirm-fr")
    with page.expect_response(lambda reply: is_admin_call(reply.request, "POST", "/survey")) \
            as answer:
        page.locator("#confirm-yes").click()

    assert answer.value.status == 202
    assert answer.value.request.post_data_json == {
        "joint_works_feasible": True, "notes": "Tranchée commune possible, accès par l'arrière."}
    result = page.locator("#action-result")
    expect(result).to_contain_text(f"Visite technique de {reference} enregistrée")
    expect(result).to_be_focused()
    expect(page.locator("#request-view .facts .status-badge")).to_have_text(
        "Offre envoyée", timeout=30_000)
    expect(page.locator("#survey-form")).to_be_hidden()
    expect(timeline).to_contain_text("Visite technique enregistrée")
    stored = repository.load_request(filed["request_id"])["survey"]
    assert stored["joint_works_feasible"] is True
    assert stored["recorded_by"] == "case.manager@example.org"
    screenshot(page, "admin-request-offer-sent-fr")


def test_open_by_reference_and_not_found(page: Any, api: LocalApi) -> None:
    filed = filed_in_survey(api)
    signed_in(page, api)

    page.locator("#open-reference").fill(filed["reference"].lower())
    page.locator("#open-submit").click()
    expect(page.locator("#request-title")).to_have_text(f"Demande {filed['reference']}")
    assert page.evaluate("() => location.hash") == f"#request={filed['reference']}"

    page.locator("#back-to-list").click()
    expect(page.locator("#list-view")).to_be_visible()
    page.locator("#open-reference").fill("CMH-1999-999999")
    page.locator("#open-submit").click()
    expect(page.locator("#request-problem")).to_contain_text("CMH-1999-999999 introuvable")
    expect(page.locator("#request-content")).to_be_hidden()


def test_next_page_sends_cursor(page: Any, api: LocalApi) -> None:
    filed = [file_request(api) for _ in range(11)]
    for item in filed:
        wait_for(lambda item=item: status_of(item["request_id"]) == "survey_pending")
    signed_in(page, api)
    page.locator("#filter-status").select_option("survey_pending")
    page.locator("#filter-limit").select_option("10")
    page.locator("#filters-submit").click()
    expect(page.locator("#list-summary")).to_have_text("Page 1 : 10 demandes.")
    first_page = page.locator("#requests-rows th").all_inner_texts()
    expect(page.locator("#page-previous")).to_be_hidden()

    with page.expect_request(is_admin_call) as listing:
        page.locator("#page-next").click()

    assert parse_qs(urlsplit(listing.value.url).query)["cursor"][0]
    expect(page.locator("#page-number")).to_have_text("Page 2")
    expect(page.locator("#list-summary")).to_be_focused()
    expect(page.locator("#requests-rows tr").first).to_be_visible()
    second_page = page.locator("#requests-rows th").all_inner_texts()
    assert not set(first_page) & set(second_page)
    screenshot(page, "admin-list-page-2-fr")

    page.locator("#page-previous").click()
    expect(page.locator("#page-number")).to_have_text("Page 1")
    expect(page.locator("#requests-rows th")).to_have_text(first_page)


def test_remind_and_cancel(page: Any, api: LocalApi, quiet_operator: str) -> None:
    filed = filed_in_survey(api)
    request_id = filed["request_id"]
    reply = api.post(f"/admin/requests/{request_id}/survey", {"joint_works_feasible": True},
                     headers=api.admin_headers())
    assert reply.status == 202, reply.body
    wait_for(lambda: quiet_operator in waiting_parties(request_id), timeout=30)
    wait_for(lambda: waiting_parties(request_id) == {quiet_operator}, timeout=30)
    signed_in(page, api, f"#request={filed['reference']}")

    expect(page.locator("#waiting-rows")).to_contain_text(f"L'opérateur {quiet_operator}")
    remind = page.locator("#remind-operator")
    expect(remind).to_have_value(quiet_operator)
    expect(remind.locator("option")).to_have_count(4)

    # ORES has already quoted, so the API rejects the reminder and the page shows its message.
    remind.select_option("ores")
    page.locator("#remind-submit").click()
    confirm_dialog(page)
    page.locator("#confirm-yes").click()
    result = page.locator("#action-result")
    expect(result).to_contain_text("Action impossible pour cette demande (nothing_pending)")
    expect(result.locator(".notice--error")).to_have_count(1)

    remind.select_option(quiet_operator)
    page.locator("#remind-submit").click()
    dialog = confirm_dialog(page)
    expect(dialog).to_contain_text(f"Envoyer un rappel à {quiet_operator} ?")
    with page.expect_response(lambda answer: is_admin_call(answer.request, "POST", "/remind")) \
            as answer:
        page.locator("#confirm-yes").click()
    assert answer.value.status == 200
    assert answer.value.request.post_data_json == {"operator_id": quiet_operator}
    expect(result).to_contain_text(f"Rappel n° 1 envoyé à {quiet_operator} (étape : devis)")
    operator_row = page.locator("#operators-rows tr", has_text=quiet_operator)
    expect(operator_row.locator("td").nth(2)).to_have_text("1")
    expect(page.locator("#timeline-rows")).to_contain_text("Rappel envoyé à un opérateur")
    parties = {party["operator_id"]: party
               for party in repository.load_operator_parties(request_id)}
    assert int(parties[quiet_operator]["reminders"]) == 1
    screenshot(page, "admin-reminded-fr")

    page.locator("#cancel-reason").fill("Demande en double.")
    page.locator("#cancel-submit").click()
    dialog = confirm_dialog(page)
    expect(dialog).to_contain_text("Demande en double.")
    expect(page.locator("#confirm-no")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert status_of(request_id) == "quoting", "closing the dialog cancelled the request"

    page.locator("#cancel-submit").click()
    confirm_dialog(page)
    screenshot(page, "admin-cancel-confirm-fr")
    with page.expect_response(lambda answer: is_admin_call(answer.request, "POST", "/cancel")) \
            as answer:
        page.locator("#confirm-yes").click()
    assert answer.value.status == 200
    assert answer.value.request.post_data_json == {"reason": "Demande en double."}
    expect(result).to_contain_text(f"Demande {filed['reference']} annulée")
    expect(page.locator("#request-view .facts .status-badge")).to_have_text("Demande annulée")
    expect(page.locator("#cancel-form")).to_be_hidden()
    expect(page.locator("#remind-form")).to_be_hidden()
    assert status_of(request_id) == "cancelled"
    assert repository.load_request(request_id)["cancellation"]["reason"] == "Demande en double."
    emails = wait_for(lambda: [entry for entry in api.emails_for(request_id)
                               if entry["email"] == "cancelled"])
    assert len(emails) == 1
    screenshot(page, "admin-cancelled-fr")


def test_resend_acknowledgement(page: Any, api: LocalApi) -> None:
    filed = filed_in_survey(api)
    request_id = filed["request_id"]
    wait_for(lambda: api.emails_for(request_id))
    signed_in(page, api, f"#request={filed['reference']}")

    page.locator("#resend-email").select_option("acknowledgement")
    page.locator("#resend-submit").click()
    expect(confirm_dialog(page)).to_contain_text("Accusé de réception")
    with page.expect_response(lambda answer: is_admin_call(answer.request, "POST", "/resend")) \
            as answer:
        page.locator("#confirm-yes").click()

    assert answer.value.status == 200
    expect(page.locator("#action-result")).to_contain_text("Email « Accusé de réception » renvoyé")
    acknowledgements = wait_for(lambda: [entry for entry in api.emails_for(request_id)
                                         if entry["email"] == "acknowledgement"][1:])
    assert len(acknowledgements) == 1


# ---- Accessibility ---------------------------------------------------------------------------


def test_axe_in_french_and_english(page: Any, api: LocalApi, simulators_quote: None) -> None:
    filed = filed_in_survey(api)
    open_admin(page)
    check_accessibility(page, "axe-admin-signin-fr")
    sign_in(page, api.runtime.admin_token())
    expect(page.locator("#requests-rows tr").first).to_be_visible()
    check_accessibility(page, "axe-admin-list-fr")

    with page.expect_request(is_admin_call) as listing:
        switch_language(page, "en")
    assert listing.value.headers["accept-language"] == "en"
    expect(page.locator("#list-title")).to_have_text("Requests")
    check_accessibility(page, "axe-admin-list-en")

    page.goto(f"/admin.html#request={filed['reference']}")
    page.evaluate("() => window.CMHAdmin.ready")
    expect(page.locator("#request-title")).to_have_text(f"Request {filed['reference']}")
    expect(page.locator("#request-view .facts .status-badge")).to_have_text(
        "Site visit to be planned")
    expect(page.locator("#timeline-rows")).to_contain_text("AwaitSiteSurvey")
    check_accessibility(page, "axe-admin-request-en")

    page.locator("#survey-submit").click()
    expect(page.locator("#survey-feasible-error")).to_have_text("Choose yes or no.")
    page.locator("#cancel-submit").click()
    expect(confirm_dialog(page)).to_contain_text("Cancel request")
    check_accessibility(page, "axe-admin-cancel-dialog-en")
    page.keyboard.press("Escape")

    switch_language(page, "fr")
    expect(page.locator("#request-title")).to_have_text(f"Demande {filed['reference']}")
    expect(page.locator("#request-view .facts .status-badge")).to_have_text(
        "Visite technique à planifier")
    check_accessibility(page, "axe-admin-request-fr")
    assert status_of(filed["request_id"]) == "survey_pending"


# ---- Files of web/ ---------------------------------------------------------------------------


def test_admin_texts_in_both_languages() -> None:
    french = catalog_keys(catalog("fr"))
    html = (WEB / "admin.html").read_text(encoding="utf-8")
    script = (WEB / "admin.js").read_text(encoding="utf-8")
    used = set(re.findall(r'data-admin-text="([\w.]+)"', html))
    used |= set(re.findall(r'data-admin-attr="[\w-]+:([\w.]+)"', html))
    used |= set(re.findall(r'\bt\("([\w.]+)"', script))

    assert used - french == set()
    assert catalog_keys(catalog("en")) == french


def test_admin_status_labels_match_api() -> None:
    for language in LANGUAGES:
        api_labels = json.loads((ROOT / "src" / "connectmyhome" / "locales" / f"{language}.json")
                                .read_text(encoding="utf-8"))["statuses"]
        page_labels = catalog(language)["statuses"]
        assert set(page_labels) == set(statuses.ALL), language
        assert page_labels == {status: api_labels[status] for status in statuses.ALL}, language
