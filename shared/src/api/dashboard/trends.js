  // ---------- Trends (the overview's section: trendsPanel()) ----------
  // Average health and clients per band, one point a day (the day's last scoring run), from
  // GET /v1/overview/trends. Two SVG charts, each an image with a summary as its name, and the same
  // figures as a table for screen readers and keyboard users.
  const TREND_BANDS = ["healthy", "watch", "at_risk", "critical"];
  const TREND_BAND_COLOURS = { healthy: "var(--healthy)", watch: "var(--watch)", at_risk: "var(--at-risk)", critical: "var(--critical)" };
  const TREND_W = 720, TREND_H = 200, TREND_PAD = { left: 40, right: 12, top: 12, bottom: 26 };
  const trendDay = (iso) => new Date(iso + "T00:00:00Z");
  const trendDayLabel = (iso) => trendDay(iso).toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" });

  function trendsPanel(days = 90) {
    const body = h("div", { id: "trends-body" }, h("p", { class: "muted" }, "Loading trends…"));
    const section = h("section", { class: "panel", id: "trends-panel", "aria-labelledby": "trends-title" },
      h("h3", { id: "trends-title" }, "Trends over the last " + days + " days"), body);
    api("/v1/overview/trends?days=" + days)
      .then((trends) => body.replaceChildren(...trendsContent(trends)))
      .catch((error) => body.replaceChildren(h("p", { class: "error" }, "Could not load the trends: " + error.message)));
    return section;
  }

  function trendsContent(trends) {
    const points = trends.points || [];
    if (!points.length) return [h("p", { class: "empty", id: "trends-empty" }, "No trend yet: each scoring run adds the day's point.")];
    const span = Math.max(1, (trendDay(trends.to) - trendDay(trends.from)) / 86400000);
    const x = (iso) => TREND_PAD.left + (TREND_W - TREND_PAD.left - TREND_PAD.right) * ((trendDay(iso) - trendDay(trends.from)) / 86400000) / span;
    const plotH = TREND_H - TREND_PAD.top - TREND_PAD.bottom;
    const first = points[0], last = points[points.length - 1];
    const atRisk = (p) => p.clients_by_band.at_risk + p.clients_by_band.critical;
    return [
      healthChart(points, x, plotH, trends),
      bandsChart(points, x, plotH, trends),
      h("p", { class: "muted", id: "trends-summary" },
        "Average health " + dash(first.average_health) + " on " + trendDayLabel(first.day) + ", " + dash(last.average_health) + " on " + trendDayLabel(last.day) +
        "; clients at risk " + atRisk(first) + " then " + atRisk(last) + "."),
      h("details", { id: "trends-table-details" }, h("summary", {}, "Show the trends as a table"),
        h("div", { class: "table-wrap" }, h("table", { id: "trends-table" },
          h("caption", { class: "sr-only" }, "Health per day, oldest first"),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Day"), h("th", { scope: "col", class: "num" }, "Average health"),
            TREND_BANDS.map((b) => h("th", { scope: "col", class: "num" }, label(b))),
            h("th", { scope: "col", class: "num" }, "Open insights"))),
          h("tbody", {}, points.map((p) => h("tr", {},
            h("th", { scope: "row" }, trendDayLabel(p.day)), h("td", { class: "num" }, dash(p.average_health)),
            TREND_BANDS.map((b) => h("td", { class: "num" }, p.clients_by_band[b])),
            h("td", { class: "num" }, p.open_insights))))))),
    ];
  }

  function trendAxis(trends, plotH, max, unit) {
    const y0 = TREND_PAD.top + plotH;
    return [
      svg("line", { x1: TREND_PAD.left, y1: y0, x2: TREND_W - TREND_PAD.right, y2: y0, stroke: "#8a93a6" }),
      svg("text", { x: TREND_PAD.left - 6, y: TREND_PAD.top + 10, "text-anchor": "end", "font-size": 11, fill: "#5b6475" }, max),
      svg("text", { x: TREND_PAD.left - 6, y: y0, "text-anchor": "end", "font-size": 11, fill: "#5b6475" }, "0"),
      svg("text", { x: TREND_PAD.left, y: TREND_H - 6, "font-size": 11, fill: "#5b6475" }, trendDayLabel(trends.from)),
      svg("text", { x: TREND_W - TREND_PAD.right, y: TREND_H - 6, "text-anchor": "end", "font-size": 11, fill: "#5b6475" }, trendDayLabel(trends.to)),
      svg("text", { x: TREND_W - TREND_PAD.right, y: TREND_PAD.top + 10, "text-anchor": "end", "font-size": 11, fill: "#5b6475" }, unit),
    ];
  }

  function healthChart(points, x, plotH, trends) {
    const y = (v) => TREND_PAD.top + plotH * (1 - v / 100);
    const scored = points.filter((p) => p.average_health != null);
    const path = scored.map((p, i) => (i ? "L" : "M") + x(p.day).toFixed(1) + " " + y(p.average_health).toFixed(1)).join(" ");
    const first = scored[0], last = scored[scored.length - 1];
    const name = first ? "Average health from " + first.average_health + " on " + trendDayLabel(first.day) + " to " + last.average_health + " on " + trendDayLabel(last.day) : "No average health yet";
    return h("figure", { class: "trend-figure" }, h("figcaption", { class: "muted" }, "Average health (0-100)"),
      svg("svg", { class: "chart", id: "trend-health-chart", viewBox: "0 0 " + TREND_W + " " + TREND_H, role: "img", "aria-label": name },
        svg("title", {}, name),
        trendAxis(trends, plotH, 100, "health"),
        path ? svg("path", { d: path, fill: "none", stroke: "#2456c7", "stroke-width": 2.5 }) : null,
        scored.length === 1 ? svg("circle", { cx: x(first.day), cy: y(first.average_health), r: 4, fill: "#2456c7" }) : null));
  }

  function bandsChart(points, x, plotH, trends) {
    const max = Math.max(1, ...points.map((p) => TREND_BANDS.reduce((n, b) => n + p.clients_by_band[b], 0)));
    const width = Math.max(2, (TREND_W - TREND_PAD.left - TREND_PAD.right) / Math.max(points.length, 30) * 0.8);
    const bars = points.flatMap((p) => {
      let top = TREND_PAD.top + plotH;
      return TREND_BANDS.map((b) => {
        const height = plotH * p.clients_by_band[b] / max;
        top -= height;
        return height > 0 ? svg("rect", { x: (x(p.day) - width / 2).toFixed(1), y: top.toFixed(1), width: width.toFixed(1), height: height.toFixed(1), style: "fill:" + TREND_BAND_COLOURS[b] }) : null;
      });
    });
    const last = points[points.length - 1];
    const name = "Clients per health band on " + trendDayLabel(last.day) + ": " + TREND_BANDS.map((b) => label(b) + " " + last.clients_by_band[b]).join(", ");
    return h("figure", { class: "trend-figure" },
      h("figcaption", { class: "muted" }, "Clients per band: ", TREND_BANDS.map((b) => h("span", {}, h("span", { class: "badge band-" + b }, label(b)), " "))),
      svg("svg", { class: "chart", id: "trend-bands-chart", viewBox: "0 0 " + TREND_W + " " + TREND_H, role: "img", "aria-label": name },
        svg("title", {}, name), trendAxis(trends, plotH, max, "clients"), bars));
  }
