  // ---------- Client ----------
  // One client's whole picture: header (overall, band, churn, renewal, HubSpot link, sources), the
  // score history, the dimensions with readable factors, "why it changed" (a waterfall from
  // GET /v1/clients/{id}/score-change), insights with their evidence in words, and the CRM records.
  // The words (labels, units, money) come from the API (scoring::wording), so they read the same
  // everywhere; this file only lays them out.

  // The page's own layout rules live with the page; shell.html keeps the shared ones.
  document.head.append(h("style", { id: "client-page-style" }, `
    #client-page .client-links { display: flex; flex-wrap: wrap; gap: .4rem 1rem; align-items: baseline; margin: -.5rem 0 1rem; }
    #client-page .dims { grid-template-columns: repeat(auto-fit, minmax(min(100%, 340px), 1fr)); }
    #client-page .dim { min-width: 0; }
    #client-page table.factors { table-layout: fixed; }
    #client-page table.factors col.value { width: 6.5rem; }
    #client-page table.factors col.points { width: 4.2rem; }
    #client-page table.factors td, #client-page table.factors th { white-space: normal; overflow-wrap: anywhere; padding: .4rem .35rem; }
    #client-page .reweighting { margin: 0 0 .75rem; }
    #client-page .records { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 420px), 1fr)); gap: .75rem; margin-bottom: 1rem; }
    #client-page .records .panel { min-width: 0; }
    #client-page ol.interactions { margin: 0; padding-left: 1.2rem; }
    #client-page .change-form { display: flex; flex-wrap: wrap; gap: .75rem; align-items: end; margin-bottom: .75rem; }
    #client-page .change-form label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); gap: .2rem; }
    #client-page .change-form input { padding: .3rem; border: 1px solid var(--line); border-radius: 6px; }
    #client-page svg.waterfall { width: 100%; height: auto; }
    #client-page td.up { color: var(--healthy); } #client-page td.down { color: var(--critical); }
    #client-page .evidence-words { margin: .2rem 0 .4rem 1.2rem; }
  `));

  const CLIENT_PLATFORMS = { hubspot: "HubSpot", paypal: "PayPal", ninjaone: "NinjaOne", pax8: "Pax8", m365: "Microsoft 365" };
  const clientPlatform = (p) => CLIENT_PLATFORMS[p] || p;
  const clientDay = (iso) => iso ? new Date(iso).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" }) : "—";
  const clientIsoDay = (date) => date.toISOString().slice(0, 10);
  const clientPoints = (v) => (v > 0 ? "+" : v < 0 ? "−" : "") + Math.abs(v).toFixed(2);
  const clientCard = (title, value, id) => h("div", { class: "card" }, h("div", { class: "label" }, title), h("div", { class: "value", id }, value));
  // A wide table scrolls inside its own .table-wrap (core.js makes each one a labelled region with a
  // hint); the table's caption names it.
  const clientTableRegion = (table) => [h("div", { class: "table-wrap" }, table)];
  const clientTable = (caption, heads, rows) => h("table", {},
    h("caption", { class: "sr-only" }, caption),
    h("thead", {}, h("tr", {}, heads.map(([t, num]) => h("th", { scope: "col", class: num ? "num" : null }, t)))),
    h("tbody", {}, rows));
  const clientHubspotLink = (url, text) => url ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, text) : text;

  async function renderClient(id) {
    // The backtest says whether churn % is fitted to this tenant's outcomes; a failure only hides the note.
    const [c, calibration] = await Promise.all([api("/v1/clients/" + encodeURIComponent(id)), api("/v1/calibration").catch(() => null)]);
    const s = c.score;
    const churnNote = calibration && calibration.status !== "calibrated" ? " (not calibrated yet)" : "";
    document.title = s.client_name + " · Connected Insights";
    const insightsBox = h("div", { id: "client-insights" });
    const drawInsights = (items) => insightsBox.replaceChildren(...(items.length
      ? items.map((i) => clientInsightCard(i, () => renderClient(id).catch(showError)))
      : [h("p", { class: "empty" }, "No open insights for this client.")]));
    drawInsights(c.open_insights);
    const changeBox = h("div", { id: "client-change-result" });
    show(h("section", { id: "client-page", "aria-labelledby": "client-title", "data-client": s.client_id },
      h("p", {}, h("a", { href: "#/health" }, "← All clients")),
      h("h2", { id: "client-title" }, s.client_name),
      clientHeader(c),
      h("div", { class: "cards" },
        h("div", { class: "card" }, h("div", { class: "label" }, "Overall"),
          h("div", { class: "value", id: "client-overall" }, s.overall, " ", h("span", { class: "badge band-" + s.band }, label(s.band)))),
        clientCard("Churn risk" + churnNote, s.churn_risk + "%", "client-churn"),
        clientCard("Change, 7 days", signed(c.trend.delta_7d)),
        clientCard("Change, 30 days", signed(c.trend.delta_30d)),
        clientCard("Renewal", clientDay(c.renewal_date), "client-renewal")),
      h("section", { class: "panel", "aria-labelledby": "history-title" },
        h("h3", { id: "history-title" }, "Score history"),
        clientHistory(c)),
      h("h3", { style: "margin-top:1rem" }, "Dimensions"),
      c.reweighting ? h("p", { class: "reweighting muted", id: "client-reweighting" }, c.reweighting) : null,
      h("div", { class: "dims" }, c.dimensions.map(clientDimension)),
      clientOverridesPanel(id, c.overrides || [], s.overrides, () => renderClient(id).catch(showError)),
      h("section", { class: "panel", id: "client-change", "aria-labelledby": "change-title" },
        h("h3", { id: "change-title" }, "Why it changed"),
        clientChangeForm(id, changeBox, c.factor_labels || {}), changeBox),
      h("h3", { style: "margin-top:1rem" }, "Open insights"), insightsBox,
      h("div", { class: "records" },
        clientContacts(c), clientDeals(c), clientTickets(c), clientInteractions(c)),
      linkedRecordsPanel(c.linked_records)));
    await clientLoadChange(id, changeBox, c.factor_labels || {});
  }

  function clientHeader(c) {
    const sources = (c.score.sources || []).map((src) => clientPlatform(src.platform) +
      (src.matched_by ? " (matched by " + src.matched_by.replace(/_/g, " ") + (src.match_confidence != null ? ", " + Math.round(100 * src.match_confidence) + "%" : "") + ")" : ""));
    return h("div", { class: "client-links" },
      c.hubspot_url ? h("a", { id: "client-hubspot-link", href: c.hubspot_url, target: "_blank", rel: "noopener noreferrer" }, "Open in HubSpot") : null,
      c.domain ? h("span", { class: "muted" }, c.domain) : null,
      c.lifecycle_stage ? h("span", { class: "muted" }, "Lifecycle: " + c.lifecycle_stage) : null,
      h("span", { class: "muted", id: "client-sources" }, "Sources: " + (sources.join(" + ") || "HubSpot")));
  }

  // ---------- History: a line over the points, with the same figures as a table ----------
  function clientHistory(c) {
    const points = c.history;
    if (!points.length) return h("p", { class: "muted", id: "client-history-note" }, "No history yet.");
    if (points.length === 1) {
      // One dot is not a line: say what there is instead.
      return h("p", { id: "client-history-note" }, "One score so far: " + points[0].overall + " on " + clientDay(points[0].at) +
        ". The line starts with the next daily scoring.");
    }
    const title = "Overall score, " + clientDay(c.history_from) + " to " + clientDay(c.history_to);
    const first = points[0], last = points[points.length - 1];
    return h("div", {},
      clientHistoryChart(points, title + ": from " + first.overall + " to " + last.overall + " over " + points.length + " scorings"),
      h("details", {}, h("summary", {}, "The history as a table"),
        h("div", { class: "table-wrap" }, clientTable("Score history", [["Date"], ["Overall", true], ["Churn risk", true]],
          points.map((p) => h("tr", {}, h("td", {}, clientDay(p.at)), h("td", { class: "num" }, p.overall), h("td", { class: "num" }, p.churn_risk + "%")))))));
  }
  function clientHistoryChart(points, title) {
    const width = 640, height = 220, left = 34, pad = 12;
    const xs = points.map((p) => new Date(p.at).getTime());
    const minX = Math.min(...xs), maxX = Math.max(...xs);
    const x = (v) => maxX === minX ? (left + width) / 2 : left + (v - minX) / (maxX - minX) * (width - left - pad);
    const y = (v) => height - 24 - v / 100 * (height - 24 - pad);
    const grid = [0, 25, 50, 75, 100].map((v) => [
      svg("line", { x1: left, x2: width - pad, y1: y(v), y2: y(v), stroke: "#dde1e8" }),
      svg("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end", "font-size": 11, fill: "#5b6475" }, v)]);
    const d = points.map((p, i) => (i ? "L" : "M") + x(xs[i]).toFixed(1) + " " + y(p.overall).toFixed(1)).join(" ");
    return svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title },
      svg("title", {}, title), grid,
      svg("text", { x: left, y: height - 6, "font-size": 11, fill: "#5b6475" }, clientDay(points[0].at)),
      svg("text", { x: width - pad, y: height - 6, "font-size": 11, fill: "#5b6475", "text-anchor": "end" }, clientDay(points[points.length - 1].at)),
      svg("path", { d, fill: "none", stroke: "#2456c7", "stroke-width": 2.5 }));
  }

  // ---------- Dimensions with readable factors ----------
  function clientDimension(d) {
    const id = "dim-" + d.dimension;
    return h("section", { class: "panel dim", "aria-labelledby": id, "data-dimension": d.dimension },
      h("h3", { id }, d.label, " ", h("span", { class: "score" }, dash(d.score)),
        h("span", { class: "muted" }, " · counts " + Math.round(d.weight * 100) + "%")),
      d.score == null ? h("p", { class: "muted" }, "No data: left out of the overall score.") : null,
      h("table", { class: "factors" },
        h("caption", { class: "sr-only" }, d.label + " factors: value and points"),
        h("colgroup", {}, h("col", {}), h("col", { class: "value" }), h("col", { class: "points" })),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Factor"), h("th", { scope: "col", class: "num" }, "Value"), h("th", { scope: "col", class: "num" }, "Points"))),
        h("tbody", {}, d.factors.map((f) => h("tr", { "data-factor": f.name },
          h("td", {}, h("strong", {}, f.label), f.source && f.source !== "hubspot" ? h("span", { class: "muted" }, " · " + clientPlatform(f.source)) : null,
            h("div", { class: "muted" }, f.explanation)),
          h("td", { class: "num" }, f.value_text),
          h("td", { class: "num" }, (Math.round(f.points * 10) / 10).toString()))))));
  }

  // ---------- Insights with their evidence in words ----------
  function clientInsightCard(i, onChange) {
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
    return h("article", { class: "insight impact-" + i.impact + "-edge", "data-id": i.id, "aria-labelledby": "ct-" + i.id },
      h("div", { class: "meta" },
        h("span", { class: "badge impact-" + i.impact }, label(i.impact) + " impact"),
        h("span", { class: "badge type" }, label(i.type)),
        h("span", { class: "muted" }, i.confidence + "% confidence"),
        i.revenue_text ? h("span", { class: "revenue", "data-kind": i.revenue_kind }, "· " + i.revenue_text) : null),
      h("h4", { id: "ct-" + i.id, style: "margin:.2rem 0" }, i.title),
      h("p", {}, i.description),
      i.recommendations.length ? h("div", {}, h("strong", {}, "Recommended actions"), h("ul", {}, i.recommendations.map((r) => h("li", {}, r)))) : null,
      h("details", {}, h("summary", {}, "Why"), h("p", {}, i.explanation),
        h("ul", { class: "evidence-words" }, (i.evidence_text || []).map((t) => h("li", {}, t)))),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "action-acknowledge", onclick: (e) => setStatus("acknowledged", e.currentTarget) }, "Acknowledge"),
        h("button", { type: "button", class: "action-dismiss", onclick: (e) => setStatus("dismissed", e.currentTarget) }, "Dismiss")));
  }

  // ---------- CRM records ----------
  const clientMoreNote = (shown, total, what) => total > shown ? h("p", { class: "muted" }, "Showing " + shown + " of " + total + " " + what + ".") : null;
  function clientContacts(c) {
    return h("section", { class: "panel", id: "client-contacts", "aria-labelledby": "contacts-title" },
      h("h3", { id: "contacts-title" }, "Contacts (" + c.contacts_total + ")"),
      c.contacts.length ? clientTableRegion(clientTable("Contacts", [["Contact"], ["Lifecycle stage"], ["Last interaction"]],
        c.contacts.map((p) => h("tr", { "data-contact": p.id },
          h("td", {}, clientHubspotLink(p.hubspot_url, "Contact " + p.id)),
          h("td", {}, p.lifecycle_label || "—"),
          h("td", {}, clientDay(p.last_interaction_at)))))) : h("p", { class: "muted" }, "No contacts."),
      clientMoreNote(c.contacts.length, c.contacts_total, "contacts"));
  }
  function clientDeals(c) {
    return h("section", { class: "panel", id: "client-deals", "aria-labelledby": "deals-title" },
      h("h3", { id: "deals-title" }, "Open deals (" + c.open_deals_total + ")"),
      c.open_deals.length ? clientTableRegion(clientTable("Open deals", [["Deal"], ["Amount", true], ["Stage"], ["Close date"]],
        c.open_deals.map((d) => h("tr", { "data-deal": d.id },
          h("td", {}, clientHubspotLink(d.hubspot_url, "Deal " + d.id)),
          h("td", { class: "num" }, d.amount_text || "—"),
          h("td", {}, d.stage_label || "—"),
          h("td", {}, clientDay(d.close_date), d.past_close_date ? h("span", { class: "error" }, " (passed)") : null))))) : h("p", { class: "muted" }, "No open deals."),
      clientMoreNote(c.open_deals.length, c.open_deals_total, "open deals"));
  }
  function clientTickets(c) {
    return h("section", { class: "panel", id: "client-tickets", "aria-labelledby": "tickets-title" },
      h("h3", { id: "tickets-title" }, "Open tickets (" + c.open_tickets_total + ")"),
      c.open_tickets.length ? clientTableRegion(clientTable("Open tickets", [["Ticket"], ["Priority"], ["Age", true]],
        c.open_tickets.map((t) => h("tr", { "data-ticket": t.id },
          h("td", {}, clientHubspotLink(t.hubspot_url, "Ticket " + t.id)),
          h("td", {}, t.priority_label || "—"),
          h("td", { class: "num" }, t.age_text || "—"))))) : h("p", { class: "muted" }, "No open tickets."),
      clientMoreNote(c.open_tickets.length, c.open_tickets_total, "open tickets"));
  }
  function clientInteractions(c) {
    return h("section", { class: "panel", id: "client-interactions", "aria-labelledby": "interactions-title" },
      h("h3", { id: "interactions-title" }, "Recent interactions"),
      c.recent_interactions.length
        ? h("ol", { class: "interactions" }, c.recent_interactions.map((e) => h("li", {},
          e.label + (e.completed ? " (completed)" : "") + " · ", h("time", { datetime: e.occurred_at }, clientDay(e.occurred_at)))))
        : h("p", { class: "muted" }, "No interactions recorded."));
  }

  // ---------- Why it changed: a waterfall of GET /v1/clients/{id}/score-change ----------
  function clientChangeForm(id, box, labels) {
    const today = new Date();
    const from = h("input", { type: "date", id: "change-from", value: clientIsoDay(new Date(today.getTime() - 30 * 86400000)), max: clientIsoDay(today) });
    const to = h("input", { type: "date", id: "change-to", value: clientIsoDay(today), max: clientIsoDay(today) });
    return h("form", { class: "change-form", "aria-label": "Dates to compare", onsubmit: (e) => {
      e.preventDefault();
      clientLoadChange(id, box, labels).catch((error) => box.replaceChildren(h("p", { class: "error", role: "alert" }, error.message)));
    } },
      h("label", { for: "change-from" }, "From", from),
      h("label", { for: "change-to" }, "To", to),
      h("button", { type: "submit", id: "change-explain" }, "Explain the change"));
  }

  async function clientLoadChange(id, box, labels) {
    const from = document.getElementById("change-from"), to = document.getElementById("change-to");
    const params = new URLSearchParams();
    if (from && from.value) params.set("from", from.value);
    if (to && to.value) params.set("to", to.value);
    let view;
    try {
      view = await api("/v1/clients/" + encodeURIComponent(id) + "/score-change?" + params);
    } catch (error) {
      box.replaceChildren(h("p", { class: "muted" }, error.status === 404
        ? "No score history in this range yet." : "The change could not be explained: " + error.message));
      return;
    }
    box.replaceChildren(...clientWaterfall(view.change, labels));
  }

  // The steps of the waterfall: each dimension line split into its factor parts (they add up to the
  // line exactly), then re-weighting split into dimensions, then rounding. Zero steps are left out.
  function clientChangeSteps(change, labels) {
    const factorName = (key) => ({ remainder: "rounding inside the dimension", factors_not_recorded: "factors not recorded then" })[key] || labels[key] || key.replace(/_/g, " ");
    const dimName = (key) => label(key);
    const steps = [];
    for (const line of change.lines) {
      if (line.kind === "dimension" && line.parts.length) {
        for (const p of line.parts) steps.push({ text: dimName(line.key) + ": " + factorName(p.key), points: p.points });
      } else if (line.kind === "reweighting" && line.parts.length) {
        for (const p of line.parts) steps.push({ text: "Re-weighting: " + dimName(p.key), points: p.points });
      } else {
        steps.push({ text: line.kind === "rounding" ? "Rounding to a whole score" : line.kind === "reweighting" ? "Re-weighting" : dimName(line.key), points: line.points });
      }
    }
    return steps.filter((s) => Math.round(s.points * 100) !== 0);
  }

  function clientWaterfall(change, labels) {
    const start = change.start.overall, end = change.end.overall;
    const steps = clientChangeSteps(change, labels);
    const summary = "From " + start + " on " + clientDay(change.start.at) + " to " + end + " on " + clientDay(change.end.at) +
      " (" + signed(change.total) + " points)";
    const rows = [{ text: "Start, " + clientDay(change.start.at), from: 0, to: start, kind: "total" }];
    let level = start;
    for (const s of steps) { rows.push({ text: s.text, from: level, to: level + s.points, kind: s.points >= 0 ? "up" : "down", points: s.points }); level += s.points; }
    rows.push({ text: "End, " + clientDay(change.end.at), from: 0, to: end, kind: "total" });
    const values = rows.flatMap((r) => r.kind === "total" ? [r.to] : [r.from, r.to]);
    const lo = Math.max(0, Math.floor(Math.min(...values) - 2)), hi = Math.min(100, Math.ceil(Math.max(...values) + 2));
    const width = 720, rowH = 26, labelW = 300, right = 60, top = 6;
    const height = top * 2 + rows.length * rowH;
    const x = (v) => labelW + (Math.max(lo, Math.min(hi, v)) - lo) / Math.max(1, hi - lo) * (width - labelW - right);
    const colour = { total: "#2456c7", up: "#1e7d3c", down: "#b3152b" };
    const bars = rows.map((r, i) => {
      const y0 = top + i * rowH;
      const a = r.kind === "total" ? x(lo) : x(Math.min(r.from, r.to)), b = r.kind === "total" ? x(r.to) : x(Math.max(r.from, r.to));
      return svg("g", {},
        svg("text", { x: labelW - 8, y: y0 + 17, "text-anchor": "end", "font-size": 12, fill: "#1d2330" }, r.text.length > 44 ? r.text.slice(0, 43) + "…" : r.text),
        svg("rect", { x: a, y: y0 + 4, width: Math.max(1.5, b - a), height: rowH - 8, fill: colour[r.kind] }),
        svg("text", { x: Math.max(a, b) + 6, y: y0 + 17, "font-size": 12, fill: "#1d2330" }, r.kind === "total" ? String(r.to) : clientPoints(r.points)));
    });
    const chart = svg("svg", { class: "waterfall", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "Why the score changed: " + summary + ". The table below lists each step." },
      svg("title", {}, "Why the score changed: " + summary), bars);
    const table = h("table", { id: "change-table", "data-start": start, "data-end": end, "data-total": change.total },
      h("caption", { class: "sr-only" }, "Each step of the change, in points of the overall score"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Step"), h("th", { scope: "col", class: "num" }, "Points"))),
      h("tbody", {},
        h("tr", { class: "start" }, h("th", { scope: "row" }, "Start score, " + clientDay(change.start.at)), h("td", { class: "num" }, start)),
        steps.map((s) => h("tr", { class: "step", "data-points": Math.round(s.points * 100) / 100 },
          h("th", { scope: "row" }, s.text), h("td", { class: "num " + (s.points >= 0 ? "up" : "down") }, clientPoints(s.points)))),
        h("tr", { class: "end" }, h("th", { scope: "row" }, "End score, " + clientDay(change.end.at)), h("td", { class: "num" }, end))));
    return [
      h("p", { id: "change-summary" }, summary + "."),
      change.weights_estimated ? h("p", { class: "muted" }, "The older score was kept before weights were recorded: its weights are estimated from today's settings, and its factor changes are not known.") : null,
      steps.length ? chart : h("p", { class: "muted" }, "Nothing changed between these dates."),
      ...clientTableRegion(table)];
  }

  page("client", renderClient, "health");
