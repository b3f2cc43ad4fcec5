  // ---------- Overview ----------
  // Every number opens the list it counts: the link's filter is the one that reproduces it exactly
  // (the API test `each_overview_number_equals_its_lists_total` holds them to it).
  const OVERVIEW_LINKS = {
    clients: "#/health",
    at_risk: "#/health/max_overall=49",
    open: "#/insights/status=open",
    review: "#/insights/status=open&band=needs_review",
    type: (key) => "#/insights/status=open&type=" + key,
    impact: (key) => "#/insights/status=open&impact=" + key,
    band: (key) => "#/health/band=" + key,
  };
  function barList(title, counts, cls, linkOf) {
    const total = Math.max(1, ...Object.values(counts));
    return h("section", { class: "panel", "aria-label": title }, h("h3", {}, title),
      Object.entries(counts).map(([key, n]) => h("div", { class: "bar-row" },
        h("span", {}, h("a", { href: linkOf(key), "data-count": key, "aria-label": label(key) + ": " + n + " (" + title.toLowerCase() + "), open the list" },
          cls ? h("span", { class: "badge " + cls + key }, label(key)) : label(key))),
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
    // The trends panel is the `explain` page's (trends.js); the overview shows it when it is there.
    const trends = typeof trendsPanel === "function" ? await trendsPanel() : null;
    const accuracy = accuracyPanel();
    show(h("section", { id: "overview-page", "aria-labelledby": "overview-title" },
      h("h2", { id: "overview-title" }, "Overview"),
      connectionNotice(o.connection),
      h("div", { class: "cards" },
        card("Clients", o.clients, "overview-clients", OVERVIEW_LINKS.clients),
        card("Average health", o.average_health == null ? "—" : o.average_health, "overview-average"),
        card("Clients at risk", o.clients_at_risk, "overview-at-risk", OVERVIEW_LINKS.at_risk),
        card("Open insights", o.open_insights, "overview-open-insights", OVERVIEW_LINKS.open),
        card("Need manual review", o.open_insights_needing_review, "overview-review", OVERVIEW_LINKS.review)),
      trends,
      accuracy,
      h("div", { class: "grid2" },
        barList("Open insights by type", o.open_insights_by_type, null, OVERVIEW_LINKS.type),
        barList("Open insights by impact", o.open_insights_by_impact, "impact-", OVERVIEW_LINKS.impact),
        barList("Clients by health band", o.clients_by_band, "band-", OVERVIEW_LINKS.band)),
      h("section", { class: "panel", "aria-labelledby": "last-sync-title" },
        h("h3", { id: "last-sync-title" }, "Last sync"), syncSummary(o.last_sync))));
  }
  // A figure; with `href`, the whole card is one link to the list it counts.
  function card(title, value, id, href) {
    const body = [h("div", { class: "label" }, title), h("div", { class: "value", id }, value)];
    if (!href) return h("div", { class: "card" }, body);
    // The name comes from the visible text (an aria-label that differs from it fails WCAG 2.5.3).
    return h("a", { class: "card card-link", href, style: "display:block;color:inherit;text-decoration:none" },
      body, h("span", { class: "sr-only" }, ", open the list"));
  }
  page("overview", renderOverview);
