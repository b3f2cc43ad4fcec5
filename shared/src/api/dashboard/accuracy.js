  // ---------- Score accuracy (the overview's section: accuracyPanel()) ----------
  // How well churn risk predicted this tenant's own churn (GET /v1/calibration): AUC, the lift of
  // the lowest-scored tenth, the calibration table, and whether churn % is calibrated yet.
  const accuracyPct = (v) => v == null ? "—" : (Math.round(v * 10) / 10) + "%";
  const accuracyRatio = (v) => v == null ? "—" : (Math.round(v * 100) / 100).toString();

  function accuracyPanel() {
    const body = h("div", { id: "accuracy-body" }, h("p", { class: "muted" }, "Loading…"));
    const section = h("section", { class: "panel", id: "accuracy-panel", "aria-labelledby": "accuracy-title" },
      h("h3", { id: "accuracy-title" }, "How well the score predicts churn"), body);
    api("/v1/calibration")
      .then((view) => body.replaceChildren(...accuracyContent(view)))
      .catch((error) => body.replaceChildren(h("p", { class: "error" }, "Could not load the backtest: " + error.message)));
    return section;
  }

  function accuracyContent(view) {
    const b = view.backtest;
    if (!b) return [h("p", { class: "empty", id: "accuracy-status" }, "Not computed yet: the backtest runs with the day's first scoring.")];
    const r = b.heuristic;
    const status = view.status === "calibrated"
      ? h("p", { id: "accuracy-status" }, h("span", { class: "badge band-healthy" }, "Calibrated"),
          " Churn % is fitted to what " + b.churned_clients + " churned and " + (b.clients - b.churned_clients) + " other clients did.")
      : h("p", { id: "accuracy-status" }, h("span", { class: "badge band-watch" }, "Not calibrated yet"),
          " Churn % is the built-in estimate until " + view.minimum_outcomes + " churned and " + view.minimum_outcomes +
          " retained clients are known (now " + b.churned_clients + " churned of " + b.clients + ").");
    const rows = (b.calibrated || r).calibration.filter((bin) => bin.count > 0);
    return [
      status,
      h("div", { class: "cards" },
        h("div", { class: "card" }, h("div", { class: "label" }, "AUC (0.5 is chance)"), h("div", { class: "value", id: "accuracy-auc" }, accuracyRatio(r.auc))),
        h("div", { class: "card" }, h("div", { class: "label" }, "Churn in the lowest-scored tenth vs all"), h("div", { class: "value", id: "accuracy-lift" }, r.lowest_decile_lift == null ? "—" : accuracyRatio(r.lowest_decile_lift) + "×")),
        h("div", { class: "card" }, h("div", { class: "label" }, "Calibration error"), h("div", { class: "value", id: "accuracy-ece" },
          accuracyPct(r.expected_calibration_error) + (b.calibrated ? " → " + accuracyPct(b.calibrated.expected_calibration_error) : "")))),
      h("p", { class: "muted" }, r.predictions + " weekly predictions judged on a churn within " + b.horizon_days + " days; base rate " + accuracyPct(r.base_rate_pct) + "; computed " + when(b.computed_at) + "."),
      rows.length ? h("details", { id: "accuracy-table-details" }, h("summary", {}, "Predicted against observed churn"),
        h("div", { class: "table-wrap" }, h("table", { id: "accuracy-table" },
          h("caption", { class: "sr-only" }, "Predicted churn against observed churn, by predicted range"),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Predicted"), h("th", { scope: "col", class: "num" }, "Predictions"),
            h("th", { scope: "col", class: "num" }, "Mean predicted"), h("th", { scope: "col", class: "num" }, "Observed"))),
          h("tbody", {}, rows.map((bin) => h("tr", {},
            h("td", {}, bin.lower_pct + "–" + bin.upper_pct + "%"), h("td", { class: "num" }, bin.count),
            h("td", { class: "num" }, accuracyPct(bin.mean_predicted_pct)), h("td", { class: "num" }, accuracyPct(bin.observed_pct)))))))) : null,
    ];
  }
