/*
 * The tracking page, suivi.html?request=<request_id>#token=<token>: the emailed link.
 *
 * The token stays in the fragment, which the browser never sends to a server. This page
 * reads it and calls GET /requests/{id} with `Authorization: Bearer <token>`. Opening the
 * page changes nothing: only a confirmed Accept or Decline POSTs a decision.
 */
(function () {
  "use strict";

  const CMH = window.CMH;
  // While the platform works on its own (filing, planning the works day), the page fetches
  // the request again every few seconds, for three minutes at most.
  const POLL_INTERVAL_MS = 3000;
  const POLL_LIMIT = 60;
  const AUTOMATIC_STATUSES = ["submitted", "accepted"];

  let link = readLink();
  let current = null;
  let notice = null;
  let pollTimer = null;
  let polls = 0;
  let deciding = false;
  // After a decision the request keeps its status for a moment, until the workflow records it.
  let awaitingDecisionStep = false;

  function byId(id) {
    return document.getElementById(id);
  }

  /** Read the request id from the query and the token from the fragment of the link. */
  function readLink() {
    const requestId = new URLSearchParams(window.location.search).get("request");
    const match = /(?:^|[#&])token=([^&]*)/.exec(window.location.hash);
    let token = null;
    if (match) {
      try {
        token = decodeURIComponent(match[1]);
      } catch (error) {
        token = null; // a damaged link: treated as incomplete
      }
    }
    return { requestId, token };
  }

  function capitalize(text) {
    return text ? text.charAt(0).toLocaleUpperCase(CMH.state.language) + text.slice(1) : text;
  }

  // ---- Problems (bad link, network) -------------------------------------------------------

  function showProblem(key, options) {
    const settings = options || {};
    byId("tracking-loading").hidden = true;
    byId("tracking-problem-text").textContent = CMH.t(key);
    byId("tracking-problem-text").dataset.key = key;
    byId("tracking-retry").hidden = !settings.retry;
    byId("tracking-new-request").hidden = !settings.newRequest;
    byId("tracking-problem").hidden = false;
    if (!settings.keepView) {
      byId("tracking-view").hidden = true;
    }
  }

  function hideProblem() {
    byId("tracking-problem").hidden = true;
    delete byId("tracking-problem-text").dataset.key;
  }

  // ---- Loading ------------------------------------------------------------------------------

  async function load(options) {
    const quiet = Boolean(options && options.quiet);
    if (!link.requestId || !link.token) {
      showProblem("tracking.error_incomplete", { newRequest: true });
      return;
    }

    let reply;
    try {
      reply = await CMH.api("GET", `/requests/${encodeURIComponent(link.requestId)}`, {
        token: link.token,
        // Without a choice on this site, an empty header replaces the browser's own
        // Accept-Language, so that the API replies in the applicant's language.
        acceptLanguage: CMH.state.explicit ? CMH.state.language : "",
      });
    } catch (error) {
      if (!(error instanceof CMH.NetworkError)) {
        throw error;
      }
      if (quiet) {
        schedulePoll(); // a lost poll is tried again, within the same limit
      } else {
        showProblem("tracking.error_network", { retry: true, keepView: Boolean(current) });
      }
      return;
    }

    if (reply.status === 200 && reply.data) {
      const chosenMeanwhile = CMH.state.explicit && reply.data.language !== CMH.state.language;
      if (chosenMeanwhile && !(options && options.again)) {
        // The visitor picked a language while this reply was on its way: fetch it in theirs.
        await load({ quiet, again: true });
        return;
      }
      hideProblem();
      if (!CMH.state.explicit && reply.data.language && reply.data.language !== CMH.state.language) {
        current = reply.data;
        await CMH.setLanguage(reply.data.language, false); // renders through the listener
      } else {
        render(reply.data);
      }
      schedulePoll();
      return;
    }
    stopPolling();
    if (reply.status === 401) {
      showProblem("tracking.error_unauthorized");
    } else if (reply.status === 404) {
      showProblem("tracking.error_not_found", { newRequest: true });
    } else {
      showProblem("tracking.error_server", { retry: true, keepView: Boolean(current) });
    }
  }

  function schedulePoll() {
    window.clearTimeout(pollTimer);
    if (awaitingDecisionStep && current && current.status !== "offer_sent") {
      awaitingDecisionStep = false;
    }
    const automatic = current && (AUTOMATIC_STATUSES.includes(current.status) || awaitingDecisionStep);
    if (!automatic || polls >= POLL_LIMIT) {
      return;
    }
    pollTimer = window.setTimeout(() => {
      polls += 1;
      load({ quiet: true }).catch(CMH.reportScriptError);
    }, POLL_INTERVAL_MS);
  }

  function stopPolling() {
    window.clearTimeout(pollTimer);
  }

  // ---- Rendering ----------------------------------------------------------------------------

  function render(data) {
    const previous = current;
    current = data;
    const t = CMH.t;

    byId("tracking-loading").hidden = true;
    byId("tracking-view").hidden = false;
    byId("tracking-title").textContent = t("tracking.title_reference", { reference: data.reference });
    document.title = `${t("tracking.title_reference", { reference: data.reference })} – Connect my Home`;

    const badge = byId("status-label");
    badge.textContent = data.status_label;
    badge.className = `status-badge status-badge--${data.status}`;
    byId("next-step").textContent = data.next_step;
    byId("next-actor").textContent = t(`actors.${data.next_actor}`);
    const deadlineRow = byId("deadline").parentElement;
    deadlineRow.hidden = data.next_actor === "nobody" || !data.deadline;
    if (data.deadline) {
      byId("deadline").textContent = t("tracking.deadline_value", { date: CMH.formatDay(data.deadline) });
    }
    byId("address").textContent = data.address;
    renderConnections(data.connections || []);
    renderWorksDay(data.works_day, data.status === "completed");
    renderOffer(data);
    renderCaseManager(data.case_manager);
    renderTimeline(data.timeline || []);
    renderNotice();
    byId("tracking-updated").textContent = t("tracking.updated", { time: CMH.formatTime(new Date()) });

    if (previous && previous.status !== data.status) {
      CMH.announce(t("tracking.status_changed", { label: data.status_label }));
    }
  }

  function renderConnections(connections) {
    const list = byId("connections");
    list.replaceChildren();
    for (const connection of connections) {
      const item = document.createElement("li");
      item.textContent = capitalize(connection.label);
      list.append(item);
    }
  }

  function renderWorksDay(worksDay, done) {
    byId("works-section").hidden = !worksDay;
    if (worksDay) {
      const key = done ? "tracking.works_day_done" : "tracking.works_day";
      byId("works-day").textContent = CMH.t(key, { date: CMH.formatDay(worksDay, true) });
    }
  }

  function renderOffer(data) {
    const offer = data.offer;
    byId("offer-section").hidden = !offer;
    if (!offer) {
      return;
    }
    const rows = byId("offer-operators");
    rows.replaceChildren();
    for (const operator of offer.operators) {
      const row = document.createElement("tr");
      const name = document.createElement("th");
      name.scope = "row";
      name.textContent = operator.name;
      const amount = document.createElement("td");
      amount.className = "amount";
      amount.textContent = operator.free ? `${operator.total} (${CMH.t("tracking.offer_free")})` : operator.total;
      row.append(name, amount);
      rows.append(row);
    }
    byId("offer-total").textContent = offer.total;
    byId("offer-valid").textContent = CMH.t("tracking.offer_valid", { date: CMH.formatDay(offer.valid_until) });

    const decision = byId("offer-decision");
    decision.hidden = !data.decision;
    if (data.decision) {
      decision.textContent = CMH.t(`tracking.decision_${data.decision}`);
    }
    const actions = data.actions || {};
    const open = Boolean(actions.accept || actions.decline) && !data.decision;
    const actionsBlock = byId("offer-actions");
    if (!open && actionsBlock.contains(document.activeElement)) {
      byId("tracking-title").focus(); // the focused button is about to disappear
    }
    actionsBlock.hidden = !open;
    byId("accept-button").disabled = deciding;
    byId("decline-button").disabled = deciding;
  }

  function appendContact(container, labelKey, href, text) {
    const line = document.createElement("p");
    const anchor = document.createElement("a");
    anchor.href = href;
    anchor.textContent = text;
    line.append(`${CMH.t(labelKey)}${CMH.t("common.label_separator")}`, anchor);
    container.append(line);
  }

  function renderCaseManager(manager) {
    const container = byId("case-manager");
    container.replaceChildren();
    if (!manager) {
      const waiting = document.createElement("p");
      waiting.textContent = CMH.t("tracking.case_manager_none");
      container.append(waiting);
      return;
    }
    const name = document.createElement("p");
    const strong = document.createElement("strong");
    strong.textContent = manager.name;
    name.append(strong);
    container.append(name);
    if (manager.email) {
      appendContact(container, "tracking.email", `mailto:${manager.email}`, manager.email);
    }
    if (manager.phone) {
      appendContact(container, "tracking.phone", `tel:${manager.phone.replace(/[^0-9+]/g, "")}`, manager.phone);
    }
  }

  function timelineText(entry) {
    let text = entry.label; // the API names the email too ("Email envoyé : offre")
    if (entry.type === "works_day.planned" && entry.day) {
      text += `${CMH.t("common.label_separator")}${CMH.formatDay(entry.day, true)}`;
    }
    return text;
  }

  function renderTimeline(timeline) {
    const list = byId("timeline");
    list.replaceChildren();
    for (const entry of timeline) {
      const item = document.createElement("li");
      const time = document.createElement("time");
      time.dateTime = entry.at;
      time.textContent = CMH.formatDateTime(entry.at);
      const label = document.createElement("span");
      label.textContent = timelineText(entry);
      item.append(time, " ", label);
      list.append(item);
    }
  }

  // ---- The customer's decision --------------------------------------------------------------

  function setNotice(value) {
    notice = value;
    renderNotice();
  }

  function renderNotice() {
    const element = byId("decision-result");
    if (!notice) {
      element.hidden = true;
      element.textContent = "";
      return;
    }
    element.textContent = notice.key ? CMH.t(notice.key) : notice.text;
    element.className = `notice ${notice.error ? "notice--error" : "notice--success"}`;
    element.hidden = false;
  }

  function openDialog(dialog) {
    dialog.returnValue = "";
    dialog.showModal();
  }

  function askToAccept() {
    if (!current || !current.offer) {
      return;
    }
    byId("accept-dialog-text").textContent = CMH.t("tracking.accept_text", { total: current.offer.total });
    openDialog(byId("accept-dialog"));
  }

  function askToDecline() {
    byId("decline-reason").value = "";
    openDialog(byId("decline-dialog"));
  }

  async function sendDecision(decision, reason) {
    if (deciding) {
      return;
    }
    const action = current && current.actions ? current.actions[decision] : null;
    const path = action ? action.path : `/requests/${encodeURIComponent(link.requestId)}/decision`;
    const body = { decision };
    if (decision === "decline" && reason) {
      body.reason = reason;
    }

    deciding = true;
    byId("accept-button").disabled = true;
    byId("decline-button").disabled = true;
    setNotice({ key: "tracking.sending" });
    let reply;
    try {
      reply = await CMH.api("POST", path, { token: link.token, body: JSON.stringify(body) });
    } catch (error) {
      if (!(error instanceof CMH.NetworkError)) {
        throw error;
      }
      reply = null;
    } finally {
      deciding = false;
    }

    if (!reply) {
      setNotice({ key: "tracking.error_network", error: true });
    } else if (reply.status === 202) {
      setNotice({ key: `tracking.recorded_${decision}` });
    } else if (reply.status === 200) {
      setNotice({ key: "tracking.unchanged" });
    } else if (reply.status === 401) {
      setNotice({ key: "tracking.error_unauthorized", error: true });
    } else if (reply.data && reply.data.message) {
      setNotice({ text: reply.data.message, error: true }); // 409 and 422 explain themselves
    } else {
      setNotice({ key: "tracking.error_server", error: true });
    }
    byId("accept-button").disabled = false;
    byId("decline-button").disabled = false;
    byId("decision-result").focus();
    polls = 0;
    if (reply) {
      awaitingDecisionStep = reply.status === 202 || reply.status === 200;
      await load({ quiet: true });
    }
  }

  // ---- Wiring -------------------------------------------------------------------------------

  function onLanguageChange() {
    if (CMH.state.explicit && current) {
      load().catch(CMH.reportScriptError); // the API's labels change language too
      return;
    }
    if (current) {
      render(current);
    }
    const problem = byId("tracking-problem-text");
    if (problem.dataset.key) {
      problem.textContent = CMH.t(problem.dataset.key);
    }
  }

  function init() {
    CMH.onLanguageChange(onLanguageChange);
    byId("tracking-refresh").addEventListener("click", () => {
      polls = 0;
      load().catch(CMH.reportScriptError);
    });
    byId("tracking-retry").addEventListener("click", () => {
      hideProblem();
      byId("tracking-loading").hidden = Boolean(current);
      load().catch(CMH.reportScriptError);
    });
    // A link pasted over this one changes only the fragment, which reloads no page.
    window.addEventListener("hashchange", () => {
      link = readLink();
      current = null;
      setNotice(null);
      hideProblem();
      byId("tracking-view").hidden = true;
      byId("tracking-loading").hidden = false;
      load().catch(CMH.reportScriptError);
    });
    byId("accept-button").addEventListener("click", askToAccept);
    byId("decline-button").addEventListener("click", askToDecline);
    byId("accept-dialog").addEventListener("close", (event) => {
      if (event.target.returnValue === "confirm") {
        sendDecision("accept").catch(CMH.reportScriptError);
      }
    });
    byId("decline-dialog").addEventListener("close", (event) => {
      if (event.target.returnValue === "confirm") {
        sendDecision("decline", byId("decline-reason").value.trim()).catch(CMH.reportScriptError);
      }
    });
    load().catch((error) => {
      CMH.reportScriptError(error);
      showProblem("tracking.error_server", { retry: true });
    });
  }

  CMH.ready.then(init);
})();
