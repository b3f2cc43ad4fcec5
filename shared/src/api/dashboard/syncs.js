  // ---------- Syncs (the history of sync runs) ----------
  // GET /v1/sync-runs newest first: HubSpot's runs with records fetched per object type, each
  // connection's with its platform and records seen, written and removed, and why a run failed.
  // Filters by status and by source; "Show older runs" follows the cursor.
  const SYNC_PLATFORM_NAMES = { hubspot: "HubSpot", paypal: "PayPal", ninjaone: "NinjaOne", pax8: "Pax8", m365: "Microsoft 365" };
  const SYNC_STATUSES = ["running", "succeeded", "continued", "failed", "rate_limited", "needs_reauth"];
  const syncFilters = { status: "", connection: "" };

  function syncSource(run) {
    if (!run.connection_id) return "HubSpot portal";
    const platform = SYNC_PLATFORM_NAMES[run.platform] || run.platform || "Connection";
    return platform + " · " + run.connection_id;
  }
  function syncRecords(run) {
    const fetched = Object.entries(run.counts || {}).map(([k, n]) => k + " " + n);
    const records = Object.entries(run.records || {}).map(([k, n]) => n + " " + k);
    return [...fetched, ...records].join(", ") || "—";
  }
  function syncDuration(run) {
    if (!run.finished_at) return "—";
    const seconds = Math.max(0, Math.round((new Date(run.finished_at) - new Date(run.started_at)) / 1000));
    return seconds < 120 ? seconds + " s" : Math.round(seconds / 60) + " min";
  }
  const syncTrigger = (t) => !t ? "—" : t.kind === "manual" ? "manual" : t.kind.replace(/_/g, " ");
  function syncRow(run) {
    return h("tr", { "data-sync-id": run.sync_id },
      h("td", {}, when(run.started_at)),
      h("td", {}, syncSource(run)),
      h("td", {}, run.mode),
      h("td", {}, syncTrigger(run.trigger)),
      h("td", {}, h("span", { class: "badge status-" + run.status }, label(run.status))),
      h("td", { class: "num" }, syncDuration(run)),
      h("td", { class: "wrap" }, syncRecords(run)),
      h("td", { class: "num" }, run.requests_used),
      h("td", { class: "wrap" + (run.error ? " error" : "") }, run.error || "—"));
  }

  async function renderSyncs() {
    const query = (cursor) => "/v1/sync-runs?limit=50" + (syncFilters.status ? "&status=" + syncFilters.status : "") +
      (syncFilters.connection ? "&connection=" + encodeURIComponent(syncFilters.connection) : "") +
      (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
    const [runs, connections] = await Promise.all([api(query()), api("/v1/connections").catch(() => null)]);
    const filter = (id, text, key, options) => {
      const el = h("select", { id, onchange: () => { syncFilters[key] = el.value; renderSyncs(); } },
        options.map(([v, t]) => h("option", { value: v, selected: syncFilters[key] === v }, t)));
      return h("label", { for: id }, text, el);
    };
    // The connections list names the HubSpot portal `hubspot`, as the filter does.
    const listed = (connections && connections.items) || [{ id: "hubspot", platform: "hubspot", label: "portal" }];
    const sources = [["", "All sources"], ...listed.map((c) => [c.id, (SYNC_PLATFORM_NAMES[c.platform] || c.platform) + " · " + (c.label || c.id)])];
    const body = h("tbody", {}, runs.items.map(syncRow));
    let cursor = runs.next_cursor;
    const more = h("button", { type: "button", id: "syncs-more", hidden: !cursor, onclick: async () => {
      more.disabled = true;
      try {
        const next = await api(query(cursor));
        body.append(...next.items.map(syncRow));
        cursor = next.next_cursor;
        more.hidden = !cursor;
        announce(next.items.length + " more runs shown.");
      } catch (error) { announce("Could not load more runs: " + error.message); }
      more.disabled = false;
    } }, "Show older runs");
    show(h("section", { id: "syncs-page", "aria-labelledby": "syncs-title" },
      h("h2", { id: "syncs-title" }, "Sync history"),
      h("div", { class: "filters" },
        filter("sync-status-filter", "Status", "status", [["", "Any status"], ...SYNC_STATUSES.map((s) => [s, label(s)])]),
        filter("sync-source-filter", "Source", "connection", sources)),
      runs.items.length || cursor
        ? h("div", { class: "table-wrap" }, h("table", { id: "syncs-table" },
          h("caption", { class: "sr-only" }, "Sync runs, newest first"),
          h("thead", {}, h("tr", {}, ["Started", "Source", "Mode", "Trigger", "Status", "Duration", "Records", "Requests", "Error"]
            .map((t) => h("th", { scope: "col", class: ["Duration", "Requests"].includes(t) ? "num" : null }, t)))),
          body))
        : h("p", { class: "empty", id: "syncs-empty" }, "No sync run matches."),
      more));
  }

  page("syncs", renderSyncs);
