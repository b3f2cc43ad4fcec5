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
  // The list comes from the API with its filters (name search, band, churn risk, and the overview's
  // "clients at risk": max_overall); sorting is done here, over every row, so a column sorts the whole
  // filtered list and not one page. The filters live in the address (#/health/band=at_risk&q=acme), so
  // the overview links to a filtered list and a reload keeps it.
  let healthRows = [];
  const HEALTH_FILTER_KEYS = ["q", "band", "min_churn_risk", "max_overall"];
  const healthFilters = {};
  function healthFiltersFrom(arg) {
    const given = new URLSearchParams(arg && arg.includes("=") ? arg : "");
    for (const key of HEALTH_FILTER_KEYS) healthFilters[key] = (given.get(key) || "").trim();
  }
  function keepHealthFiltersInAddress() {
    const query = new URLSearchParams();
    for (const key of HEALTH_FILTER_KEYS) if (healthFilters[key]) query.set(key, healthFilters[key]);
    const text = query.toString();
    history.replaceState(null, "", "#/health" + (text ? "/" + text : ""));
  }
  async function fetchHealthRows() {
    const rows = [];
    let cursor = null;
    do {
      const params = new URLSearchParams({ limit: "200" });
      for (const [k, v] of Object.entries(healthFilters)) if (v) params.set(k, v);
      if (cursor) params.set("cursor", cursor);
      const page = await api("/v1/health-scores?" + params);
      rows.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor && rows.length < 5000);
    return rows;
  }
  async function renderHealth(arg) {
    healthFiltersFrom(arg);
    healthRows = await fetchHealthRows();
    const search = h("input", { type: "search", id: "health-search", value: healthFilters.q, autocomplete: "off",
      oninput: () => { healthFilters.q = search.value.trim(); clearTimeout(healthSearchTimer); healthSearchTimer = setTimeout(reloadHealth, 250); } });
    const filter = (id, text, key, options) => {
      const el = h("select", { id, onchange: () => { healthFilters[key] = el.value; reloadHealth(); } },
        options.map(([v, t]) => h("option", { value: v, selected: healthFilters[key] === v }, t)));
      return h("label", { for: id }, text, el);
    };
    show(h("section", { id: "health-page", "aria-labelledby": "health-title" },
      h("h2", { id: "health-title" }, "Client health"),
      h("form", { class: "filters", role: "search", "aria-label": "Filter clients", onsubmit: (e) => { e.preventDefault(); reloadHealth(); } },
        h("label", { for: "health-search" }, "Search by name", search),
        filter("health-band", "Health band", "band", [["", "All bands"], ["healthy", "Healthy (75-100)"], ["watch", "Watch (50-74)"], ["at_risk", "At risk (25-49)"], ["critical", "Critical (0-24)"]]),
        filter("health-churn", "Churn risk", "min_churn_risk", [["", "Any churn risk"], ["25", "25% or more"], ["50", "50% or more"], ["75", "75% or more"]]),
        healthFilters.max_overall ? h("p", { id: "health-max-overall" }, "Overall " + healthFilters.max_overall + " or less ",
          h("button", { type: "button", onclick: (e) => { e.currentTarget.parentElement.remove(); healthFilters.max_overall = ""; reloadHealth(); } }, "Show every score")) : null),
      h("p", { class: "muted", id: "health-count", role: "status" }),
      h("p", { class: "muted" }, "Select a column heading to sort. Revenue is won deals (or the company's reported revenue); renewal is the next close date of an open deal."),
      h("div", { class: "table-wrap" }, h("table", { id: "health-table" }))));
    drawHealthTable();
  }
  let healthSearchTimer = null;
  async function reloadHealth() {
    keepHealthFiltersInAddress();
    try {
      healthRows = await fetchHealthRows();
      drawHealthTable();
    } catch (error) { if (document.getElementById("health-table")) showError(error); }
  }
  const HEALTH_COLUMNS = {
    name: (s) => s.client_name.toLowerCase(), overall: (s) => s.overall, churn: (s) => s.churn_risk,
    trend: (s) => s.trend.delta_7d ?? 0, revenue: (s) => s.revenue ?? null,
    renewal: (s) => s.renewal_at ? Date.parse(s.renewal_at) : null,
  };
  function drawHealthTable() {
    const table = document.getElementById("health-table");
    if (!table) return;
    const value = HEALTH_COLUMNS[healthSort.key] || ((s) => dimScore(s, healthSort.key));
    // Rows without a value (no revenue, no renewal, no data for a dimension) stay last either way.
    const rows = [...healthRows].sort((a, b) => {
      const va = value(a), vb = value(b);
      if (va == null || vb == null) return (va == null) - (vb == null);
      return (va < vb ? -1 : va > vb ? 1 : 0) * healthSort.dir;
    });
    const filtered = HEALTH_FILTER_KEYS.some((key) => healthFilters[key]);
    document.getElementById("health-count").textContent = rows.length + " client" + (rows.length === 1 ? "" : "s") + (filtered ? " match these filters" : "");
    const col = (key, text, num) => h("th", { scope: "col", class: num ? "num" : null,
      "aria-sort": healthSort.key === key ? (healthSort.dir > 0 ? "ascending" : "descending") : "none" },
      h("button", { type: "button", "data-sort": key, onclick: () => {
        healthSort = { key, dir: healthSort.key === key ? -healthSort.dir : 1 };
        drawHealthTable();
        document.querySelector(`#health-table button[data-sort="${key}"]`).focus();
        announce("Sorted by " + text + (healthSort.dir > 0 ? ", ascending" : ", descending"));
      } }, text));
    const day = (iso) => iso ? new Date(iso).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" }) : "—";
    table.replaceChildren(
      h("caption", { class: "sr-only" }, "Clients with their health dimensions, overall score, churn risk, revenue, renewal and trend"),
      h("thead", {}, h("tr", {}, col("name", "Client"), col("overall", "Overall", true),
        DIMS.map((d) => col(d, label(d), true)), col("churn", "Churn risk", true),
        col("revenue", "Revenue", true), col("renewal", "Renewal"), col("trend", "Trend (7d)"))),
      h("tbody", {}, rows.length ? rows.map((s) => h("tr", { "data-client": s.client_id },
        h("th", { scope: "row" }, h("a", { href: "#/client/" + encodeURIComponent(s.client_id) }, s.client_name)),
        h("td", { class: "num" }, h("span", { class: "badge band-" + s.band, title: label(s.band) }, s.overall)),
        DIMS.map((d) => h("td", { class: "num" }, dash(dimScore(s, d)))),
        h("td", { class: "num" }, s.churn_risk + "%"),
        h("td", { class: "num", "data-revenue": s.revenue ?? "" }, s.revenue == null ? "—" : money(s.revenue)),
        h("td", { "data-renewal": s.renewal_at || "" }, day(s.renewal_at)),
        h("td", {}, sparkline(s), " ", signed(s.trend.delta_7d))))
        : h("tr", {}, h("td", { colspan: 10, class: "empty" }, "No client matches these filters."))));
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
  page("health", renderHealth);
