  // ---------- Insights: triage ----------
  // The list comes in the API's triage order (impact, then revenue at stake, then confidence) unless
  // another sort is chosen; the count is the API's total of the filter. Cards can be selected for a
  // bulk acknowledge, dismiss or snooze with one reason. Filters come from the address too:
  // #/insights/status=open&impact=critical (the overview's links).
  const INSIGHT_DEFAULTS = { type: "", impact: "", band: "", status: "open", sort: "impact", client: "" };
  const insightFilters = { ...INSIGHT_DEFAULTS };
  const selectedInsights = new Set();
  let insightsCursor = null;
  let insightsTotal = 0;
  LABELS.snoozed = "Snoozed";
  const SORTS = [["impact", "Triage: impact, revenue at stake, confidence"], ["revenue", "Revenue at stake"], ["confidence", "Confidence"], ["updated", "Last updated"]];
  const STATUSES = [["open", "Open"], ["snoozed", "Snoozed"], ["acknowledged", "Acknowledged"], ["dismissed", "Dismissed"], ["resolved", "Resolved"], ["", "Any status"]];

  function select(id, text, key, options) {
    const el = h("select", { id, onchange: () => { insightFilters[key] = el.value; loadInsights(); } },
      options.map(([v, t]) => h("option", { value: v, selected: insightFilters[key] === v }, t)));
    return h("label", { for: id }, text, el);
  }
  function confidence(i) {
    return h("span", { class: "confidence" },
      h("meter", { min: 0, max: 100, low: 50, high: 85, optimum: 100, value: i.confidence, "aria-label": "Confidence" }),
      h("span", {}, i.confidence + "% · " + label(i.confidence_band) + " (" + BAND_RANGES[i.confidence_band] + ")"),
      i.confidence_band === "needs_review" ? h("span", { class: "review" }, "· review manually") : null);
  }
  // "HubSpot + PayPal (explicit id, 100%)": where a finding comes from, and how sure the match is.
  const SOURCE_NAMES = { hubspot: "HubSpot", paypal: "PayPal", ninjaone: "NinjaOne", pax8: "Pax8", m365: "Microsoft 365" };
  const MATCH_NAMES = { explicit_id: "explicit id", verified_domain: "verified domain", contact_email: "contact email", website: "website", email_domain: "email domain", normalised_name: "same name", fuzzy_name: "similar name" };
  function sourcesLine(sources) {
    if (!sources || !sources.length) return null;
    return h("p", { class: "muted sources" }, "Sources: " + sources.map((s) => (SOURCE_NAMES[s.platform] || s.platform) +
      (s.matched_by ? " (matched by " + (MATCH_NAMES[s.matched_by] || s.matched_by) + (s.match_confidence != null ? ", " + Math.round(100 * s.match_confidence) + "%" : "") + ")" : "")).join(" + "));
  }
  // An amount at stake is a loss to prevent; an upside is money to win: never call it "at stake".
  function revenueLine(i) {
    if (i.revenue_at_stake != null) return h("span", { class: "muted revenue", "data-kind": "at_stake" }, " · " + money(i.revenue_at_stake) + " at stake");
    if (i.revenue_upside != null) return h("span", { class: "muted revenue", "data-kind": "upside" }, " · " + money(i.revenue_upside) + " upside");
    return null;
  }
  // The date a snooze starts with: a week from today, as the date input wants it (yyyy-mm-dd).
  const inAWeek = () => new Date(Date.now() + 7 * 86400000).toISOString().slice(0, 10);
  const dayStart = (date) => date + "T00:00:00Z";

  function insightCard(i, onChange, selectable) {
    const setStatus = async (status, button, extra) => {
      button.disabled = true;
      try {
        const body = { status, version: i.version, ...(extra || {}) };
        const updated = await api("/v1/insights/" + encodeURIComponent(i.id), { method: "PATCH", body: JSON.stringify(body) });
        announce("Insight “" + i.title + "” is now " + label(updated.status).toLowerCase() +
          (updated.snoozed_until ? " until " + new Date(updated.snoozed_until).toLocaleDateString() : "") + ".");
        onChange(updated);
      } catch (error) {
        button.disabled = false;
        announce("Could not change the insight: " + error.message);
      }
    };
    const actions = [];
    const snoozeId = "snooze-" + i.id;
    const snoozeDate = h("input", { type: "date", id: snoozeId, value: inAWeek(), min: new Date().toISOString().slice(0, 10), required: true });
    const snoozeForm = h("form", { class: "snooze-form", hidden: true, onsubmit: (e) => {
      e.preventDefault();
      setStatus("snoozed", e.submitter || e.currentTarget.querySelector("button"), { snoozed_until: dayStart(snoozeDate.value) });
    } }, h("label", { for: snoozeId }, "Snooze until "), snoozeDate, " ",
      h("button", { type: "submit", class: "action-snooze-confirm" }, "Snooze"));
    if (i.status === "open") {
      actions.push(h("button", { type: "button", class: "action-acknowledge", onclick: (e) => setStatus("acknowledged", e.currentTarget) }, "Acknowledge"));
      actions.push(h("button", { type: "button", class: "action-dismiss", onclick: (e) => setStatus("dismissed", e.currentTarget) }, "Dismiss"));
      actions.push(h("button", { type: "button", class: "action-snooze", "aria-expanded": "false", "aria-controls": snoozeId, onclick: (e) => {
        const opening = snoozeForm.hidden;
        snoozeForm.hidden = !opening;
        e.currentTarget.setAttribute("aria-expanded", String(opening));
        if (opening) snoozeDate.focus();
      } }, "Snooze…"));
    } else if (i.status !== "resolved") {
      actions.push(h("button", { type: "button", class: "action-reopen", onclick: (e) => setStatus("open", e.currentTarget) }, "Reopen"));
    }
    const checkbox = selectable && i.status !== "resolved" ? h("input", { type: "checkbox", id: "select-" + i.id, class: "select-insight", checked: selectedInsights.has(i.id),
      onchange: (e) => { if (e.currentTarget.checked) selectedInsights.add(i.id); else selectedInsights.delete(i.id); drawBulkCount(); } }) : null;
    return h("article", { class: "insight impact-" + i.impact + "-edge", "data-id": i.id, "data-status": i.status, "aria-labelledby": "t-" + i.id },
      h("div", { class: "meta" },
        checkbox ? h("span", {}, checkbox, h("label", { for: "select-" + i.id, class: "sr-only" }, "Select “" + i.title + "”")) : null,
        h("span", { class: "badge impact-" + i.impact }, label(i.impact) + " impact"),
        h("span", { class: "badge type" }, label(i.type)),
        confidence(i),
        i.status !== "open" ? h("span", { class: "muted status" }, "· " + label(i.status) +
          (i.snoozed_until ? " until " + new Date(i.snoozed_until).toLocaleDateString() : "")) : null),
      h("h3", { id: "t-" + i.id }, i.title),
      h("p", {}, h("a", { href: "#/client/" + encodeURIComponent(i.client_id) }, i.client_name), revenueLine(i)),
      h("p", {}, i.description),
      i.status_reason ? h("p", { class: "muted reason" }, "Reason: " + i.status_reason) : null,
      sourcesLine(i.sources),
      i.recommendations.length ? h("div", {}, h("strong", {}, "Recommended actions"), h("ul", {}, i.recommendations.map((r) => h("li", {}, r)))) : null,
      h("details", {}, h("summary", {}, "Why"), h("p", {}, i.explanation),
        h("ul", {}, i.evidence.map((e) => h("li", {}, e.name + ": " + e.value + (e.unit ? " " + e.unit : ""))))),
      h("div", { class: "actions" }, actions), snoozeForm);
  }

  // "#/insights/status=open&impact=critical": the filters a link names, the rest at their defaults.
  function filtersFromAddress(arg) {
    Object.assign(insightFilters, INSIGHT_DEFAULTS);
    if (!arg) return;
    const params = new URLSearchParams(arg);
    for (const key of Object.keys(INSIGHT_DEFAULTS)) if (params.has(key)) insightFilters[key] = params.get(key);
  }

  function bulkToolbar() {
    const reason = h("input", { type: "text", id: "bulk-reason", maxlength: 500, autocomplete: "off" });
    const until = h("input", { type: "date", id: "bulk-until", value: inAWeek(), min: new Date().toISOString().slice(0, 10) });
    const run = (action) => async (e) => {
      const ids = [...selectedInsights];
      if (!ids.length) return announce("Select insights first.");
      const button = e.currentTarget;
      button.disabled = true;
      try {
        const body = { ids: ids.slice(0, 100), action, reason: reason.value.trim() || null };
        if (action === "snooze") body.snoozed_until = dayStart(until.value);
        const result = await api("/v1/insights/bulk", { method: "POST", body: JSON.stringify(body) });
        const parts = [result.done + " done"];
        if (result.conflicts) parts.push(result.conflicts + " could not change (resolved or changed meanwhile)");
        if (result.not_found) parts.push(result.not_found + " not found");
        selectedInsights.clear();
        reason.value = "";
        await loadInsights();
        const outcome = document.getElementById("bulk-outcome");
        if (outcome) outcome.textContent = parts.join(", ") + ".";
        announce(parts.join(", ") + ".");
      } catch (error) {
        announce("Could not change the insights: " + error.message);
      } finally { button.disabled = false; }
    };
    return h("section", { class: "panel bulk", id: "bulk-actions", "aria-labelledby": "bulk-title", style: "margin-bottom:1rem" },
      h("h3", { id: "bulk-title" }, "Selected insights"),
      h("div", { class: "filters" },
        h("label", { for: "select-all-insights" }, "Select all shown",
          h("input", { type: "checkbox", id: "select-all-insights", onchange: (e) => {
            for (const box of document.querySelectorAll("#insights-list .select-insight")) {
              box.checked = e.currentTarget.checked;
              const id = box.id.slice("select-".length);
              if (box.checked) selectedInsights.add(id); else selectedInsights.delete(id);
            }
            drawBulkCount();
          } })),
        h("label", { for: "bulk-reason" }, "Reason (kept with each insight)", reason),
        h("button", { type: "button", id: "bulk-acknowledge", onclick: run("acknowledge") }, "Acknowledge selected"),
        h("button", { type: "button", id: "bulk-dismiss", onclick: run("dismiss") }, "Dismiss selected"),
        h("label", { for: "bulk-until" }, "Snooze until", until),
        h("button", { type: "button", id: "bulk-snooze", onclick: run("snooze") }, "Snooze selected")),
      h("p", { class: "muted", id: "bulk-count" }, "None selected."),
      h("p", { class: "muted", id: "bulk-outcome" }));
  }
  function drawBulkCount() {
    const el = document.getElementById("bulk-count");
    if (el) el.textContent = selectedInsights.size ? selectedInsights.size + " selected (at most 100 a time)." : "None selected.";
  }

  async function renderInsights(arg) {
    filtersFromAddress(arg);
    selectedInsights.clear();
    show(h("section", { id: "insights-page", "aria-labelledby": "insights-title" },
      h("h2", { id: "insights-title" }, "Insights"),
      h("div", { class: "filters", role: "group", "aria-label": "Filter and sort insights" },
        select("filter-type", "Type", "type", [["", "All types"], ["client_health", "Client health"], ["revenue_optimization", "Revenue optimization"], ["churn_risk", "Churn risk"], ["upsell_opportunity", "Upsell opportunity"], ["payment_risk", "Payment risk"]]),
        select("filter-impact", "Impact", "impact", [["", "All impacts"], ["critical", "Critical"], ["high", "High"], ["medium", "Medium"], ["low", "Low"]]),
        select("filter-band", "Confidence", "band", [["", "All bands"], ["high", "High (85-100)"], ["medium", "Medium (70-84)"], ["lower", "Lower (50-69)"], ["needs_review", "Needs review (under 50)"]]),
        select("filter-status", "Status", "status", STATUSES),
        select("insights-sort", "Sort by", "sort", SORTS)),
      h("p", { id: "insights-count", class: "muted", role: "status" }),
      bulkToolbar(),
      h("div", { id: "insights-list" }),
      h("button", { type: "button", id: "insights-more", hidden: true, onclick: () => loadInsights(true) }, "Load more")));
    await loadInsights();
  }
  async function loadInsights(more) {
    const list = document.getElementById("insights-list");
    if (!list) return;
    const params = new URLSearchParams({ limit: "50" });
    for (const [k, v] of Object.entries(insightFilters)) if (v) params.set(k, v);
    if (more && insightsCursor) params.set("cursor", insightsCursor);
    const moreButton = document.getElementById("insights-more");
    try {
      const page = await api("/v1/insights?" + params);
      // The user left the page while it loaded: the answer has nowhere to go.
      if (!list.isConnected) return;
      if (!more) list.replaceChildren();
      insightsCursor = page.next_cursor;
      insightsTotal = page.total;
      for (const i of page.items) {
        const node = insightCard(i, (updated) => {
          const keep = !insightFilters.status || insightFilters.status === updated.status;
          selectedInsights.delete(i.id);
          if (keep) node.replaceWith(insightCard(updated, () => loadInsights(), true));
          else { node.remove(); insightsTotal -= 1; }
          drawBulkCount();
          countInsights();
        }, true);
        list.append(node);
      }
      if (!list.children.length) list.append(h("p", { class: "empty" }, "No insights match these filters."));
      moreButton.hidden = !insightsCursor;
      drawBulkCount();
      countInsights();
    } catch (error) { if (list.isConnected) showError(error); }
  }
  function countInsights() {
    const shown = document.querySelectorAll("#insights-list .insight").length;
    const sort = (SORTS.find(([v]) => v === insightFilters.sort) || SORTS[0])[1].split(":")[0].toLowerCase();
    const el = document.getElementById("insights-count");
    el.dataset.total = String(insightsTotal);
    el.textContent = insightsTotal + (insightsTotal === 1 ? " insight matches" : " insights match") +
      (shown < insightsTotal ? ", " + shown + " shown" : "") + " · sorted by " + sort + ".";
  }
  page("insights", renderInsights);
