/*
 * Connect my Home: the case managers' page (admin.html), a browser front end of the admin API.
 *
 * GET /admin/requests lists requests, GET /admin/requests/{id or reference} shows one, and
 * POST .../survey, .../remind, .../resend, .../cancel and .../restart act on it. Every call
 * carries `Authorization: Bearer <JWT>` of a user in the "admins" group. The API rejects a
 * call without a valid token with 401, and a user outside the group with 403. No framework
 * and no build step.
 *
 * The page has its own texts (i18n/admin.fr.json, i18n/admin.en.json), in French first and
 * in English. Labels that the API computes (status labels, error messages) come back in the
 * page's language because every call sends it as Accept-Language.
 */
(function () {
  "use strict";

  const LANGUAGES = ["fr", "en"];
  const DEFAULT_LANGUAGE = "fr";
  const LANGUAGE_KEY = "cmh.admin.language";
  const TOKEN_KEY = "cmh.admin.token";
  const BRUSSELS = "Europe/Brussels";
  // A JWT is three base64url parts separated by dots. An unsigned JWT has an empty third part.
  const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

  // Statuses of src/connectmyhome/statuses.py, in the order of the main path.
  const STATUSES = ["submitted", "survey_pending", "quoting", "offer_sent", "accepted",
    "scheduled", "completed", "handed_over", "declined", "expired", "cancelled", "rejected",
    "failed"];
  const FINAL_STATUSES = ["completed", "handed_over", "declined", "expired", "cancelled",
    "rejected", "failed"];
  // Statuses that the platform leaves without anyone's action: the request view fetches the
  // request again every POLL_INTERVAL_MS while it shows one, for POLL_LIMIT times at most.
  const MOVING_STATUSES = ["submitted", "quoting", "accepted"];
  const POLL_INTERVAL_MS = 2000;
  const POLL_LIMIT = 90;
  const DETAIL_TEXT_LIMIT = 200;

  const catalogs = {};
  const state = {
    language: DEFAULT_LANGUAGE,
    token: null,
    view: null,
    filters: { status: "", operator: "", caseManager: "", overdue: false, limit: 25 },
    // cursors[i] is the cursor that fetches page i, and null for the first page.
    cursors: [null],
    pageIndex: 0,
    nextCursor: null,
    list: null,
    lastOpened: null,
    requestKey: null,
    current: null,
    loadSequence: 0,
    polls: 0,
    pollTimer: null,
    expectChangeFrom: null,
    busy: false,
    // Messages shown in the live slots, kept so that a language switch translates them.
    messages: {},
  };

  function byId(id) {
    return document.getElementById(id);
  }

  function reportScriptError(error) {
    console.error("Connect my Home admin:", error);
  }

  // ---- Languages -------------------------------------------------------------------------

  function readStored(storage, key) {
    try {
      return window[storage].getItem(key);
    } catch (error) {
      return null; // storage is disabled: the value lasts for this page only
    }
  }

  function writeStored(storage, key, value) {
    try {
      if (value === null) {
        window[storage].removeItem(key);
      } else {
        window[storage].setItem(key, value);
      }
    } catch (error) {
      // Storage is disabled, so the value is not kept.
    }
  }

  function requestedLanguage() {
    const fromQuery = new URLSearchParams(window.location.search).get("lang");
    if (LANGUAGES.includes(fromQuery)) {
      return fromQuery;
    }
    const stored = readStored("localStorage", LANGUAGE_KEY);
    return LANGUAGES.includes(stored) ? stored : null;
  }

  async function loadCatalog(language) {
    if (!catalogs[language]) {
      const response = await fetch(`i18n/admin.${language}.json`, { cache: "no-cache" });
      if (!response.ok) {
        throw new Error(`i18n/admin.${language}.json: HTTP ${response.status}`);
      }
      catalogs[language] = await response.json();
    }
    return catalogs[language];
  }

  function lookup(catalog, key) {
    return key.split(".").reduce((node, part) => (node ? node[part] : undefined), catalog);
  }

  /**
   * Translate `key` ("list.title") into the page's language, French when it is missing.
   * A parameter may be a function, called now, so that a stored message is translated again.
   */
  function t(key, params) {
    let template = lookup(catalogs[state.language] || {}, key);
    if (typeof template !== "string") {
      template = lookup(catalogs[DEFAULT_LANGUAGE] || {}, key);
    }
    if (typeof template !== "string") {
      return key;
    }
    return template.replace(/\{(\w+)\}/g, (placeholder, name) => {
      if (!params || params[name] === undefined || params[name] === null) {
        return placeholder;
      }
      const value = params[name];
      return String(typeof value === "function" ? value() : value);
    });
  }

  /** Translate a code of the API (a status, a step) or return the code itself when unknown. */
  function label(section, code) {
    const key = `${section}.${String(code).replace(/\./g, "_")}`;
    const text = t(key);
    return text === key ? String(code) : text;
  }

  function applyTexts(root) {
    root.querySelectorAll("[data-admin-text]").forEach((element) => {
      element.textContent = t(element.dataset.adminText);
    });
    root.querySelectorAll("[data-admin-attr]").forEach((element) => {
      for (const pair of element.dataset.adminAttr.split(";")) {
        const [attribute, key] = pair.split(":").map((part) => part.trim());
        element.setAttribute(attribute, t(key));
      }
    });
    // Field errors on show carry their key, so that a language switch translates them too.
    root.querySelectorAll("[data-error-key]").forEach((element) => {
      element.textContent = t(element.dataset.errorKey);
    });
  }

  async function setLanguage(language, explicit) {
    const chosen = LANGUAGES.includes(language) ? language : DEFAULT_LANGUAGE;
    await Promise.all([loadCatalog(DEFAULT_LANGUAGE), loadCatalog(chosen)]);
    const changed = chosen !== state.language;
    state.language = chosen;
    if (explicit) {
      writeStored("localStorage", LANGUAGE_KEY, chosen);
    }
    document.documentElement.lang = chosen;
    applyTexts(document);
    document.querySelectorAll("[data-language]").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.dataset.language === chosen));
    });
    fillStatusOptions();
    renderSession();
    for (const slot of Object.keys(state.messages)) {
      renderMessage(slot);
    }
    if (changed) {
      await reloadForLanguage();
    }
  }

  /** Fetch the view's data again: the API's labels and messages follow Accept-Language. */
  async function reloadForLanguage() {
    if (state.view === "list" && state.list) {
      renderList();
      await loadList({ quiet: true });
    } else if (state.view === "request" && state.current) {
      renderRequest(state.current);
      await loadRequest({ quiet: true });
    }
  }

  // ---- Dates, amounts ----------------------------------------------------------------------

  function formatDay(isoDay) {
    const [year, month, day] = String(isoDay).split("-").map(Number);
    if (!year || !month || !day) {
      return String(isoDay);
    }
    return new Intl.DateTimeFormat(`${state.language}-BE`, { dateStyle: "long", timeZone: "UTC" })
      .format(new Date(Date.UTC(year, month - 1, day)));
  }

  function formatDateTime(isoTimestamp) {
    const date = new Date(isoTimestamp);
    if (Number.isNaN(date.getTime())) {
      return String(isoTimestamp);
    }
    return new Intl.DateTimeFormat(`${state.language}-BE`, {
      dateStyle: "medium", timeStyle: "medium", timeZone: BRUSSELS,
    }).format(date);
  }

  /** Format a timestamp to the second with a numeric date, for the timeline's column. */
  function formatStamp(isoTimestamp) {
    const date = new Date(isoTimestamp);
    if (Number.isNaN(date.getTime())) {
      return String(isoTimestamp);
    }
    return new Intl.DateTimeFormat(`${state.language}-BE`, {
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
      second: "2-digit", timeZone: BRUSSELS,
    }).format(date);
  }

  function formatTime(date) {
    return new Intl.DateTimeFormat(`${state.language}-BE`, {
      timeStyle: "medium", timeZone: BRUSSELS,
    }).format(date);
  }

  /** Return how long ago `isoTimestamp` was, in the largest whole unit ("il y a 3 heures"). */
  function formatAgo(isoTimestamp) {
    const seconds = Math.round((new Date(isoTimestamp).getTime() - Date.now()) / 1000);
    if (Number.isNaN(seconds)) {
      return "";
    }
    const format = new Intl.RelativeTimeFormat(state.language, { numeric: "auto" });
    const units = [["day", 86400], ["hour", 3600], ["minute", 60]];
    for (const [unit, size] of units) {
      if (Math.abs(seconds) >= size) {
        return format.format(Math.trunc(seconds / size), unit);
      }
    }
    return format.format(seconds, "second");
  }

  function formatMoney(cents) {
    return new Intl.NumberFormat(`${state.language}-BE`, { style: "currency", currency: "EUR" })
      .format(Number(cents) / 100);
  }

  function timeElement(isoTimestamp, text) {
    const element = document.createElement("time");
    element.dateTime = isoTimestamp;
    element.textContent = text;
    return element;
  }

  // ---- Messages (problems, results) ---------------------------------------------------------

  /**
   * Show `message` in the live slot `slot`: {key, params} for the page's own texts, or
   * {text} for a message of the API, which stays in the language it came in. `kind` is
   * "error", "success" or "info". null empties the slot.
   */
  function setMessage(slot, message, kind) {
    if (message) {
      state.messages[slot] = { message, kind: kind || "error" };
    } else {
      delete state.messages[slot];
    }
    renderMessage(slot);
  }

  function renderMessage(slot) {
    const container = byId(slot);
    const entry = state.messages[slot];
    if (!entry) {
      container.replaceChildren();
      return;
    }
    const paragraph = document.createElement("p");
    paragraph.className = `notice notice--${entry.kind}`;
    const { message } = entry;
    paragraph.textContent = message.key ? t(message.key, message.params) : message.text;
    container.replaceChildren(paragraph);
  }

  let announceTimer = null;

  /** Say `text` through the polite live region, even when it repeats the last one. */
  function announce(text) {
    const region = byId("announcer");
    region.textContent = "";
    window.clearTimeout(announceTimer);
    announceTimer = window.setTimeout(() => {
      region.textContent = text;
    }, 50);
  }

  // ---- Token and session --------------------------------------------------------------------

  // NOTE: a deployment would sign case managers in through Cognito's hosted UI (authorization
  // code flow with PKCE) and use the ID token it returns. Pasting a token fits the local
  // platform, whose `make run` and `cmh admin token` print development tokens.

  function setToken(token) {
    state.token = token;
    writeStored("sessionStorage", TOKEN_KEY, token);
  }

  /** Decode the claims of a JWT for display only. The API alone checks its signature. */
  function decodeClaims(token) {
    const parts = String(token || "").split(".");
    if (parts.length !== 3) {
      return null;
    }
    try {
      const base64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
      const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
      const bytes = Uint8Array.from(window.atob(padded), (character) => character.charCodeAt(0));
      const claims = JSON.parse(new TextDecoder().decode(bytes));
      return claims && typeof claims === "object" ? claims : null;
    } catch (error) {
      return null;
    }
  }

  function tokenExpired(token) {
    const claims = decodeClaims(token);
    return Boolean(claims && typeof claims.exp === "number" && claims.exp * 1000 <= Date.now());
  }

  function renderSession() {
    const bar = byId("session-bar");
    if (!state.token || state.view === "signin" || state.view === null) {
      bar.hidden = true;
      return;
    }
    const claims = decodeClaims(state.token) || {};
    const user = claims.email || claims["cognito:username"] || claims.sub || t("session.unknown_user");
    let text = t("session.signed_in", { user });
    if (typeof claims.exp === "number") {
      text += ` ${t("session.expires", { time: formatDateTime(new Date(claims.exp * 1000).toISOString()) })}`;
    }
    byId("session-text").textContent = text;
    bar.hidden = false;
  }

  function signOut(message, kind) {
    setToken(null);
    stopPolling();
    state.list = null;
    state.current = null;
    state.requestKey = null;
    showSignIn(message, kind);
  }

  /**
   * Handle the API's rejections of the token: 401 (missing, invalid or expired) and 403 (not
   * in the "admins" group). Both drop the token, show the sign-in and return true.
   */
  function rejectedSession(reply) {
    if (reply.status === 401) {
      signOut({ key: "signin.error_unauthorized" }, "error");
      return true;
    }
    if (reply.status === 403) {
      signOut({ key: "signin.error_forbidden" }, "error");
      return true;
    }
    return false;
  }

  function showTokenError(key) {
    const error = byId("token-error");
    const input = byId("token-input");
    error.textContent = t(key);
    error.dataset.errorKey = key;
    error.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", "token-hint token-error");
    input.focus();
  }

  function clearTokenError() {
    const error = byId("token-error");
    error.hidden = true;
    error.textContent = "";
    delete error.dataset.errorKey;
    byId("token-input").removeAttribute("aria-invalid");
    byId("token-input").setAttribute("aria-describedby", "token-hint");
  }

  async function signIn(event) {
    event.preventDefault();
    const input = byId("token-input");
    const token = input.value.trim().replace(/^Bearer\s+/i, "");
    if (!token) {
      showTokenError("signin.error_empty");
      return;
    }
    if (!JWT_SHAPE.test(token)) {
      showTokenError("signin.error_format");
      return;
    }
    if (tokenExpired(token)) {
      showTokenError("signin.error_expired");
      return;
    }
    clearTokenError();
    input.value = "";
    setMessage("signin-problem", null);
    setToken(token);
    await route({ focus: true });
  }

  function showSignIn(message, kind) {
    showView("signin");
    document.title = t("common.page_title");
    setMessage("signin-problem", message || null, kind);
    if (message) {
      byId("token-input").focus();
    }
  }

  // ---- API ----------------------------------------------------------------------------------

  class NetworkError extends Error {}

  function apiBase() {
    return String(window.CMH_API_BASE || "").replace(/\/+$/, "");
  }

  /**
   * Call the admin API with the token and the page's language. Return {status, data}, where
   * data is the parsed JSON body or null, and raise NetworkError when no response arrives.
   */
  async function callApi(method, path, body) {
    const headers = { Accept: "application/json", "Accept-Language": state.language };
    if (state.token) {
      headers.Authorization = `Bearer ${state.token}`;
    }
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
    }
    let response;
    try {
      response = await fetch(apiBase() + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
        credentials: "omit",
      });
    } catch (error) {
      throw new NetworkError(error.message);
    }
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null; // an empty or non-JSON body, e.g. from a proxy in front of the API
    }
    return { status: response.status, data };
  }

  /** Return the message of a failed reply: the API's own when it sends one. */
  function problemOf(reply) {
    if (reply.data && typeof reply.data.message === "string" && reply.data.code) {
      return { text: reply.data.message };
    }
    return { key: "common.server_error", params: { status: reply.status } };
  }

  // ---- Views and navigation -----------------------------------------------------------------

  function showView(name) {
    state.view = name;
    byId("page-loading").hidden = true;
    byId("signin-view").hidden = name !== "signin";
    byId("list-view").hidden = name !== "list";
    byId("request-view").hidden = name !== "request";
    if (name !== "request") {
      stopPolling();
    }
    renderSession();
  }

  function routeOfHash() {
    const match = /^#request=(.+)$/.exec(window.location.hash);
    if (match) {
      try {
        return { view: "request", key: decodeURIComponent(match[1]) };
      } catch (error) {
        return { view: "list" }; // a damaged address: the list instead
      }
    }
    return { view: "list" };
  }

  /** Show the view named by the URL fragment, or the sign-in while no token is stored. */
  async function route(options) {
    const focus = Boolean(options && options.focus);
    if (!state.token) {
      showSignIn(null);
      return;
    }
    const target = routeOfHash();
    if (target.view === "request") {
      await openRequest(target.key, focus);
    } else {
      await openList(focus);
    }
  }

  // ---- The list -----------------------------------------------------------------------------

  function fillStatusOptions() {
    const select = byId("filter-status");
    const chosen = select.value;
    for (const option of Array.from(select.options)) {
      if (option.value) {
        option.remove();
      }
    }
    for (const status of STATUSES) {
      const option = document.createElement("option");
      option.value = status;
      option.textContent = label("statuses", status);
      select.append(option);
    }
    select.value = chosen;
  }

  function readFilters() {
    const limit = Number(byId("filter-limit").value);
    state.filters = {
      status: byId("filter-status").value,
      operator: byId("filter-operator").value.trim().toLowerCase(),
      caseManager: byId("filter-case-manager").value.trim(),
      overdue: byId("filter-overdue").checked,
      limit: [10, 25, 50, 100].includes(limit) ? limit : 25,
    };
  }

  function listPath() {
    const query = new URLSearchParams();
    const { filters } = state;
    if (filters.status) {
      query.set("status", filters.status);
    }
    if (filters.operator) {
      query.set("operator", filters.operator);
    }
    if (filters.caseManager) {
      query.set("case_manager", filters.caseManager);
    }
    if (filters.overdue) {
      query.set("overdue", "true");
    }
    query.set("limit", String(filters.limit));
    const cursor = state.cursors[state.pageIndex];
    if (cursor) {
      query.set("cursor", cursor);
    }
    return `/admin/requests?${query}`;
  }

  async function openList(focus) {
    const arriving = state.view !== "list";
    showView("list");
    document.title = t("common.page_title");
    if (arriving || !state.list) {
      await loadList({ focusAfter: focus ? "return" : null });
    } else if (focus) {
      byId("list-title").focus();
    }
  }

  /**
   * Fetch the current page of the list. `focusAfter` is "summary" after a change of page or
   * filters, "return" on coming back from a request (its link, or the title).
   */
  async function loadList(options) {
    const settings = options || {};
    if (!settings.quiet) {
      setMessage("list-problem", null);
      byId("list-summary").textContent = t("common.loading");
    }
    let reply;
    try {
      reply = await callApi("GET", listPath());
    } catch (error) {
      if (!(error instanceof NetworkError)) {
        throw error;
      }
      setMessage("list-problem", { key: "common.network_error" });
      byId("list-summary").textContent = "";
      return;
    }
    if (state.view !== "list" || rejectedSession(reply)) {
      return;
    }
    if (reply.status !== 200 || !reply.data || !Array.isArray(reply.data.items)) {
      setMessage("list-problem", problemOf(reply));
      byId("list-summary").textContent = "";
      return;
    }
    setMessage("list-problem", null);
    state.list = reply.data;
    state.nextCursor = reply.data.next_cursor || null;
    renderList();
    if (settings.focusAfter === "summary") {
      byId("list-summary").focus();
    } else if (settings.focusAfter === "return") {
      const link = state.lastOpened
        ? byId("requests-rows").querySelector(`a[data-reference="${CSS.escape(state.lastOpened)}"]`)
        : null;
      (link || byId("list-title")).focus();
    }
  }

  function renderList() {
    const items = state.list ? state.list.items : [];
    const rows = byId("requests-rows");
    rows.replaceChildren();
    for (const item of items) {
      rows.append(listRow(item));
    }
    byId("requests-table").hidden = items.length === 0;

    const page = state.pageIndex + 1;
    let summary;
    if (items.length === 0) {
      summary = t(state.pageIndex === 0 ? "list.empty" : "list.empty_page", { page });
    } else {
      summary = t(items.length === 1 ? "list.count_one" : "list.count_other",
        { page, count: items.length });
    }
    byId("list-summary").textContent = summary;
    byId("page-number").textContent = t("list.page_number", { page });
    byId("page-first").hidden = state.pageIndex === 0;
    byId("page-previous").hidden = state.pageIndex === 0;
    byId("page-next").hidden = !state.nextCursor;
  }

  function listRow(item) {
    const row = document.createElement("tr");

    const reference = document.createElement("th");
    reference.scope = "row";
    const link = document.createElement("a");
    link.href = `#request=${encodeURIComponent(item.reference)}`;
    link.textContent = item.reference;
    link.dataset.reference = item.reference;
    reference.append(link);

    const status = document.createElement("td");
    status.append(statusBadge(item.status, item.status_label));

    const deadline = document.createElement("td");
    deadline.append(timeElement(item.deadline, formatDay(item.deadline)));

    const overdue = document.createElement("td");
    overdue.append(overdueText(item));

    const manager = document.createElement("td");
    manager.textContent = managerText(item);

    const municipality = document.createElement("td");
    municipality.textContent = `${item.postal_code} ${item.municipality}`;

    row.append(reference, status, deadline, overdue, manager, municipality);
    return row;
  }

  function statusBadge(status, statusLabel) {
    const badge = document.createElement("span");
    badge.className = `status-badge status-badge--${status}`;
    badge.textContent = statusLabel || label("statuses", status);
    return badge;
  }

  function overdueText(item) {
    const element = document.createElement(item.overdue ? "strong" : "span");
    element.className = item.overdue ? "overdue overdue--yes" : "overdue";
    element.textContent = item.overdue ? t("list.overdue_yes") : t("list.overdue_no");
    return element;
  }

  function managerText(item) {
    if (!item.case_manager && !item.case_manager_id) {
      return t("common.not_assigned");
    }
    return item.case_manager_id
      ? t("common.name_and_id", { name: item.case_manager || item.case_manager_id, id: item.case_manager_id })
      : item.case_manager;
  }

  function changePage(index) {
    state.pageIndex = index;
    loadList({ focusAfter: "summary" }).catch(reportScriptError);
  }

  // ---- One request --------------------------------------------------------------------------

  async function openRequest(key, focus) {
    if (state.requestKey !== key) {
      state.requestKey = key;
      state.current = null;
      state.expectChangeFrom = null;
      setMessage("action-result", null);
      setMessage("request-problem", null);
      resetActionForms();
      byId("request-content").hidden = true;
      byId("request-title").textContent = t("request.title_reference", { reference: key });
    }
    state.polls = 0;
    state.lastOpened = key;
    showView("request");
    document.title = t("request.page_title", { reference: key });
    if (focus) {
      byId("request-title").focus();
    }
    await loadRequest({ quiet: false });
  }

  async function loadRequest(options) {
    const quiet = Boolean(options && options.quiet);
    const key = state.requestKey;
    state.loadSequence += 1;
    const sequence = state.loadSequence;
    let reply;
    try {
      reply = await callApi("GET", `/admin/requests/${encodeURIComponent(key)}`);
    } catch (error) {
      if (!(error instanceof NetworkError)) {
        throw error;
      }
      if (!quiet) {
        setMessage("request-problem", { key: "common.network_error" });
      }
      return;
    }

    // A later load, or another view, has taken over meanwhile.
    if (sequence !== state.loadSequence || state.view !== "request" || key !== state.requestKey) {
      return;
    }
    if (rejectedSession(reply)) {
      return;
    }

    if (reply.status === 200 && reply.data && reply.data.request) {
      setMessage("request-problem", null);
      renderRequest(reply.data);
      schedulePoll();
      return;
    }
    stopPolling();
    if (reply.status === 404) {
      state.current = null;
      byId("request-content").hidden = true;
      setMessage("request-problem", { key: "request.not_found", params: { reference: key } });
    } else {
      setMessage("request-problem", problemOf(reply));
    }
  }

  function schedulePoll() {
    window.clearTimeout(state.pollTimer);
    const status = state.current.request.status;
    if (state.expectChangeFrom !== null && status !== state.expectChangeFrom) {
      state.expectChangeFrom = null;
    }
    const moving = MOVING_STATUSES.includes(status) || state.expectChangeFrom !== null;
    if (!moving || state.polls >= POLL_LIMIT || state.view !== "request") {
      return;
    }
    state.pollTimer = window.setTimeout(() => {
      state.polls += 1;
      loadRequest({ quiet: true }).catch(reportScriptError);
    }, POLL_INTERVAL_MS);
  }

  function stopPolling() {
    window.clearTimeout(state.pollTimer);
  }

  function renderRequest(data) {
    const previous = state.current;
    state.current = data;
    const request = data.request;

    byId("request-title").textContent = t("request.title_reference", { reference: request.reference });
    document.title = t("request.page_title", { reference: request.reference });
    byId("request-content").hidden = false;
    renderSummary(request);
    renderWaiting(data.waiting_on || [], data.current_states || []);
    renderActions(data);
    renderOperators(data.operators || [], request.offer);
    renderExecutions(data.executions || []);
    renderTimeline(data.timeline || []);
    byId("request-updated").textContent = t("request.updated", { time: formatTime(new Date()) });

    const sameRequest = previous && previous.request.request_id === request.request_id;
    if (sameRequest && previous.request.status !== request.status) {
      announce(t("request.status_changed", { label: request.status_label }));
    }
  }

  // ---- Request: summary ---------------------------------------------------------------------

  function appendFact(list, labelKey, value) {
    const row = document.createElement("div");
    const term = document.createElement("dt");
    term.textContent = t(labelKey);
    const description = document.createElement("dd");
    if (Array.isArray(value)) {
      description.append(...value);
    } else {
      description.append(value);
    }
    row.append(term, description);
    list.append(row);
  }

  function lines(texts) {
    const nodes = [];
    texts.filter(Boolean).forEach((text, index) => {
      if (index > 0) {
        nodes.push(document.createElement("br"));
      }
      nodes.push(text);
    });
    return nodes;
  }

  function renderSummary(request) {
    const list = byId("summary-facts");
    list.replaceChildren();
    const code = document.createElement("code");
    code.textContent = request.request_id;

    appendFact(list, "request.fact_reference", request.reference);
    appendFact(list, "request.fact_id", code);
    appendFact(list, "request.fact_status", statusBadge(request.status, request.status_label));
    appendFact(list, "request.fact_created", timeElement(request.created_at, formatDateTime(request.created_at)));
    appendFact(list, "request.fact_deadline", deadlineFact(request));
    appendFact(list, "request.fact_escalated", t(request.escalated ? "request.escalated_yes" : "request.escalated_no"));
    appendFact(list, "request.fact_case_manager", managerText(request));
    appendFact(list, "request.fact_applicant", applicantFact(request.applicant || {}));
    appendFact(list, "request.fact_site", siteText(request.site || {}));
    appendFact(list, "request.fact_project", label("projects", request.project));
    appendFact(list, "request.fact_operators", (request.operator_ids || []).join(", ") || t("common.not_set"));
    appendFact(list, "request.fact_survey", surveyFact(request.survey));
    appendFact(list, "request.fact_offer", offerFact(request.offer));
    appendFact(list, "request.fact_decision", decisionFact(request.decision));
    appendFact(list, "request.fact_works_day", request.works_day
      ? timeElement(request.works_day, formatDay(request.works_day)) : t("request.works_day_none"));
    if (Array.isArray(request.handover_reasons) && request.handover_reasons.length) {
      appendFact(list, "request.fact_handover", lines(request.handover_reasons.map((reason) =>
        t("request.handover_reason", {
          operator: reason.name || reason.operator_id,
          cause: label("handover_causes", reason.cause),
        }))));
    }
  }

  function deadlineFact(request) {
    const nodes = [timeElement(request.deadline, formatDay(request.deadline)), ", "];
    if (FINAL_STATUSES.includes(request.status)) {
      nodes.push(t("request.deadline_closed"));
    } else {
      const note = document.createElement(request.overdue ? "strong" : "span");
      note.className = request.overdue ? "overdue overdue--yes" : "overdue";
      note.textContent = t(request.overdue ? "request.deadline_overdue" : "request.deadline_on_time");
      nodes.push(note);
    }
    return nodes;
  }

  function applicantFact(applicant) {
    const name = `${applicant.first_name || ""} ${applicant.last_name || ""}`.trim();
    const nodes = lines([name]);
    if (applicant.email) {
      const mail = document.createElement("a");
      mail.href = `mailto:${applicant.email}`;
      mail.textContent = applicant.email;
      nodes.push(document.createElement("br"), mail);
    }
    if (applicant.phone) {
      nodes.push(document.createElement("br"), applicant.phone);
    }
    if (applicant.language) {
      nodes.push(document.createElement("br"),
        t("request.applicant_language", { language: label("languages", applicant.language) }));
    }
    return nodes;
  }

  function siteText(site) {
    const street = [site.street, site.house_number].filter(Boolean).join(" ");
    const box = site.box ? t("request.site_box", { box: site.box }) : "";
    return [street + box, `${site.postal_code || ""} ${site.municipality || ""}`.trim()]
      .filter(Boolean).join(", ");
  }

  function surveyFact(survey) {
    if (!survey) {
      return t("request.survey_none");
    }
    return lines([
      t(survey.joint_works_feasible ? "request.survey_feasible" : "request.survey_not_feasible"),
      survey.notes ? t("request.survey_notes", { notes: survey.notes }) : "",
      t("request.survey_recorded", {
        time: formatDateTime(survey.recorded_at), by: survey.recorded_by || t("common.not_set"),
      }),
    ]);
  }

  function offerFact(offer) {
    if (!offer) {
      return t("request.offer_none");
    }
    return t("request.offer_total", {
      total: formatMoney(offer.total_cents), date: formatDay(offer.valid_until),
    });
  }

  function decisionFact(decision) {
    if (!decision) {
      return t("request.decision_none");
    }
    const text = t(decision.decision === "accept" ? "request.decision_accept" : "request.decision_decline");
    return decision.reason ? `${text} ${t("request.decision_reason", { reason: decision.reason })}` : text;
  }

  // ---- Request: waiting steps, operators, executions, timeline ------------------------------

  function cell(content, header) {
    const element = document.createElement(header ? "th" : "td");
    if (header) {
      element.scope = "row";
    }
    if (Array.isArray(content)) {
      element.append(...content);
    } else {
      element.append(content);
    }
    return element;
  }

  function sinceNodes(isoTimestamp) {
    if (!isoTimestamp) {
      return [t("common.not_set")];
    }
    return [timeElement(isoTimestamp, formatDateTime(isoTimestamp)), ` (${formatAgo(isoTimestamp)})`];
  }

  function partyText(party) {
    return ["case_manager", "customer"].includes(party) ? label("parties", party)
      : t("parties.operator", { operator: party });
  }

  function showTable(tableId, emptyId, count) {
    byId(tableId).hidden = count === 0;
    byId(emptyId).hidden = count !== 0;
  }

  function renderWaiting(waiting, currentStates) {
    const rows = byId("waiting-rows");
    rows.replaceChildren();
    for (const item of waiting) {
      const row = document.createElement("tr");
      row.append(
        cell(label("steps", item.step), true),
        cell(partyText(item.party)),
        cell(sinceNodes(item.since)),
        cell(item.deadline ? timeElement(item.deadline, formatDateTime(item.deadline)) : t("common.not_set")),
      );
      rows.append(row);
    }
    showTable("waiting-table", "waiting-none", waiting.length);

    const list = byId("current-states");
    list.replaceChildren();
    for (const item of currentStates) {
      const entry = document.createElement("li");
      const name = document.createElement("code");
      name.textContent = item.state;
      entry.append(name, ` ${t("request.state_since")} `, ...sinceNodes(item.since));
      list.append(entry);
    }
    list.hidden = currentStates.length === 0;
    byId("states-none").hidden = currentStates.length !== 0;
  }

  function renderOperators(operators, offer) {
    const totals = {};
    const names = {};
    for (const part of (offer && offer.operators) || []) {
      totals[part.operator_id] = part.total_cents;
      names[part.operator_id] = part.operator_name;
    }
    const rows = byId("operators-rows");
    rows.replaceChildren();
    for (const operator of operators) {
      const id = operator.operator_id;
      const row = document.createElement("tr");
      row.append(
        cell(names[id] ? t("common.name_and_id", { name: names[id], id }) : id, true),
        cell(operator.state ? label("operator_states", operator.state) : t("common.not_set")),
        cell(operator.quote_deadline
          ? timeElement(operator.quote_deadline, formatDateTime(operator.quote_deadline)) : t("common.not_set")),
        cell(String(operator.reminders || 0)),
        cell(totals[id] !== undefined ? formatMoney(totals[id]) : t("common.not_set")),
      );
      rows.append(row);
    }
    showTable("operators-table", "operators-none", operators.length);
  }

  function renderExecutions(executions) {
    const rows = byId("executions-rows");
    rows.replaceChildren();
    for (const execution of executions) {
      const row = document.createElement("tr");
      row.append(
        cell(execution.name, true),
        cell(label("execution_statuses", execution.status)),
        cell(timeElement(execution.started_at, formatDateTime(execution.started_at))),
        cell(execution.stopped_at
          ? timeElement(execution.stopped_at, formatDateTime(execution.stopped_at)) : t("request.not_stopped")),
      );
      rows.append(row);
    }
    showTable("executions-table", "executions-none", executions.length);
  }

  function actorText(actor) {
    const text = String(actor || "");
    const separator = text.indexOf(":");
    if (separator > 0) {
      const kind = text.slice(0, separator);
      const who = text.slice(separator + 1);
      if (kind === "admin" || kind === "operator") {
        return t(`actors.${kind}`, { who });
      }
    }
    return label("actors", text);
  }

  function detailValue(value) {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    return text.length > DETAIL_TEXT_LIMIT ? `${text.slice(0, DETAIL_TEXT_LIMIT)}…` : text;
  }

  function eventCell(entry) {
    const data = entry.data || {};
    const nodes = [label("events", entry.type)];
    if (entry.source === "execution" && data.state) {
      const name = document.createElement("code");
      name.textContent = data.state;
      nodes.push(t("common.label_separator"), name);
    } else if (entry.type === "status.changed" && data.to) {
      nodes.push(t("common.label_separator"),
        t("request.status_from_to", { from: label("statuses", data.from), to: label("statuses", data.to) }));
    } else if (entry.type === "email.sent" && data.email) {
      nodes.push(t("common.label_separator"), label("emails", data.email));
    }
    return nodes;
  }

  function detailsText(entry) {
    const data = entry.data || {};
    const shown = entry.source === "execution" ? ["state"]
      : { "status.changed": ["from", "to"], "email.sent": ["email"] }[entry.type] || [];
    return Object.entries(data)
      .filter(([name, value]) => !shown.includes(name) && value !== null && value !== undefined)
      .map(([name, value]) => `${name}${t("common.label_separator")}${detailValue(value)}`)
      .join(" · ");
  }

  function renderTimeline(timeline) {
    const rows = byId("timeline-rows");
    rows.replaceChildren();
    for (const entry of timeline) {
      const row = document.createElement("tr");
      row.className = `timeline-row timeline-row--${entry.source}`;
      row.append(
        cell(timeElement(entry.at, formatStamp(entry.at))),
        cell(label("sources", entry.source)),
        cell(eventCell(entry)),
        cell(actorText(entry.actor)),
        cell(detailsText(entry)),
      );
      rows.append(row);
    }
  }

  // ---- Request: actions ---------------------------------------------------------------------

  function setFormVisible(id, visible) {
    const form = byId(id);
    if (!visible && form.contains(document.activeElement)) {
      byId("action-result").focus(); // the focused control is about to disappear
    }
    form.hidden = !visible;
  }

  function renderActions(data) {
    const { status } = data.request;
    const waiting = data.waiting_on || [];
    const open = !FINAL_STATUSES.includes(status);
    const running = (data.executions || []).some((execution) => execution.status === "RUNNING");

    setFormVisible("survey-form", waiting.some((item) => item.step === "site_survey"));
    setFormVisible("remind-form", open && (data.operators || []).length > 0);
    setFormVisible("restart-form", ["failed", "submitted"].includes(status) && !running);
    setFormVisible("cancel-form", open || status === "failed");
    fillRemindOptions(data.operators || [], waiting);
  }

  function fillRemindOptions(operators, waiting) {
    const select = byId("remind-operator");
    const chosen = select.value;
    const waitingSteps = {};
    for (const item of waiting) {
      waitingSteps[item.party] = item.step;
    }
    const choices = operators.map((operator) => {
      const id = operator.operator_id;
      return [id, waitingSteps[id]
        ? t("actions.remind_option_waiting", { operator: id, step: label("steps", waitingSteps[id]) })
        : t("actions.remind_option_idle", { operator: id })];
    });
    const current = Array.from(select.options, (option) => [option.value, option.textContent]);
    if (JSON.stringify(current) === JSON.stringify(choices)) {
      return; // unchanged: an open drop-down list stays as it is while the view refreshes
    }
    select.replaceChildren();
    for (const [id, text] of choices) {
      const option = document.createElement("option");
      option.value = id;
      option.textContent = text;
      select.append(option);
    }
    const firstWaiting = operators.find((operator) => waitingSteps[operator.operator_id]);
    if (operators.some((operator) => operator.operator_id === chosen)) {
      select.value = chosen;
    } else if (firstWaiting) {
      select.value = firstWaiting.operator_id;
    }
  }

  function resetActionForms() {
    for (const id of ["survey-form", "remind-form", "resend-form", "restart-form", "cancel-form"]) {
      byId(id).reset();
    }
    clearSurveyError();
  }

  function setActionsDisabled(disabled) {
    for (const id of ["survey-submit", "remind-submit", "resend-submit", "restart-submit", "cancel-submit"]) {
      byId(id).disabled = disabled;
    }
  }

  /** Ask for a confirmation in the modal dialog; resolve to true when confirmed. */
  function askConfirmation(spec) {
    const dialog = byId("confirm-dialog");
    byId("confirm-title").textContent = spec.title;
    byId("confirm-text").textContent = spec.text;
    const yes = byId("confirm-yes");
    yes.textContent = spec.confirm;
    yes.className = spec.danger ? "button button--danger" : "button";
    dialog.returnValue = "";
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
      dialog.showModal();
      // A destructive action starts on "back", so that Enter alone does not confirm it.
      (spec.danger ? byId("confirm-no") : yes).focus();
    });
  }

  /**
   * Confirm, then send one action: show its result in the live slot, move the focus there
   * and fetch the request again. `spec.result(data)` builds the message of a success.
   */
  async function runAction(spec) {
    if (state.busy || !state.current) {
      return;
    }
    const confirmed = await askConfirmation(spec);
    if (!confirmed) {
      return;
    }

    const statusBefore = state.current.request.status;
    state.busy = true;
    setActionsDisabled(true);
    setMessage("action-result", { key: "actions.sending" }, "info");
    let reply = null;
    try {
      reply = await callApi("POST", `/admin/requests/${encodeURIComponent(state.current.request.request_id)}/${spec.action}`, spec.body);
    } catch (error) {
      if (!(error instanceof NetworkError)) {
        throw error;
      }
    } finally {
      state.busy = false;
      setActionsDisabled(false);
    }
    if (reply && rejectedSession(reply)) {
      return;
    }

    if (!reply) {
      setMessage("action-result", { key: "common.network_error" }, "error");
    } else if (reply.status >= 200 && reply.status < 300) {
      setMessage("action-result", spec.result(reply.data || {}), "success");
      if (spec.after) {
        spec.after();
      }
      state.expectChangeFrom = spec.changesStatus ? statusBefore : null;
    } else {
      setMessage("action-result", problemOf(reply), "error");
    }
    byId("action-result").focus();
    state.polls = 0;
    await loadRequest({ quiet: true });
  }

  function reference() {
    return state.current ? state.current.request.reference : "";
  }

  function showSurveyError() {
    const error = byId("survey-feasible-error");
    error.textContent = t("actions.survey_feasible_missing");
    error.dataset.errorKey = "actions.survey_feasible_missing";
    error.hidden = false;
    byId("survey-feasible-group").classList.add("has-error");
    for (const radio of document.querySelectorAll("input[name='feasible']")) {
      radio.setAttribute("aria-invalid", "true");
    }
    byId("survey-feasible-yes").focus();
  }

  function clearSurveyError() {
    const error = byId("survey-feasible-error");
    error.hidden = true;
    error.textContent = "";
    delete error.dataset.errorKey;
    byId("survey-feasible-group").classList.remove("has-error");
    for (const radio of document.querySelectorAll("input[name='feasible']")) {
      radio.removeAttribute("aria-invalid");
    }
  }

  function submitSurvey(event) {
    event.preventDefault();
    const choice = document.querySelector("input[name='feasible']:checked");
    if (!choice) {
      showSurveyError();
      return;
    }
    clearSurveyError();
    const feasible = choice.value === "yes";
    const notes = byId("survey-notes").value.trim();
    const body = { joint_works_feasible: feasible };
    if (notes) {
      body.notes = notes;
    }
    const ref = reference();
    const answer = () => t(feasible ? "common.yes" : "common.no").toLocaleLowerCase(state.language);
    runAction({
      action: "survey",
      body,
      title: t("actions.survey_confirm_title", { reference: ref }),
      text: t(notes ? "actions.survey_confirm_text_notes" : "actions.survey_confirm_text",
        { answer: answer(), notes }),
      confirm: t("actions.survey_confirm"),
      changesStatus: true,
      result: () => ({ key: "actions.survey_done", params: { reference: ref, answer } }),
      after: () => byId("survey-form").reset(),
    }).catch(reportScriptError);
  }

  function submitRemind(event) {
    event.preventDefault();
    const operator = byId("remind-operator").value;
    if (!operator) {
      return;
    }
    const ref = reference();
    runAction({
      action: "remind",
      body: { operator_id: operator },
      title: t("actions.remind_confirm_title", { operator }),
      text: t("actions.remind_confirm_text", { operator, reference: ref }),
      confirm: t("actions.remind_confirm"),
      result: (data) => ({
        key: "actions.remind_done",
        params: {
          operator: data.operator_id || operator,
          reminder: data.reminder,
          step: () => label("steps", data.step),
        },
      }),
    }).catch(reportScriptError);
  }

  function submitResend(event) {
    event.preventDefault();
    const email = byId("resend-email").value;
    const ref = reference();
    const emailName = () => label("emails", email);
    runAction({
      action: "resend",
      body: { email },
      title: t("actions.resend_confirm_title", { email: emailName() }),
      text: t("actions.resend_confirm_text", { email: emailName(), reference: ref }),
      confirm: t("actions.resend_confirm"),
      result: (data) => ({
        key: "actions.resend_done", params: { email: emailName, message_id: data.message_id || "?" },
      }),
    }).catch(reportScriptError);
  }

  function submitRestart(event) {
    event.preventDefault();
    const ref = reference();
    runAction({
      action: "restart",
      title: t("actions.restart_confirm_title", { reference: ref }),
      text: t("actions.restart_confirm_text"),
      confirm: t("actions.restart_confirm"),
      changesStatus: true,
      result: (data) => ({ key: "actions.restart_done", params: { execution: data.execution || "?" } }),
    }).catch(reportScriptError);
  }

  function submitCancel(event) {
    event.preventDefault();
    const reason = byId("cancel-reason").value.trim();
    const ref = reference();
    runAction({
      action: "cancel",
      body: reason ? { reason } : {},
      title: t("actions.cancel_confirm_title", { reference: ref }),
      text: t(reason ? "actions.cancel_confirm_text_reason" : "actions.cancel_confirm_text", { reason }),
      confirm: t("actions.cancel_confirm"),
      danger: true,
      changesStatus: true,
      result: (data) => {
        const missed = data.operators_not_reached || [];
        return missed.length
          ? { key: "actions.cancel_done_missed", params: { reference: ref, operators: missed.join(", ") } }
          : { key: "actions.cancel_done", params: { reference: ref } };
      },
      after: () => byId("cancel-form").reset(),
    }).catch(reportScriptError);
  }

  // ---- Start-up -----------------------------------------------------------------------------

  function bindEvents() {
    document.querySelectorAll("[data-language]").forEach((button) => {
      button.addEventListener("click", () => {
        setLanguage(button.dataset.language, true).catch(reportScriptError);
      });
    });
    byId("signin-form").addEventListener("submit", (event) => {
      signIn(event).catch(reportScriptError);
    });
    byId("sign-out").addEventListener("click", () => {
      signOut({ key: "session.signed_out" }, "info");
    });

    byId("filters-form").addEventListener("submit", (event) => {
      event.preventDefault();
      readFilters();
      state.cursors = [null];
      state.pageIndex = 0;
      loadList({ focusAfter: "summary" }).catch(reportScriptError);
    });
    byId("filters-reset").addEventListener("click", () => {
      byId("filters-form").reset();
      readFilters();
      state.cursors = [null];
      state.pageIndex = 0;
      loadList({ focusAfter: "summary" }).catch(reportScriptError);
    });
    byId("page-first").addEventListener("click", () => changePage(0));
    byId("page-previous").addEventListener("click", () => changePage(Math.max(0, state.pageIndex - 1)));
    byId("page-next").addEventListener("click", () => {
      if (!state.nextCursor) {
        return;
      }
      state.cursors[state.pageIndex + 1] = state.nextCursor;
      state.cursors.length = state.pageIndex + 2;
      changePage(state.pageIndex + 1);
    });
    byId("open-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const key = byId("open-reference").value.trim();
      const error = byId("open-reference-error");
      const input = byId("open-reference");
      if (!key) {
        error.textContent = t("list.open_missing");
        error.dataset.errorKey = "list.open_missing";
        error.hidden = false;
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", "open-hint open-reference-error");
        input.focus();
        return;
      }
      error.hidden = true;
      delete error.dataset.errorKey;
      input.removeAttribute("aria-invalid");
      input.setAttribute("aria-describedby", "open-hint");
      const normalised = /^cmh-/i.test(key) ? key.toUpperCase() : key;
      window.location.hash = `request=${encodeURIComponent(normalised)}`;
    });

    byId("request-refresh").addEventListener("click", () => {
      state.polls = 0;
      loadRequest({ quiet: false }).catch(reportScriptError);
    });
    byId("survey-form").addEventListener("submit", submitSurvey);
    document.querySelectorAll("input[name='feasible']").forEach((radio) => {
      radio.addEventListener("change", clearSurveyError);
    });
    byId("remind-form").addEventListener("submit", submitRemind);
    byId("resend-form").addEventListener("submit", submitResend);
    byId("restart-form").addEventListener("submit", submitRestart);
    byId("cancel-form").addEventListener("submit", submitCancel);

    window.addEventListener("hashchange", () => {
      route({ focus: true }).catch(reportScriptError);
    });
  }

  async function start() {
    bindEvents();
    try {
      await setLanguage(requestedLanguage() || DEFAULT_LANGUAGE, false);
    } catch (error) {
      reportScriptError(error); // the page stays usable with its French texts
    }
    const stored = readStored("sessionStorage", TOKEN_KEY);
    if (stored && tokenExpired(stored)) {
      writeStored("sessionStorage", TOKEN_KEY, null);
      showSignIn({ key: "signin.error_expired" }, "error");
      return;
    }
    state.token = stored || null;
    await route({ focus: false });
  }

  window.CMHAdmin = {};
  const begin = () => {
    window.CMHAdmin.ready = start().catch(reportScriptError);
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", begin);
  } else {
    begin();
  }
})();
