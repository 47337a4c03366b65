/*
 * Connect my Home: the code shared by every page (languages, API calls, dates) and the
 * request form of index.html. No framework and no build step: the browser runs this file as is.
 *
 * The form mirrors the checks of the API (src/connectmyhome/models.py and rules.py), so most
 * mistakes show next to their field before sending. The API still decides: its per-field
 * `errors` are shown next to the same fields after sending.
 */
(function () {
  "use strict";

  const LANGUAGES = ["fr", "nl", "de", "en"];
  const DEFAULT_LANGUAGE = "fr";
  const STORAGE_KEY = "cmh.language";

  // ---- Languages -------------------------------------------------------------------------

  const catalogs = {};
  const languageListeners = [];
  const state = { language: DEFAULT_LANGUAGE, explicit: false };

  function readStoredLanguage() {
    try {
      return window.localStorage.getItem(STORAGE_KEY);
    } catch (error) {
      return null; // storage is disabled, so the choice lasts for this page only
    }
  }

  function storeLanguage(language) {
    try {
      window.localStorage.setItem(STORAGE_KEY, language);
    } catch (error) {
      // Storage is disabled, so the choice is not kept.
    }
  }

  /** Return the language the visitor asked for (?lang= or an earlier choice), or null. */
  function requestedLanguage() {
    const fromQuery = new URLSearchParams(window.location.search).get("lang");
    if (LANGUAGES.includes(fromQuery)) {
      return fromQuery;
    }
    const stored = readStoredLanguage();
    return LANGUAGES.includes(stored) ? stored : null;
  }

  async function loadCatalog(language) {
    if (!catalogs[language]) {
      const response = await fetch(`i18n/${language}.json`, { cache: "no-cache" });
      if (!response.ok) {
        throw new Error(`i18n/${language}.json: HTTP ${response.status}`);
      }
      catalogs[language] = await response.json();
    }
    return catalogs[language];
  }

  function lookup(catalog, key) {
    return key.split(".").reduce((node, part) => (node ? node[part] : undefined), catalog);
  }

  function fill(template, params) {
    return template.replace(/\{(\w+)\}/g, (placeholder, name) => {
      if (!params || params[name] === undefined || params[name] === null) {
        return placeholder;
      }
      const value = params[name];
      return String(typeof value === "function" ? value() : value);
    });
  }

  function hasTemplate(key) {
    return typeof lookup(catalogs[DEFAULT_LANGUAGE] || {}, key) === "string";
  }

  /** Translate `key` ("form.title") into the current language, French when it is missing. */
  function t(key, params) {
    let template = lookup(catalogs[state.language] || {}, key);
    if (typeof template !== "string") {
      template = lookup(catalogs[DEFAULT_LANGUAGE] || {}, key);
    }
    return typeof template === "string" ? fill(template, params) : key;
  }

  function templateHasPlaceholders(key) {
    const template = lookup(catalogs[DEFAULT_LANGUAGE] || {}, key);
    return typeof template === "string" && /\{\w+\}/.test(template);
  }

  function applyTexts(root) {
    root.querySelectorAll("[data-i18n]").forEach((element) => {
      element.textContent = t(element.dataset.i18n);
    });
    root.querySelectorAll("[data-i18n-attr]").forEach((element) => {
      for (const pair of element.dataset.i18nAttr.split(";")) {
        const [attribute, key] = pair.split(":").map((part) => part.trim());
        element.setAttribute(attribute, t(key));
      }
    });
  }

  /**
   * Switch every text of the page to `language`. An explicit choice (the language switch) is
   * stored for the next pages, but an implicit one (the applicant's language) is not.
   */
  async function setLanguage(language, explicit) {
    const chosen = LANGUAGES.includes(language) ? language : DEFAULT_LANGUAGE;
    await Promise.all([loadCatalog(DEFAULT_LANGUAGE), loadCatalog(chosen)]);
    state.language = chosen;
    if (explicit) {
      state.explicit = true;
      storeLanguage(chosen);
    }
    document.documentElement.lang = chosen;
    applyTexts(document);
    document.querySelectorAll("[data-language]").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.dataset.language === chosen));
    });
    for (const listener of languageListeners) {
      listener(chosen);
    }
  }

  function onLanguageChange(listener) {
    languageListeners.push(listener);
  }

  function bindLanguageSwitch() {
    document.querySelectorAll("[data-language]").forEach((button) => {
      button.addEventListener("click", () => {
        setLanguage(button.dataset.language, true).catch(reportScriptError);
      });
    });
  }

  // ---- Messages read aloud -----------------------------------------------------------------

  let announceTimer = null;

  /** Say `text` through the page's polite live region, even when it repeats the last one. */
  function announce(text) {
    const region = document.getElementById("status-message");
    if (!region) {
      return;
    }
    region.textContent = "";
    window.clearTimeout(announceTimer);
    announceTimer = window.setTimeout(() => {
      region.textContent = text;
    }, 50);
  }

  function reportScriptError(error) {
    // The page stays usable in French when a translation file fails to load.
    console.error("Connect my Home:", error);
  }

  // ---- API ---------------------------------------------------------------------------------

  class NetworkError extends Error {}

  function apiBase() {
    return String(window.CMH_API_BASE || "").replace(/\/+$/, "");
  }

  /**
   * Call the API and return {status, data}, where data is the parsed JSON body or null.
   * Raises NetworkError when the request gets no response. `acceptLanguage` replaces the
   * page's language in the Accept-Language header. An empty string sends the header empty,
   * which the API reads as no preference (the browser would otherwise send its own).
   */
  async function callApi(method, path, options) {
    const settings = options || {};
    const headers = { Accept: "application/json" };
    const acceptLanguage = settings.acceptLanguage === undefined
      ? state.language : settings.acceptLanguage;
    if (acceptLanguage !== null) {
      headers["Accept-Language"] = acceptLanguage;
    }
    if (settings.body !== undefined) {
      headers["Content-Type"] = "application/json";
    }
    if (settings.token) {
      headers.Authorization = `Bearer ${settings.token}`;
    }
    Object.assign(headers, settings.headers || {});

    let response;
    try {
      response = await fetch(apiBase() + path, {
        method,
        headers,
        body: settings.body,
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

  // ---- Dates -------------------------------------------------------------------------------

  const BRUSSELS = "Europe/Brussels";

  function dayAsUtcDate(isoDay) {
    const [year, month, day] = isoDay.split("-").map(Number);
    return new Date(Date.UTC(year, month - 1, day));
  }

  /** Format "2026-05-12" as a long date ("12 mai 2026"), with the weekday when asked. */
  function formatDay(isoDay, withWeekday) {
    const style = withWeekday ? "full" : "long";
    return new Intl.DateTimeFormat(`${state.language}-BE`, { dateStyle: style, timeZone: "UTC" })
      .format(dayAsUtcDate(isoDay));
  }

  function formatDateTime(isoTimestamp) {
    return new Intl.DateTimeFormat(`${state.language}-BE`, {
      dateStyle: "medium", timeStyle: "short", timeZone: BRUSSELS,
    }).format(new Date(isoTimestamp));
  }

  function formatTime(date) {
    return new Intl.DateTimeFormat(`${state.language}-BE`, {
      timeStyle: "short", timeZone: BRUSSELS,
    }).format(date);
  }

  /** Return today's date in Belgium as "YYYY-MM-DD". */
  function todayInBelgium() {
    return new Intl.DateTimeFormat("en-CA", { timeZone: BRUSSELS }).format(new Date());
  }

  function addDays(isoDay, days) {
    const date = dayAsUtcDate(isoDay);
    date.setUTCDate(date.getUTCDate() + days);
    return date.toISOString().slice(0, 10);
  }

  // ---- Shared start-up ---------------------------------------------------------------------

  const CMH = {
    LANGUAGES,
    state,
    t,
    hasTemplate,
    templateHasPlaceholders,
    setLanguage,
    onLanguageChange,
    requestedLanguage,
    announce,
    api: callApi,
    NetworkError,
    formatDay,
    formatDateTime,
    formatTime,
    todayInBelgium,
    addDays,
    reportScriptError,
  };
  window.CMH = CMH;

  async function start() {
    bindLanguageSwitch();
    const requested = requestedLanguage();
    try {
      await setLanguage(requested || DEFAULT_LANGUAGE, false);
    } catch (error) {
      reportScriptError(error);
    }
    state.explicit = requested !== null;
    if (document.getElementById("request-form")) {
      initRequestForm();
    }
  }

  // ======================================================================================
  // The request form
  // ======================================================================================

  // Limits of the API (models.py and rules.py).
  const MAX_CONNECTIONS = 5;
  const MAX_METERS = 4;
  const MAX_POWER_KVA = 250;
  const PLANNING_HORIZON_DAYS = 366;
  const CONNECTION_KEYS = ["electricity", "gas", "water", "telecom_proximus", "telecom_voo"];
  const METERED = ["electricity", "gas", "water"];
  const DETAIL_FIELDS = {
    electricity: ["electricity-meters", "electricity-power", "electricity-phases"],
    gas: ["gas-meters"],
    water: ["water-meters"],
  };

  // API field path -> id of the control that shows its error.
  const FIELD_IDS = {
    "applicant.first_name": "first-name",
    "applicant.last_name": "last-name",
    "applicant.email": "email",
    "applicant.phone": "phone",
    "applicant.language": "applicant-language",
    "site.street": "street",
    "site.house_number": "house-number",
    "site.box": "box",
    "site.postal_code": "postal-code",
    "site.municipality": "municipality",
    project: "project",
    connections: "connections",
    preferred_period: "period-from",
    "preferred_period.from": "period-from",
    "preferred_period.to": "period-to",
    unavailable_days: "unavailable-day",
    notes: "notes",
    consent: "consent",
  };

  // Groups of radio buttons or checkboxes whose error is shown once, under the legend.
  const GROUPS = {
    project: { container: "project-group", inputs: "input[name='project']" },
    connections: { container: "connections-group", inputs: ".connection > .choice > input" },
    "electricity-phases": { container: "electricity-phases", inputs: "input[name='phases']" },
  };

  // Whole words that people type before a box number; the API strips them too.
  const BOX_WORDS = /^\s*(bo[iî]te|bte|bus|box|bt)\.?\s+/i;
  const HOUSE_NUMBER = /^[0-9]{1,5}[A-Za-z0-9/ -]{0,10}$/;
  const POSTAL_CODE = /^[1-9][0-9]{3}$/;

  function byId(id) {
    return document.getElementById(id);
  }

  function valueOf(id) {
    return byId(id).value.trim();
  }

  // ---- Checks mirrored from the API --------------------------------------------------------

  /**
   * Check a phone number roughly as libphonenumber does for region BE: Belgian numbers have
   * eight national digits (nine for mobiles, 045x to 049x); other countries 7 to 15 digits.
   * NOTE: an approximation; the API's check (phonenumbers) decides and its error comes back.
   */
  function isPhoneNumber(raw) {
    const text = raw.trim().replace(/\(0\)/g, "");
    if (!text || /[^0-9+()./\s-]/.test(text)) {
      return false;
    }
    let digits = text.replace(/[^0-9+]/g, "");
    if (digits.lastIndexOf("+") > 0) {
      return false;
    }
    let international = false;
    if (digits.startsWith("+")) {
      digits = digits.slice(1);
      international = true;
    } else if (digits.startsWith("00")) {
      digits = digits.slice(2);
      international = true;
    }

    let national;
    if (international && !digits.startsWith("32")) {
      return /^[1-9]\d{6,14}$/.test(digits);
    } else if (international) {
      national = digits.slice(2);
    } else {
      national = digits.startsWith("0") ? digits.slice(1) : digits;
    }
    return /^4[5-9]\d{7}$/.test(national) || /^[1-35-9]\d{7}$/.test(national);
  }

  /** Check an address the way email-validator does without DNS: ASCII local part. */
  function isEmailAddress(text) {
    const at = text.lastIndexOf("@");
    if (at < 1 || at === text.length - 1) {
      return false;
    }
    const local = text.slice(0, at);
    const domain = text.slice(at + 1);
    if (local.length > 64 || !/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/.test(local)) {
      return false;
    }
    const labels = domain.split(".");
    if (labels.length < 2) {
      return false;
    }
    const label = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;
    const topLevel = labels[labels.length - 1];
    return labels.every((part) => label.test(part)) &&
      (/^\p{L}{2,}$/u.test(topLevel) || /^xn--[a-z0-9-]+$/i.test(topLevel));
  }

  /** Reduce a place name to a comparison key, as service_area.normalize_name does. */
  function normalizeName(text) {
    const ligatures = text.replace(/œ/g, "oe").replace(/Œ/g, "OE")
      .replace(/æ/g, "ae").replace(/Æ/g, "AE").replace(/ß/g, "ss");
    const withoutAccents = ligatures.normalize("NFKD").replace(/\p{M}/gu, "");
    return withoutAccents.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim();
  }

  /** Spell out "st" and "ste" in every way ("saint", "sint", "sainte"). */
  function nameVariants(key) {
    if (!key) {
      return new Set();
    }
    const choices = key.split(" ").map((word) => {
      if (word === "st") {
        return [word, "saint", "sint"];
      }
      return word === "ste" ? [word, "sainte"] : [word];
    });
    let variants = [""];
    for (const options of choices) {
      variants = variants.flatMap((prefix) => options.map((word) => (prefix ? `${prefix} ${word}` : word)));
    }
    return new Set(variants);
  }

  // ---- Postal codes ------------------------------------------------------------------------

  let postalData = null;

  function loadPostalCodes() {
    return fetch("data/postal-codes.json", { cache: "no-cache" })
      .then((response) => (response.ok ? response.json() : null))
      .then((data) => {
        postalData = data;
      })
      .catch(reportScriptError);
  }

  function walloonEntry(postalCode) {
    return postalData && POSTAL_CODE.test(postalCode) ? postalData.walloon[postalCode] || null : null;
  }

  /** Find the municipality of `postalCode` that `name` designates, as match_municipality does. */
  function matchMunicipality(entry, name) {
    const keys = nameVariants(normalizeName(name));
    if (!entry || keys.size === 0) {
      return null;
    }
    for (const municipality of entry.municipalities) {
      if (keys.has(normalizeName(municipality.name_fr)) || keys.has(normalizeName(municipality.name_nl))) {
        return municipality;
      }
    }
    if (entry.municipalities.length === 1 &&
        entry.localities.some((locality) => keys.has(normalizeName(locality)))) {
      return entry.municipalities[0];
    }
    return null;
  }

  /** Return the municipality of the site as far as the form tells it, or null. */
  function siteMunicipality() {
    const entry = walloonEntry(valueOf("postal-code"));
    if (!entry) {
      return null;
    }
    const matched = matchMunicipality(entry, valueOf("municipality"));
    if (matched) {
      return matched;
    }
    return entry.municipalities.length === 1 ? entry.municipalities[0] : null;
  }

  function describeDistributor(id) {
    const distributor = postalData.distributors[id];
    if (!distributor) {
      return id;
    }
    const details = [distributor.website && distributor.website.replace(/^https?:\/\//, ""),
      distributor.phone].filter(Boolean);
    return details.length ? `${distributor.name} (${details.join(", ")})` : distributor.name;
  }

  function contactsFor(municipality, key) {
    return (municipality.contacts[key] || []).map(describeDistributor).join(", ");
  }

  // ---- Errors shown next to their fields ---------------------------------------------------

  const fieldErrors = new Map();
  let summaryVisible = false;
  let summaryMessage = null;

  function controlsOf(id) {
    const group = GROUPS[id];
    if (group) {
      return Array.from(byId(group.container).querySelectorAll(group.inputs));
    }
    const control = byId(id);
    return control ? [control] : [];
  }

  function containerOf(id) {
    const group = GROUPS[id];
    if (group) {
      return byId(group.container);
    }
    const control = byId(id);
    return control ? control.closest(".field, .connection, li") : null;
  }

  /** Return the text of an error in the current language. */
  function errorText(error) {
    let text;
    const key = error.key || `field_errors.${error.code}`;
    const sameLanguage = error.language === state.language;
    if (error.message && (sameLanguage || !hasTemplate(key) || (!error.params && templateHasPlaceholders(key)))) {
      text = error.message; // the API's own words, when they cannot be rebuilt here
    } else {
      text = t(key, error.params);
    }
    if (error.extra) {
      text += ` ${t(error.extra.key, error.extra.params)}`;
    }
    return text;
  }

  function rememberDescribedBy(control) {
    if (control.dataset.baseDescribedby === undefined) {
      control.dataset.baseDescribedby = control.getAttribute("aria-describedby") || "";
    }
  }

  function renderFieldError(id) {
    const error = fieldErrors.get(id);
    const errorElement = byId(`${id}-error`);
    if (errorElement) {
      if (error) {
        const prefix = document.createElement("span");
        prefix.className = "field-error__prefix";
        prefix.textContent = t("common.error_prefix");
        errorElement.replaceChildren(prefix, document.createTextNode(` ${errorText(error)}`));
        errorElement.hidden = false;
      } else {
        errorElement.replaceChildren();
        errorElement.hidden = true;
      }
    }

    for (const control of controlsOf(id)) {
      rememberDescribedBy(control);
      const described = control.dataset.baseDescribedby.split(/\s+/).filter(Boolean);
      if (error && errorElement) {
        described.push(errorElement.id);
      }
      if (described.length) {
        control.setAttribute("aria-describedby", described.join(" "));
      } else {
        control.removeAttribute("aria-describedby");
      }
      if (error) {
        control.setAttribute("aria-invalid", "true");
      } else {
        control.removeAttribute("aria-invalid");
      }
    }
    const container = containerOf(id);
    if (container) {
      container.classList.toggle("has-error", Boolean(error));
    }
  }

  function setFieldError(id, error) {
    if (error) {
      fieldErrors.set(id, error);
    } else {
      fieldErrors.delete(id);
    }
    renderFieldError(id);
    if (summaryVisible) {
      renderSummary();
    }
  }

  /** Return the label of a field as the summary names it ("Électricité – Nombre de compteurs"). */
  function fieldLabel(id) {
    if (id.startsWith("conn-") || id === "consent") {
      return ""; // their messages name the connection or the consent themselves
    }
    const group = GROUPS[id];
    if (group) {
      const legend = byId(group.container).querySelector("legend");
      return legend ? legend.textContent.trim() : "";
    }
    if (id.startsWith("unavailable-item-")) {
      return t("form.unavailable_list");
    }
    const label = document.querySelector(`label[for='${id}']`);
    let text = label ? label.textContent.replace(/\s+/g, " ").trim() : "";
    const connection = byId(id) && byId(id).closest(".connection__details");
    if (connection) {
      const key = connection.id.replace(/-details$/, "");
      text = `${t(`utilities.${key}`)} – ${text}`;
    }
    return text;
  }

  /** Return the ids with an error, in the order of the page. */
  function errorIdsInPageOrder() {
    const order = Array.from(document.querySelectorAll(".field-error")).map((element) => element.id.replace(/-error$/, ""));
    const known = order.filter((id) => fieldErrors.has(id));
    const others = Array.from(fieldErrors.keys()).filter((id) => !order.includes(id));
    return known.concat(others);
  }

  function renderSummary() {
    const summary = byId("error-summary");
    const list = byId("error-summary-list");
    const ids = errorIdsInPageOrder();
    list.replaceChildren();

    for (const id of ids) {
      const item = document.createElement("li");
      const control = controlsOf(id)[0];
      const label = fieldLabel(id);
      const message = errorText(fieldErrors.get(id));
      const text = label ? `${label}${t("common.label_separator")}${message}` : message;
      if (control) {
        const link = document.createElement("a");
        link.href = `#${control.id}`;
        link.textContent = text;
        link.addEventListener("click", (event) => {
          event.preventDefault();
          control.focus();
          control.scrollIntoView({ block: "center" });
        });
        item.append(link);
      } else {
        item.textContent = text;
      }
      list.append(item);
    }

    const message = byId("error-summary-message");
    if (summaryMessage) {
      // A message of the API stays in the language it came in; the page's own are translated.
      message.textContent = summaryMessage.key
        ? t(summaryMessage.key, summaryMessage.params) : summaryMessage.text;
    } else {
      message.textContent = ids.length === 1 ? t("form.summary_one") : t("form.summary_other", { count: ids.length });
    }
    summary.hidden = ids.length === 0 && !summaryMessage;
    if (summary.hidden) {
      summaryVisible = false;
      document.title = t("form.page_title");
    }
  }

  /** Show the summary of errors above the form and move the focus to it. */
  function showSummary(message) {
    summaryVisible = true;
    summaryMessage = message || null;
    renderSummary();
    document.title = t("form.page_title_error");
    const summary = byId("error-summary");
    summary.hidden = false;
    summary.focus();
  }

  function hideSummary() {
    summaryVisible = false;
    summaryMessage = null;
    byId("error-summary").hidden = true;
    document.title = t("form.page_title");
  }

  // ---- One check per field -----------------------------------------------------------------

  function checkText(id, maxLength, required) {
    const value = valueOf(id);
    if (!value) {
      return required ? { code: "missing" } : null;
    }
    return value.length > maxLength ? { code: "string_too_long", params: { max_length: maxLength } } : null;
  }

  function checkDay(value, id) {
    const input = byId(id);
    if (!value) {
      return input && input.validity && input.validity.badInput ? { code: "date_invalid" } : null;
    }
    const today = todayInBelgium();
    const latest = addDays(today, PLANNING_HORIZON_DAYS);
    if (value < today) {
      return { code: "date_in_past" };
    }
    if (value > latest) {
      return { code: "date_too_far", params: { latest: () => formatDay(latest) } };
    }
    return null;
  }

  function checkMeters(key) {
    const raw = valueOf(`${key}-meters`);
    if (!raw) {
      return { code: "missing" };
    }
    if (!/^\d+$/.test(raw)) {
      return { code: "number_invalid" };
    }
    const count = Number(raw);
    if (count < 1) {
      return { code: "number_at_least", params: { limit: 1 } };
    }
    return count > MAX_METERS ? { code: "too_many_meters", params: { limit: MAX_METERS, count } } : null;
  }

  /** Read the power in kVA, with a comma or a point as decimal separator. */
  function parsePower(raw) {
    const text = raw.trim().replace(",", ".");
    return /^\d+(\.\d+)?$/.test(text) ? { value: Number(text), decimals: (text.split(".")[1] || "").length } : null;
  }

  function checkPower() {
    const raw = valueOf("electricity-power");
    if (!raw) {
      return { code: "missing" };
    }
    const power = parsePower(raw);
    if (!power) {
      return { code: "number_invalid" };
    }
    if (power.value <= 0) {
      return { code: "number_too_small", params: { limit: 0 } };
    }
    if (power.value > MAX_POWER_KVA) {
      return { code: "number_too_large", params: { limit: MAX_POWER_KVA } };
    }
    return power.decimals > 2 ? { code: "decimal_too_precise", params: { decimal_places: 2 } } : null;
  }

  function checkServed(key) {
    const municipality = siteMunicipality();
    if (!municipality || municipality.partners[key]) {
      return null;
    }
    const contacts = contactsFor(municipality, key);
    return {
      code: "not_served",
      params: { utility: () => t(`utilities.${key}`) },
      extra: contacts ? { key: "form_errors.contact_instead", params: { contacts } } : null,
    };
  }

  function checkPostalCode() {
    const code = valueOf("postal-code");
    if (!code) {
      return { code: "missing" };
    }
    if (!POSTAL_CODE.test(code)) {
      return { code: "postal_code_invalid" };
    }
    if (!postalData || walloonEntry(code)) {
      return null;
    }
    const elsewhere = postalData.elsewhere[code];
    if (elsewhere) {
      return { code: "outside_wallonia", params: { postal_code: code, municipality: elsewhere } };
    }
    return { code: "postal_code_unknown", params: { postal_code: code } };
  }

  function checkMunicipality() {
    const basic = checkText("municipality", 120, true);
    if (basic) {
      return basic;
    }
    const code = valueOf("postal-code");
    const entry = walloonEntry(code);
    if (!entry || matchMunicipality(entry, valueOf("municipality"))) {
      return null;
    }
    return {
      code: "municipality_mismatch",
      params: { municipality: valueOf("municipality"), postal_code: code, expected: entry.localities.join(", ") },
    };
  }

  function checkedConnections() {
    return CONNECTION_KEYS.filter((key) => byId(`conn-${key}`).checked);
  }

  const CHECKS = {
    "first-name": () => checkText("first-name", 100, true),
    "last-name": () => checkText("last-name", 100, true),
    email: () => checkText("email", 254, true) || (isEmailAddress(valueOf("email")) ? null : { code: "email_invalid" }),
    phone: () => checkText("phone", 40, true) || (isPhoneNumber(valueOf("phone")) ? null : { code: "phone_invalid" }),
    street: () => checkText("street", 120, true),
    "house-number": () => {
      const value = valueOf("house-number");
      if (!value) {
        return { code: "missing" };
      }
      return HOUSE_NUMBER.test(value) ? null : { code: "house_number_invalid" };
    },
    box: () => {
      const value = valueOf("box").replace(BOX_WORDS, "");
      return value.length > 10 ? { code: "string_too_long", params: { max_length: 10 } } : null;
    },
    "postal-code": checkPostalCode,
    municipality: checkMunicipality,
    project: () => (document.querySelector("input[name='project']:checked") ? null : { key: "form_errors.choose_one" }),
    connections: () => {
      const count = checkedConnections().length;
      if (count === 0) {
        return { key: "form_errors.connections_none" };
      }
      return count > MAX_CONNECTIONS
        ? { code: "too_many_connections", params: { limit: MAX_CONNECTIONS, count } } : null;
    },
    "electricity-meters": () => (byId("conn-electricity").checked ? checkMeters("electricity") : null),
    "electricity-power": () => (byId("conn-electricity").checked ? checkPower() : null),
    "electricity-phases": () => {
      if (!byId("conn-electricity").checked || document.querySelector("input[name='phases']:checked")) {
        return null;
      }
      return { key: "form_errors.choose_one" };
    },
    "gas-meters": () => (byId("conn-gas").checked ? checkMeters("gas") : null),
    "water-meters": () => (byId("conn-water").checked ? checkMeters("water") : null),
    "period-from": () => checkPeriodEnd("period-from", "period-to"),
    "period-to": () => {
      const own = checkPeriodEnd("period-to", "period-from");
      if (own) {
        return own;
      }
      const from = byId("period-from").value;
      const to = byId("period-to").value;
      return from && to && to < from ? { code: "period_reversed" } : null;
    },
    // A date typed in but never added to the list would be lost without a word.
    "unavailable-day": () => {
      const input = byId("unavailable-day");
      return input.value || input.validity.badInput ? { key: "form_errors.day_not_added" } : null;
    },
    notes: () => checkText("notes", 2000, false),
    consent: () => (byId("consent").checked ? null : { code: "consent_required" }),
  };
  for (const key of CONNECTION_KEYS) {
    CHECKS[`conn-${key}`] = () => (byId(`conn-${key}`).checked ? checkServed(key) : null);
  }

  function checkPeriodEnd(id, otherId) {
    const value = byId(id).value;
    const other = byId(otherId).value;
    const dayError = checkDay(value, id);
    if (dayError) {
      return dayError;
    }
    return !value && other ? { key: "form_errors.period_incomplete" } : null;
  }

  function validateField(id) {
    const check = CHECKS[id];
    if (check) {
      setFieldError(id, check());
    }
  }

  function validateAll() {
    for (const id of Object.keys(CHECKS)) {
      validateField(id);
    }
    unavailableDays.forEach((day, index) => {
      const seenBefore = unavailableDays.indexOf(day) < index;
      setFieldError(`unavailable-item-${index}`, seenBefore ? { code: "duplicate_day" } : checkDay(day, null));
    });
    return fieldErrors.size === 0;
  }

  // ---- Unavailable days --------------------------------------------------------------------

  const unavailableDays = [];

  function renderUnavailableDays() {
    const list = byId("unavailable-list");
    const itemErrors = new Map();
    for (const [id, error] of fieldErrors) {
      if (id.startsWith("unavailable-item-")) {
        itemErrors.set(id, error);
      }
    }
    list.replaceChildren();
    unavailableDays.forEach((day, index) => {
      const item = document.createElement("li");
      const text = document.createElement("span");
      text.textContent = formatDay(day, true);
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "button button--link";
      remove.id = `unavailable-item-${index}`;
      remove.textContent = t("form.remove");
      remove.setAttribute("aria-label", t("form.unavailable_remove", { day: formatDay(day, true) }));
      remove.addEventListener("click", () => removeUnavailableDay(index));
      const error = document.createElement("p");
      error.className = "field-error";
      error.id = `unavailable-item-${index}-error`;
      error.hidden = true;
      item.append(text, " ", remove, error);
      list.append(item);
    });
    for (const id of itemErrors.keys()) {
      renderFieldError(id);
    }
    const empty = unavailableDays.length === 0;
    list.hidden = empty;
    byId("unavailable-list-title").hidden = empty;
  }

  function clearUnavailableItemErrors() {
    for (const id of Array.from(fieldErrors.keys())) {
      if (id.startsWith("unavailable-item-")) {
        fieldErrors.delete(id);
      }
    }
  }

  function addUnavailableDay() {
    const input = byId("unavailable-day");
    const value = input.value;
    let error = null;
    if (!value) {
      error = input.validity.badInput ? { code: "date_invalid" } : { key: "form_errors.date_missing" };
    } else if (unavailableDays.includes(value)) {
      error = { code: "duplicate_day" };
    } else {
      error = checkDay(value, "unavailable-day");
    }
    setFieldError("unavailable-day", error);
    if (error) {
      announce(errorText(error));
      return;
    }
    unavailableDays.push(value);
    unavailableDays.sort();
    clearUnavailableItemErrors();
    renderUnavailableDays();
    input.value = "";
    announce(t("form.day_added", { day: formatDay(value, true) }));
  }

  function removeUnavailableDay(index) {
    const [day] = unavailableDays.splice(index, 1);
    clearUnavailableItemErrors();
    renderUnavailableDays();
    const next = byId(`unavailable-item-${Math.min(index, unavailableDays.length - 1)}`);
    (next || byId("unavailable-day")).focus();
    announce(t("form.day_removed", { day: formatDay(day, true) }));
  }

  // ---- Postal code completion and coverage -------------------------------------------------

  function renderMunicipalityOptions(entry) {
    const options = byId("municipality-options");
    options.replaceChildren();
    if (!entry) {
      return;
    }
    const names = new Set(entry.localities);
    for (const municipality of entry.municipalities) {
      names.add(municipality.name_fr);
      names.add(municipality.name_nl);
    }
    for (const name of names) {
      const option = document.createElement("option");
      option.value = name;
      options.append(option);
    }
  }

  function completeMunicipality() {
    const entry = walloonEntry(valueOf("postal-code"));
    renderMunicipalityOptions(entry);
    const input = byId("municipality");
    const autofilled = input.dataset.autofilled === "true";
    if (entry && entry.municipalities.length === 1 && (!input.value.trim() || autofilled)) {
      const municipality = entry.municipalities[0];
      const name = state.language === "nl" ? municipality.name_nl : municipality.name_fr;
      if (input.value !== name) {
        input.value = name;
        input.dataset.autofilled = "true";
        announce(t("form.municipality_filled", { name }));
      }
      if (fieldErrors.has("municipality")) {
        validateField("municipality");
      }
    } else if (!entry && autofilled) {
      input.value = "";
      delete input.dataset.autofilled;
    }
  }

  function renderCoverage() {
    const coverage = byId("coverage");
    coverage.replaceChildren();
    const municipality = postalData ? siteMunicipality() : null;
    if (!municipality) {
      return;
    }

    const served = CONNECTION_KEYS.filter((key) => municipality.partners[key]);
    const missing = CONNECTION_KEYS.filter((key) => !municipality.partners[key]);
    if (served.length) {
      const intro = document.createElement("p");
      intro.textContent = t("form.coverage_served");
      const list = document.createElement("ul");
      for (const key of served) {
        const item = document.createElement("li");
        const partner = postalData.distributors[municipality.partners[key]];
        const label = t(`utilities.${key}`);
        item.textContent = key.startsWith("telecom_") ? label : `${label} (${partner ? partner.name : ""})`;
        list.append(item);
      }
      coverage.append(intro, list);
    }
    if (missing.length) {
      const intro = document.createElement("p");
      intro.textContent = t("form.coverage_not_served");
      const list = document.createElement("ul");
      for (const key of missing) {
        const item = document.createElement("li");
        const contacts = contactsFor(municipality, key);
        const utility = t(`utilities.${key}`);
        item.textContent = contacts
          ? t("form.coverage_contact", { utility, contacts })
          : t("form.coverage_no_contact", { utility });
        list.append(item);
      }
      coverage.append(intro, list);
    }
  }

  // ---- The body of POST /requests ----------------------------------------------------------

  let sentConnections = [];

  function buildBody() {
    const applicant = {
      first_name: valueOf("first-name"),
      last_name: valueOf("last-name"),
      email: valueOf("email"),
      phone: valueOf("phone"),
      language: byId("applicant-language").value,
    };
    const site = {
      street: valueOf("street"),
      house_number: valueOf("house-number"),
    };
    const box = valueOf("box");
    if (box) {
      site.box = box;
    }
    site.postal_code = valueOf("postal-code");
    site.municipality = valueOf("municipality");

    const connections = checkedConnections().map((key) => {
      if (key.startsWith("telecom_")) {
        return { utility: "telecom", operator: key.slice("telecom_".length) };
      }
      const connection = { utility: key, meters: Number(valueOf(`${key}-meters`)) };
      if (key === "electricity") {
        connection.power_kva = parsePower(valueOf("electricity-power")).value;
        connection.phases = Number(document.querySelector("input[name='phases']:checked").value);
      }
      return connection;
    });

    const body = {
      applicant,
      site,
      project: document.querySelector("input[name='project']:checked").value,
      connections,
    };
    const from = byId("period-from").value;
    const to = byId("period-to").value;
    if (from && to) {
      body.preferred_period = { from, to };
    }
    if (unavailableDays.length) {
      body.unavailable_days = unavailableDays.slice();
    }
    body.consent = byId("consent").checked;
    const notes = valueOf("notes");
    if (notes) {
      body.notes = notes;
    }
    return body;
  }

  /** Map an API field path ("connections[0].meters") to the id of the control it concerns. */
  function fieldIdForPath(path) {
    if (FIELD_IDS[path]) {
      return FIELD_IDS[path];
    }
    const connection = /^connections\[(\d+)\](?:\.(\w+))?$/.exec(path);
    if (connection) {
      const key = sentConnections[Number(connection[1])];
      const part = connection[2];
      if (!key) {
        return "connections";
      }
      if (part === "meters" && METERED.includes(key)) {
        return `${key}-meters`;
      }
      if (part === "power_kva") {
        return "electricity-power";
      }
      return part === "phases" ? "electricity-phases" : `conn-${key}`;
    }
    const day = /^unavailable_days\[(\d+)\]$/.exec(path);
    if (day) {
      return byId(`unavailable-item-${day[1]}`) ? `unavailable-item-${day[1]}` : "unavailable-day";
    }
    const prefix = Object.keys(FIELD_IDS).find((known) => path.startsWith(`${known}.`));
    return prefix ? FIELD_IDS[prefix] : null;
  }

  function showApiFieldErrors(errors) {
    let unmapped = 0;
    for (const item of errors || []) {
      const id = fieldIdForPath(item.field) || `api-${unmapped++}`;
      fieldErrors.set(id, { code: item.code, message: item.message, language: state.language, fromApi: true });
      renderFieldError(id);
    }
  }

  function renderOutsideArea(data) {
    const section = byId("outside-area");
    byId("outside-area-message").textContent = data.message;
    const list = byId("outside-area-contacts");
    list.replaceChildren();
    for (const uncovered of data.uncovered || []) {
      const item = document.createElement("li");
      list.append(item);
      if (!uncovered.contacts.length) {
        item.textContent = t("form.coverage_no_contact", { utility: uncovered.label });
        continue;
      }
      const label = document.createElement("strong");
      label.textContent = uncovered.label;
      item.append(label, t("common.label_separator"));
      uncovered.contacts.forEach((contact, index) => {
        if (index > 0) {
          item.append(", ");
        }
        item.append(contact.name);
        const details = [];
        if (contact.website) {
          const link = document.createElement("a");
          link.href = contact.website;
          link.textContent = contact.website.replace(/^https?:\/\//, "");
          details.push(link);
        }
        if (contact.phone) {
          const phone = document.createElement("a");
          phone.href = `tel:${contact.phone.replace(/\s+/g, "")}`;
          phone.textContent = contact.phone;
          details.push(phone);
        }
        if (details.length) {
          item.append(" (");
          details.forEach((detail, position) => {
            item.append(...(position ? [", ", detail] : [detail]));
          });
          item.append(")");
        }
      });
    }
    section.hidden = false;
    document.title = t("form.page_title_error");
    section.focus();
  }

  // ---- Sending -----------------------------------------------------------------------------

  // The Idempotency-Key of the body being sent: kept while the body stays the same, so that
  // a retry after a lost answer or a double click files one request only.
  let pendingSubmission = null;
  let sending = false;
  let confirmation = null;

  function newIdempotencyKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function setSending(active) {
    sending = active;
    const button = byId("submit");
    button.disabled = active;
    button.textContent = active ? t("form.sending") : t("form.submit");
    byId("request-form").setAttribute("aria-busy", String(active));
  }

  async function submitRequest(event) {
    event.preventDefault();
    if (sending) {
      return;
    }
    setSending(true); // at once, so that a second click in the same instant does nothing
    byId("outside-area").hidden = true;

    // The API's errors of the last try are checked again by the page, or by the API once more.
    for (const [id, error] of Array.from(fieldErrors)) {
      if (error.fromApi) {
        fieldErrors.delete(id);
        renderFieldError(id);
      }
    }
    if (!validateAll()) {
      setSending(false);
      showSummary();
      return;
    }

    const body = buildBody();
    const serialized = JSON.stringify(body);
    if (!pendingSubmission || pendingSubmission.body !== serialized) {
      pendingSubmission = { key: newIdempotencyKey(), body: serialized };
    }
    sentConnections = checkedConnections();

    let reply;
    try {
      reply = await CMH.api("POST", "/requests", {
        body: serialized,
        headers: { "Idempotency-Key": pendingSubmission.key },
      });
    } catch (error) {
      if (!(error instanceof NetworkError)) {
        throw error;
      }
      setSending(false);
      showSummary({ key: "form_errors.network" });
      return;
    }
    setSending(false);
    handleReply(reply, body);
  }

  function handleReply(reply, body) {
    const data = reply.data || {};
    if (reply.status === 201) {
      pendingSubmission = null;
      showConfirmation(data, body.applicant.email);
      return;
    }
    if (reply.status === 422 && data.code === "outside_service_area") {
      showApiFieldErrors(data.errors);
      hideSummary();
      renderOutsideArea(data);
      return;
    }
    if (reply.status === 422 && data.code === "idempotency_key_reused") {
      pendingSubmission = null; // the next try gets a fresh key
    }
    if (reply.status === 422 && Array.isArray(data.errors)) {
      showApiFieldErrors(data.errors);
      showSummary();
      return;
    }
    if (data.message) {
      showSummary({ text: data.message, language: state.language });
      return;
    }
    showSummary({ key: "form_errors.unexpected", params: { status: reply.status } });
  }

  /** Link to the tracking page on this site, keeping the request id and token of the link. */
  function trackingHref(trackingUrl) {
    try {
      const url = new URL(trackingUrl, window.location.href);
      if (url.pathname.endsWith("/suivi.html")) {
        return `suivi.html${url.search}${url.hash}`;
      }
      return url.href;
    } catch (error) {
      return "suivi.html";
    }
  }

  function renderConfirmation() {
    if (!confirmation) {
      return;
    }
    byId("confirmation-reference").textContent = confirmation.reference;
    byId("confirmation-email").textContent = t("confirmation.email_sent", { email: confirmation.email });
    byId("confirmation-tracking").href = trackingHref(confirmation.trackingUrl);
    document.title = t("confirmation.page_title");
  }

  function showConfirmation(data, email) {
    confirmation = { reference: data.reference, trackingUrl: data.tracking_url || "", email };
    hideSummary();
    byId("request-view").hidden = true;
    byId("confirmation").hidden = false;
    renderConfirmation();
    window.scrollTo(0, 0);
    byId("confirmation-title").focus();
  }

  // ---- Wiring ------------------------------------------------------------------------------

  function toggleDetails(key) {
    const details = byId(`${key}-details`);
    if (details) {
      details.hidden = !byId(`conn-${key}`).checked;
    }
  }

  function rerenderForLanguage(language) {
    const select = byId("applicant-language");
    if (select.dataset.chosen !== "true") {
      select.value = language;
    }
    for (const id of fieldErrors.keys()) {
      renderFieldError(id);
    }
    renderUnavailableDays();
    renderCoverage();
    if (summaryVisible) {
      renderSummary();
      document.title = t("form.page_title_error");
    }
    if (sending) {
      byId("submit").textContent = t("form.sending");
    }
    if (confirmation) {
      renderConfirmation();
    }
  }

  function initRequestForm() {
    const form = byId("request-form");
    document.querySelectorAll("#request-form input, #request-form select, #request-form textarea")
      .forEach(rememberDescribedBy);
    byId("applicant-language").value = state.language;

    // Check a field when the visitor leaves it, and again as they type once it shows an error.
    form.addEventListener("focusout", (event) => {
      const id = event.target.id;
      if (id === "unavailable-day") {
        return; // checked when the day is added, and at sending
      }
      if (CHECKS[id] && event.target.matches("input[type='text'], input[type='email'], input[type='tel'], input[type='number'], input[type='date'], textarea")) {
        if (event.target.value.trim() || event.target.validity.badInput || fieldErrors.has(id)) {
          validateField(id);
          if (fieldErrors.has(id)) {
            announce(errorText(fieldErrors.get(id)));
          }
        }
      }
    });
    form.addEventListener("input", (event) => {
      const id = event.target.id;
      if (id === "unavailable-day") {
        setFieldError(id, null);
        return;
      }
      if (CHECKS[id] && fieldErrors.has(id) && event.target.type !== "checkbox" && event.target.type !== "radio") {
        validateField(id);
      }
    });

    byId("postal-code").addEventListener("input", () => {
      completeMunicipality();
      if (fieldErrors.has("municipality")) {
        validateField("municipality"); // the same name may fit the new postal code
      }
      renderCoverage();
      for (const key of CONNECTION_KEYS) {
        if (fieldErrors.has(`conn-${key}`)) {
          validateField(`conn-${key}`);
        }
      }
    });
    byId("municipality").addEventListener("input", () => {
      delete byId("municipality").dataset.autofilled;
      renderCoverage();
    });
    byId("applicant-language").addEventListener("change", (event) => {
      event.target.dataset.chosen = "true";
    });

    form.querySelectorAll("input[name='project']").forEach((radio) => {
      radio.addEventListener("change", () => validateField("project"));
    });
    form.querySelectorAll("input[name='phases']").forEach((radio) => {
      radio.addEventListener("change", () => validateField("electricity-phases"));
    });
    for (const key of CONNECTION_KEYS) {
      byId(`conn-${key}`).addEventListener("change", () => {
        toggleDetails(key);
        validateField(`conn-${key}`);
        for (const id of DETAIL_FIELDS[key] || []) {
          if (fieldErrors.has(id)) {
            validateField(id); // an unticked connection drops the errors of its details
          }
        }
        if (fieldErrors.has("connections")) {
          validateField("connections");
        }
      });
      toggleDetails(key);
    }
    byId("consent").addEventListener("change", () => {
      if (fieldErrors.has("consent")) {
        validateField("consent");
      }
    });

    byId("unavailable-add").addEventListener("click", addUnavailableDay);
    byId("unavailable-day").addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault(); // Enter adds the day here instead of sending the form
        addUnavailableDay();
      }
    });
    renderUnavailableDays();

    form.addEventListener("submit", (event) => {
      submitRequest(event).catch((error) => {
        setSending(false);
        reportScriptError(error);
        showSummary({ key: "form_errors.unexpected", params: { status: "script" } });
      });
    });
    onLanguageChange(rerenderForLanguage);

    loadPostalCodes().then(() => {
      if (valueOf("postal-code")) {
        completeMunicipality();
        renderCoverage();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => {
      CMH.ready = start();
    });
  } else {
    CMH.ready = start();
  }
})();
