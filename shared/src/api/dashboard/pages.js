  // ---------- Overview ----------
  function barList(title, counts, cls) {
    const total = Math.max(1, ...Object.values(counts));
    return h("section", { class: "panel", "aria-label": title }, h("h3", {}, title),
      Object.entries(counts).map(([key, n]) => h("div", { class: "bar-row" },
        h("span", {}, cls ? h("span", { class: "badge " + cls + key }, label(key)) : label(key)),
        h("div", { class: "bar", role: "img", "aria-label": label(key) + ": " + n },
          h("span", { style: "width:" + Math.round(100 * n / total) + "%" })),
        h("span", { class: "num" }, n))));
  }
  function syncSummary(run) {
    if (!run) return h("p", { class: "muted" }, "No sync yet.");
    const counts = Object.entries(run.counts || {}).map(([k, n]) => k + " " + n).join(", ");
    return h("div", {},
      h("p", {}, h("span", { class: "badge status-" + run.status }, label(run.status)), " ", run.mode + " sync, started " + when(run.started_at) + (run.finished_at ? ", finished " + when(run.finished_at) : "")),
      counts ? h("p", { class: "muted" }, "Fetched: " + counts) : null,
      run.error ? h("p", { class: "error" }, run.error) : null);
  }
  // HubSpot refused the tenant's tokens: syncs are stopped until the user connects again.
  function connectionNotice(c) {
    if (!c || c.status === "active") return null;
    const reauth = c.status === "needs_reauth";
    return h("section", { class: "panel notice", id: "connection-notice", role: "alert" },
      h("h3", {}, reauth ? "HubSpot needs reconnecting" : "HubSpot connection " + label(c.status)),
      h("p", {}, reauth ? "Syncing has stopped: HubSpot no longer accepts this connection's tokens." : "Syncing is stopped."),
      c.status_reason ? h("p", { class: "muted", id: "connection-reason" }, c.status_reason) : null,
      c.reconnect_url
        ? h("p", {}, h("a", { class: "primary", id: "reconnect-link", href: c.reconnect_url }, "Reconnect HubSpot"))
        : reauth ? h("p", {}, "Give Connected Insights a new private app token to resume syncing.") : null);
  }
  async function renderOverview() {
    const o = await api("/v1/overview");
    if (o.connection) document.getElementById("tenant-name").textContent = o.connection.name;
    show(h("section", { id: "overview-page", "aria-labelledby": "overview-title" },
      h("h2", { id: "overview-title" }, "Overview"),
      connectionNotice(o.connection),
      h("div", { class: "cards" },
        card("Clients", o.clients, "overview-clients"),
        card("Average health", o.average_health == null ? "—" : o.average_health, "overview-average"),
        card("Clients at risk", o.clients_at_risk, "overview-at-risk"),
        card("Open insights", o.open_insights, "overview-open-insights"),
        card("Need manual review", o.open_insights_needing_review, "overview-review")),
      h("div", { class: "grid2" },
        barList("Open insights by type", o.open_insights_by_type),
        barList("Open insights by impact", o.open_insights_by_impact, "impact-"),
        barList("Clients by health band", o.clients_by_band, "band-")),
      h("section", { class: "panel", "aria-labelledby": "last-sync-title" },
        h("h3", { id: "last-sync-title" }, "Last sync"), syncSummary(o.last_sync))));
  }
  function card(title, value, id) {
    return h("div", { class: "card" }, h("div", { class: "label" }, title), h("div", { class: "value", id }, value));
  }

  // ---------- Insights ----------
  const insightFilters = { type: "", impact: "", band: "", status: "open" };
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
  function insightCard(i, onChange) {
    const setStatus = async (status, button) => {
      button.disabled = true;
      try {
        const updated = await api("/v1/insights/" + encodeURIComponent(i.id), { method: "PATCH", body: JSON.stringify({ status, version: i.version }) });
        announce("Insight “" + i.title + "” is now " + label(updated.status).toLowerCase() + ".");
        onChange(updated);
      } catch (error) {
        button.disabled = false;
        announce("Could not change the insight: " + error.message);
      }
    };
    const actions = [];
    if (i.status === "open") {
      actions.push(h("button", { type: "button", class: "action-acknowledge", onclick: (e) => setStatus("acknowledged", e.currentTarget) }, "Acknowledge"));
      actions.push(h("button", { type: "button", class: "action-dismiss", onclick: (e) => setStatus("dismissed", e.currentTarget) }, "Dismiss"));
    } else if (i.status === "acknowledged" || i.status === "dismissed") {
      actions.push(h("button", { type: "button", class: "action-reopen", onclick: (e) => setStatus("open", e.currentTarget) }, "Reopen"));
    }
    return h("article", { class: "insight impact-" + i.impact + "-edge", "data-id": i.id, "data-status": i.status, "aria-labelledby": "t-" + i.id },
      h("div", { class: "meta" },
        h("span", { class: "badge impact-" + i.impact }, label(i.impact) + " impact"),
        h("span", { class: "badge type" }, label(i.type)),
        confidence(i),
        i.status !== "open" ? h("span", { class: "muted" }, "· " + label(i.status)) : null),
      h("h3", { id: "t-" + i.id }, i.title),
      h("p", {}, h("a", { href: "#/client/" + encodeURIComponent(i.client_id) }, i.client_name),
        i.revenue_at_stake != null ? h("span", { class: "muted" }, " · " + money(i.revenue_at_stake) + " at stake") : null),
      h("p", {}, i.description),
      sourcesLine(i.sources),
      i.recommendations.length ? h("div", {}, h("strong", {}, "Recommended actions"), h("ul", {}, i.recommendations.map((r) => h("li", {}, r)))) : null,
      h("details", {}, h("summary", {}, "Why"), h("p", {}, i.explanation),
        h("ul", {}, i.evidence.map((e) => h("li", {}, e.name + ": " + e.value + (e.unit ? " " + e.unit : ""))))),
      h("div", { class: "actions" }, actions));
  }
  let insightsCursor = null;
  async function renderInsights() {
    show(h("section", { id: "insights-page", "aria-labelledby": "insights-title" },
      h("h2", { id: "insights-title" }, "Insights"),
      h("div", { class: "filters", role: "group", "aria-label": "Filter insights" },
        select("filter-type", "Type", "type", [["", "All types"], ["client_health", "Client health"], ["revenue_optimization", "Revenue optimization"], ["churn_risk", "Churn risk"], ["upsell_opportunity", "Upsell opportunity"], ["payment_risk", "Payment risk"]]),
        select("filter-impact", "Impact", "impact", [["", "All impacts"], ["critical", "Critical"], ["high", "High"], ["medium", "Medium"], ["low", "Low"]]),
        select("filter-band", "Confidence", "band", [["", "All bands"], ["high", "High (85-100)"], ["medium", "Medium (70-84)"], ["lower", "Lower (50-69)"], ["needs_review", "Needs review (under 50)"]]),
        select("filter-status", "Status", "status", [["open", "Open"], ["acknowledged", "Acknowledged"], ["dismissed", "Dismissed"], ["resolved", "Resolved"], ["", "Any status"]])),
      h("p", { id: "insights-count", class: "muted", role: "status" }),
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
    try {
      const page = await api("/v1/insights?" + params);
      if (!more) list.replaceChildren();
      insightsCursor = page.next_cursor;
      for (const i of page.items) {
        const node = insightCard(i, (updated) => {
          const keep = !insightFilters.status || insightFilters.status === updated.status;
          if (keep) node.replaceWith(insightCard(updated, () => loadInsights()));
          else node.remove();
          countInsights();
        });
        list.append(node);
      }
      if (!list.children.length) list.append(h("p", { class: "empty" }, "No insights match these filters."));
      document.getElementById("insights-more").hidden = !insightsCursor;
      countInsights();
    } catch (error) { showError(error); }
  }
  function countInsights() {
    const n = document.querySelectorAll("#insights-list .insight").length;
    document.getElementById("insights-count").textContent = n + (insightsCursor ? "+" : "") + " insight" + (n === 1 ? "" : "s") + " shown";
  }

  // ---------- Health ----------
  const DIMS = ["crm", "payment", "usage", "support"];
  let healthSort = { key: "overall", dir: 1 };
  const dimScore = (s, d) => { const x = s.dimensions.find((v) => v.dimension === d); return x ? x.score : null; };
  function sparkline(s, width = 80, height = 24) {
    // The list carries the trend as deltas: 30 days ago, 7 days ago, now.
    const points = [];
    if (s.trend.delta_30d != null) points.push(s.overall - s.trend.delta_30d);
    if (s.trend.delta_7d != null) points.push(s.overall - s.trend.delta_7d);
    points.push(s.overall);
    const desc = "Trend: 7 days " + signed(s.trend.delta_7d) + ", 30 days " + signed(s.trend.delta_30d);
    return lineChart(points.map((v, i) => [i, v]), { width, height, pad: 3, min: 0, max: 100, title: desc, className: "spark", dots: points.length === 1 });
  }
  function lineChart(points, o) {
    const { width, height, pad } = o;
    const xs = points.map((p) => p[0]);
    const minX = Math.min(...xs), maxX = Math.max(...xs);
    const x = (v) => maxX === minX ? width / 2 : pad + (v - minX) / (maxX - minX) * (width - 2 * pad);
    const y = (v) => height - pad - (v - o.min) / (o.max - o.min) * (height - 2 * pad);
    const path = points.map((p, i) => (i ? "L" : "M") + x(p[0]).toFixed(1) + " " + y(p[1]).toFixed(1)).join(" ");
    const last = points[points.length - 1];
    const stroke = points.length > 1 && last[1] < points[0][1] ? "#b3152b" : "#2456c7";
    return svg("svg", { class: o.className, width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": o.title },
      svg("title", {}, o.title),
      points.length > 1 ? svg("path", { d: path, fill: "none", stroke, "stroke-width": 2 }) : null,
      svg("circle", { cx: x(last[0]), cy: y(last[1]), r: 2.5, fill: stroke }));
  }
  let healthRows = [];
  async function renderHealth() {
    healthRows = [];
    let cursor = null;
    do {
      const params = new URLSearchParams({ limit: "200" });
      if (cursor) params.set("cursor", cursor);
      const page = await api("/v1/health-scores?" + params);
      healthRows.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor && healthRows.length < 5000);
    show(h("section", { id: "health-page", "aria-labelledby": "health-title" },
      h("h2", { id: "health-title" }, "Client health"),
      h("p", { class: "muted" }, healthRows.length + " clients. Select a column heading to sort."),
      h("div", { class: "table-wrap" }, h("table", { id: "health-table" }))));
    drawHealthTable();
  }
  function drawHealthTable() {
    const table = document.getElementById("health-table");
    if (!table) return;
    const value = (s, key) => key === "name" ? s.client_name.toLowerCase() : key === "overall" ? s.overall
      : key === "churn" ? s.churn_risk : key === "trend" ? (s.trend.delta_7d ?? 0) : (dimScore(s, key) ?? -1);
    const rows = [...healthRows].sort((a, b) => {
      const va = value(a, healthSort.key), vb = value(b, healthSort.key);
      return (va < vb ? -1 : va > vb ? 1 : 0) * healthSort.dir;
    });
    const col = (key, text, num) => h("th", { scope: "col", class: num ? "num" : null,
      "aria-sort": healthSort.key === key ? (healthSort.dir > 0 ? "ascending" : "descending") : "none" },
      h("button", { type: "button", "data-sort": key, onclick: () => {
        healthSort = { key, dir: healthSort.key === key ? -healthSort.dir : 1 };
        drawHealthTable();
        document.querySelector(`#health-table button[data-sort="${key}"]`).focus();
        announce("Sorted by " + text + (healthSort.dir > 0 ? ", ascending" : ", descending"));
      } }, text));
    table.replaceChildren(
      h("caption", { class: "sr-only" }, "Clients with their health dimensions, overall score, churn risk and trend"),
      h("thead", {}, h("tr", {}, col("name", "Client"), col("overall", "Overall", true),
        DIMS.map((d) => col(d, label(d), true)), col("churn", "Churn risk", true), col("trend", "Trend (7d)"))),
      h("tbody", {}, rows.map((s) => h("tr", { "data-client": s.client_id },
        h("th", { scope: "row" }, h("a", { href: "#/client/" + encodeURIComponent(s.client_id) }, s.client_name)),
        h("td", { class: "num" }, h("span", { class: "badge band-" + s.band, title: label(s.band) }, s.overall)),
        DIMS.map((d) => h("td", { class: "num" }, dash(dimScore(s, d)))),
        h("td", { class: "num" }, s.churn_risk + "%"),
        h("td", {}, sparkline(s), " ", signed(s.trend.delta_7d))))));
  }

  // ---------- Sync ----------
  const syncButton = document.getElementById("sync-button");
  const syncStatus = document.getElementById("sync-status");
  let lastSeenRun = null, syncTimer = null;
  function describeRun(run) {
    if (!run) return "No sync yet";
    if (run.status === "running") {
      const fetched = Object.values(run.counts || {}).reduce((a, b) => a + b, 0);
      return "Sync running" + (fetched ? ": " + fetched + " records so far" : "…");
    }
    return "Last sync " + label(run.status) + " · " + when(run.finished_at || run.started_at) + (run.error ? " · " + run.error : "");
  }
  async function pollSync() {
    clearTimeout(syncTimer);
    let running = false;
    try {
      const page = await api("/v1/sync-runs?limit=1");
      const run = page.items[0] || null;
      running = !!run && run.status === "running";
      syncStatus.textContent = describeRun(run);
      syncStatus.dataset.status = run ? run.status : "none";
      syncStatus.dataset.syncId = run ? run.sync_id : "";
      syncButton.disabled = running;
      const finished = lastSeenRun && run && lastSeenRun.sync_id === run.sync_id && lastSeenRun.status === "running" && !running;
      if (finished) route(true);
      lastSeenRun = run;
    } catch (error) {
      syncStatus.textContent = error instanceof ApiFailure && error.status === 401 ? "Not signed in" : "Sync status unavailable";
    }
    syncTimer = setTimeout(pollSync, running ? 1500 : 10000);
  }
  syncButton.addEventListener("click", async () => {
    syncButton.disabled = true;
    syncStatus.textContent = "Requesting a sync…";
    try {
      const run = await api("/v1/sync", { method: "POST" });
      lastSeenRun = run;
      syncStatus.textContent = describeRun(run);
      syncStatus.dataset.status = run.status;
      syncStatus.dataset.syncId = run.sync_id;
    } catch (error) {
      syncStatus.textContent = "Sync not started: " + error.message;
      syncButton.disabled = false;
    }
    setTimeout(pollSync, 800);
  });
  page("overview", renderOverview);
  page("insights", renderInsights);
  page("health", renderHealth);
