  // ---------- Alerts: rules and their channels, test sends, the delivery log, alerting settings ----------
  // (Concatenated into the dashboard's script by `routes/meta.rs`: it shares the helpers above.)
  const CHANNEL_NAMES = { slack: "Slack", teams: "Microsoft Teams", email: "Email", webhook: "Webhook" };
  const IMPACTS = ["low", "medium", "high", "critical"];
  const ALERT_BANDS = ["watch", "at_risk", "critical"];
  const HOURS = Array.from({ length: 24 }, (_, i) => i);
  const hour = (n) => String(n).padStart(2, "0") + ":00";
  let editingRule = null;

  function conditionWords(c) {
    if (!c) return "—";
    if (c.kind === "band_entered") return "Health band becomes " + (c.bands || []).map(label).join(" or ");
    if (c.kind === "overall_fell") return "Overall falls " + c.points + " points or more within " + c.days + " days";
    if (c.kind === "insight_opened") return "An insight opens with impact " + label(c.min_impact) + " or higher and confidence " + c.min_confidence + "% or more";
    if (c.kind === "churn_above") return "Churn risk rises above " + c.percent + "%";
    return c.kind;
  }
  function scopeWords(s) {
    if (!s || s.kind === "all_clients") return "All clients";
    if (s.kind === "lifecycle_stages") return "Lifecycle stages: " + (s.stages || []).join(", ");
    if (s.kind === "clients") return (s.client_ids || []).length + " named clients";
    return s.kind;
  }
  const listOf = (text) => text.split(",").map((v) => v.trim()).filter(Boolean);

  function ruleRow(rule) {
    const results = h("div", { class: "test-results", id: "test-results-" + rule.id, role: "status" });
    const sendTest = async (e) => {
      const button = e.currentTarget;
      button.disabled = true;
      results.replaceChildren("Sending a test alert…");
      try {
        const report = await api("/v1/alert-rules/" + encodeURIComponent(rule.id) + "/test", { method: "POST" });
        results.replaceChildren(h("ul", {}, report.results.map((r) => h("li", { "data-channel": r.channel_id },
          h("span", { class: "badge status-" + (r.status === "sent" ? "succeeded" : "failed") }, r.status === "sent" ? "sent" : "failed"), " ",
          (CHANNEL_NAMES[r.kind] || r.kind) + " " + r.display, r.error ? h("span", { class: "error" }, ": " + r.error) : null))));
        announce("Test alert: " + report.results.filter((r) => r.status === "sent").length + " of " + report.results.length + " channels took it.");
      } catch (error) { results.replaceChildren(h("span", { class: "error" }, "Not sent: " + error.message)); }
      button.disabled = false;
    };
    const remove = async () => {
      if (!confirm("Delete the rule " + rule.name + "? Its channels' URLs are removed too.")) return;
      try { await api("/v1/alert-rules/" + encodeURIComponent(rule.id), { method: "DELETE" }); announce("Deleted " + rule.name + "."); }
      catch (error) { announce("Could not delete " + rule.name + ": " + error.message); }
      renderAlerts();
    };
    const edit = () => { editingRule = rule; renderAlerts().then(() => document.getElementById("rule-name").focus()); };
    return h("tr", { "data-rule": rule.id },
      h("th", { scope: "row" }, rule.name),
      h("td", { class: "wrap" }, conditionWords(rule.condition),
        rule.delivery === "daily_digest" ? h("div", { class: "muted" }, "daily digest") : null),
      h("td", {}, scopeWords(rule.scope)),
      h("td", {}, h("ul", { class: "plain" }, rule.channels.map((c) => h("li", {}, (CHANNEL_NAMES[c.kind] || c.kind) + ": " + c.display)))),
      h("td", { class: "wrap" }, h("span", { class: "badge status-" + (rule.enabled ? "active" : "paused") }, rule.enabled ? "enabled" : "disabled"),
        rule.disabled_reason ? h("p", { class: "error disabled-reason", role: "alert" }, "Turned off: " + rule.disabled_reason) : null),
      h("td", {}, h("div", { class: "actions" },
        h("button", { type: "button", onclick: edit }, "Edit"),
        h("button", { type: "button", class: "send-test", onclick: sendTest }, "Send test"),
        h("button", { type: "button", onclick: remove }, "Delete")), results));
  }

  // One channel row of the form: a kept channel (shown by its hint) or a new one (kind and URL or recipients).
  function channelRow(channel, index) {
    const row = h("fieldset", { class: "channel", "data-index": index });
    if (channel && channel.id) {
      row.dataset.id = channel.id;
      row.dataset.kind = channel.kind;
      row.append(h("legend", {}, "Channel " + (index + 1) + ": " + (CHANNEL_NAMES[channel.kind] || channel.kind)),
        h("p", {}, channel.display));
      if (channel.kind === "email") {
        row.append(h("label", { for: "channel-recipients-" + index }, "Recipients (comma-separated)"),
          h("input", { id: "channel-recipients-" + index, class: "recipients", value: (channel.recipients || []).join(", ") }));
      }
    } else {
      const kind = h("select", { id: "channel-kind-" + index, class: "kind", onchange: () => toggle() },
        Object.entries(CHANNEL_NAMES).map(([v, t]) => h("option", { value: v }, t)));
      const urlLabel = h("label", { for: "channel-url-" + index }, "URL (kept secret, never shown again)");
      const url = h("input", { id: "channel-url-" + index, class: "url", type: "url", autocomplete: "off", spellcheck: "false" });
      const recipientsLabel = h("label", { for: "channel-recipients-" + index }, "Recipients (comma-separated)");
      const recipients = h("input", { id: "channel-recipients-" + index, class: "recipients", autocomplete: "off" });
      const toggle = () => {
        const email = kind.value === "email";
        for (const el of [urlLabel, url]) el.hidden = email;
        for (const el of [recipientsLabel, recipients]) el.hidden = !email;
      };
      row.append(h("legend", {}, "Channel " + (index + 1) + " (new)"),
        h("label", { for: "channel-kind-" + index }, "Kind"), kind, urlLabel, url, recipientsLabel, recipients);
      toggle();
    }
    row.append(h("button", { type: "button", onclick: () => row.remove() }, "Remove channel"));
    return row;
  }

  function channelsOf(form) {
    return [...form.querySelectorAll("fieldset.channel")].map((row) => {
      const recipients = row.querySelector(".recipients");
      if (row.dataset.id) {
        const kept = { id: row.dataset.id, kind: row.dataset.kind };
        if (recipients) kept.recipients = listOf(recipients.value);
        return kept;
      }
      const kind = row.querySelector(".kind").value;
      return kind === "email" ? { kind, recipients: listOf(recipients.value) } : { kind, url: row.querySelector(".url").value.trim() };
    });
  }

  function conditionFields(condition) {
    const c = condition || { kind: "band_entered", bands: ["at_risk", "critical"] };
    const number = (id, text, value, min, max) => [h("label", { for: id }, text), h("input", { id, type: "number", min, max, value, required: true })];
    const groups = {
      band_entered: h("fieldset", { class: "condition-params", "data-kind": "band_entered" }, h("legend", {}, "Bands that alert"),
        ALERT_BANDS.map((b) => h("label", { class: "inline" }, h("input", { type: "checkbox", name: "band", value: b,
          checked: (c.kind === "band_entered" ? c.bands : ["at_risk", "critical"]).includes(b) }), " " + label(b)))),
      overall_fell: h("div", { class: "condition-params", "data-kind": "overall_fell" },
        number("fell-points", "Points", c.points || 10, 1, 100), number("fell-days", "Within days", c.days || 7, 1, 365)),
      insight_opened: h("div", { class: "condition-params", "data-kind": "insight_opened" },
        h("label", { for: "insight-impact" }, "Impact at least"),
        h("select", { id: "insight-impact" }, IMPACTS.map((i) => h("option", { value: i, selected: (c.min_impact || "high") === i }, label(i)))),
        number("insight-confidence", "Confidence at least (%)", c.min_confidence == null ? 70 : c.min_confidence, 0, 100)),
      churn_above: h("div", { class: "condition-params", "data-kind": "churn_above" },
        number("churn-percent", "Churn risk above (%)", c.percent || 60, 1, 99)),
    };
    const kind = h("select", { id: "rule-condition", onchange: () => toggle() },
      [["band_entered", "Health band changes"], ["overall_fell", "Overall score falls"], ["insight_opened", "An insight opens"], ["churn_above", "Churn risk rises"]]
        .map(([v, t]) => h("option", { value: v, selected: c.kind === v }, t)));
    const toggle = () => { for (const [k, el] of Object.entries(groups)) el.hidden = k !== kind.value; };
    toggle();
    return [h("label", { for: "rule-condition" }, "Alert when"), kind, ...Object.values(groups)];
  }

  function conditionOf(form) {
    const kind = form.querySelector("#rule-condition").value;
    const num = (id) => Number(form.querySelector("#" + id).value);
    if (kind === "band_entered") return { kind, bands: [...form.querySelectorAll("input[name=band]:checked")].map((b) => b.value) };
    if (kind === "overall_fell") return { kind, points: num("fell-points"), days: num("fell-days") };
    if (kind === "insight_opened") return { kind, min_impact: form.querySelector("#insight-impact").value, min_confidence: num("insight-confidence") };
    return { kind, percent: num("churn-percent") };
  }

  function scopeOf(form) {
    const kind = form.querySelector("#rule-scope").value;
    const values = listOf(form.querySelector("#rule-scope-values").value);
    if (kind === "lifecycle_stages") return { kind, stages: values.map((v) => v.toLowerCase()) };
    if (kind === "clients") return { kind, client_ids: values };
    return { kind: "all_clients" };
  }

  // Signing secrets are in the answer that created the channel, and nowhere else: show them once.
  function signingSecretsNotice(rule) {
    const keyed = rule.channels.filter((c) => c.signing_secret);
    if (!keyed.length) return null;
    return h("section", { class: "panel notice", id: "signing-secrets", role: "alert", tabindex: "-1" },
      h("h3", {}, "Copy the signing secret now"),
      h("p", {}, "Your endpoint verifies each delivery's webhook-signature header with this key (Standard Webhooks). It is shown only this once."),
      keyed.map((c) => h("p", {}, c.display + ": ", h("code", { class: "signing-secret" }, c.signing_secret))));
  }

  function ruleForm(rule) {
    const message = h("p", { id: "rule-message", role: "status" });
    let rows = 0;
    const channels = h("div", { id: "rule-channels" }, (rule ? rule.channels : [null]).map((c) => channelRow(c, rows++)));
    const scope = rule ? rule.scope : { kind: "all_clients" };
    const form = h("form", { id: "alert-rule-form", class: "panel form", onsubmit: async (e) => {
      e.preventDefault();
      const submit = form.querySelector("button[type=submit]");
      submit.disabled = true;
      message.className = "";
      message.textContent = "Saving…";
      const body = {
        name: form.querySelector("#rule-name").value.trim(), enabled: form.querySelector("#rule-enabled").checked,
        condition: conditionOf(form), scope: scopeOf(form), channels: channelsOf(form),
        cooldown_minutes: Number(form.querySelector("#rule-cooldown").value), delivery: form.querySelector("#rule-delivery").value,
      };
      try {
        let saved;
        if (rule) saved = await api("/v1/alert-rules/" + encodeURIComponent(rule.id), { method: "PUT", body: JSON.stringify(Object.assign(body, { version: rule.version })) });
        else saved = await api("/v1/alert-rules", { method: "POST", body: JSON.stringify(body) });
        editingRule = null;
        announce((rule ? "Saved " : "Created ") + saved.name + ".");
        await renderAlerts(signingSecretsNotice(saved));
      } catch (error) {
        message.textContent = "Not saved: " + error.message;
        message.className = "error";
        submit.disabled = false;
      }
    } },
      h("h3", { id: "rule-form-title" }, rule ? "Edit " + rule.name : "New alert rule"),
      h("label", { for: "rule-name" }, "Name"), h("input", { id: "rule-name", required: true, maxlength: 100, value: rule ? rule.name : "" }),
      conditionFields(rule && rule.condition),
      h("label", { for: "rule-scope" }, "Clients"),
      h("select", { id: "rule-scope" }, [["all_clients", "All clients"], ["lifecycle_stages", "In lifecycle stages"], ["clients", "Named clients (ids)"]]
        .map(([v, t]) => h("option", { value: v, selected: scope.kind === v }, t))),
      h("label", { for: "rule-scope-values" }, "Stages or client ids (comma-separated; not used for all clients)"),
      h("input", { id: "rule-scope-values", value: (scope.stages || scope.client_ids || []).join(", ") }),
      h("h4", {}, "Channels"), channels,
      h("button", { type: "button", id: "add-channel", onclick: () => channels.append(channelRow(null, rows++)) }, "Add channel"),
      h("label", { for: "rule-cooldown" }, "Cool-down after an alert for a client (minutes)"),
      h("input", { id: "rule-cooldown", type: "number", min: 0, max: 43200, value: rule ? rule.cooldown_minutes : 1440 }),
      h("label", { for: "rule-delivery" }, "Delivery"),
      h("select", { id: "rule-delivery" }, [["immediate", "As it happens"], ["daily_digest", "Daily digest"]]
        .map(([v, t]) => h("option", { value: v, selected: (rule ? rule.delivery : "immediate") === v }, t))),
      h("label", { class: "inline" }, h("input", { id: "rule-enabled", type: "checkbox", checked: rule ? rule.enabled : true }), " Enabled"),
      rule && rule.disabled_reason ? h("p", { class: "muted" }, "Enabling the rule again clears why it was turned off.") : null,
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, rule ? "Save rule" : "Create rule"),
        rule ? h("button", { type: "button", onclick: () => { editingRule = null; renderAlerts(); } }, "Cancel") : null),
      message);
    return form;
  }

  function deliveriesTable(items, rulesById) {
    return h("div", { class: "table-wrap" }, h("table", { id: "deliveries-table" },
      h("caption", { class: "sr-only" }, "Alert deliveries, newest first"),
      h("thead", {}, h("tr", {}, ["Time", "Rule", "Channel", "Clients", "Status", "Attempts", "Last error"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, items.length ? items.map((d) => {
        const channel = ((rulesById[d.rule_id] || {}).channels || []).find((c) => c.id === d.channel_id);
        return h("tr", { "data-delivery": d.id },
          h("td", {}, when(d.updated_at)),
          h("td", {}, d.rule_name + (d.test ? " (test)" : "") + (d.digest ? " (digest)" : "")),
          h("td", {}, (CHANNEL_NAMES[d.channel_kind] || d.channel_kind) + (channel ? ": " + channel.display : "")),
          h("td", { class: "num" }, d.alerts),
          h("td", {}, h("span", { class: "badge status-" + (d.status === "sent" ? "succeeded" : d.status === "retrying" ? "rate_limited" : "failed") }, d.status)),
          h("td", { class: "num" }, d.attempts),
          h("td", { class: "wrap" }, d.last_error || "—"));
      }) : h("tr", {}, h("td", { colspan: 7, class: "empty" }, "Nothing sent yet.")))));
  }

  function alertingForm(view) {
    const a = view.alerting;
    const message = h("p", { id: "alerting-message", role: "status" });
    const hourSelect = (id, value) => h("select", { id }, HOURS.map((n) => h("option", { value: n, selected: n === value }, hour(n))));
    const quiet = h("input", { id: "quiet-enabled", type: "checkbox", checked: !!a.quiet_hours });
    const form = h("form", { id: "alerting-form", class: "panel form", onsubmit: async (e) => {
      e.preventDefault();
      const alerting = Object.assign({}, a, {
        time_zone: form.querySelector("#alert-time-zone").value.trim(),
        digest_hour: Number(form.querySelector("#digest-hour").value),
        quiet_hours: quiet.checked ? { start: Number(form.querySelector("#quiet-start").value), end: Number(form.querySelector("#quiet-end").value) } : null,
      });
      if (!alerting.quiet_hours) delete alerting.quiet_hours;
      try {
        await api("/v1/settings", { method: "PUT", body: JSON.stringify({ settings: view.settings, alerting, version: view.version }) });
        announce("Alerting settings saved.");
        renderAlerts();
      } catch (error) { message.textContent = "Not saved: " + error.message; message.className = "error"; }
    } },
      h("h3", {}, "Alerting settings"),
      h("label", { for: "alert-time-zone" }, "Time zone (IANA, e.g. Europe/Berlin)"),
      h("input", { id: "alert-time-zone", required: true, value: a.time_zone }),
      h("label", { class: "inline" }, quiet, " Quiet hours (alerts wait until they end)"),
      h("label", { for: "quiet-start" }, "Quiet from"), hourSelect("quiet-start", a.quiet_hours ? a.quiet_hours.start : 22),
      h("label", { for: "quiet-end" }, "Quiet until"), hourSelect("quiet-end", a.quiet_hours ? a.quiet_hours.end : 7),
      h("label", { for: "digest-hour" }, "Daily digest at"), hourSelect("digest-hour", a.digest_hour),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Save alerting settings")),
      message);
    return form;
  }

  async function renderAlerts(notice) {
    const [rules, deliveries, settings] = await Promise.all([
      api("/v1/alert-rules"), api("/v1/alert-deliveries?limit=50"), api("/v1/settings").catch(() => null)]);
    const items = itemsOf(rules);
    const rulesById = Object.fromEntries(items.map((r) => [r.id, r]));
    if (editingRule) editingRule = rulesById[editingRule.id] || null;
    show(h("section", { id: "alerts-page", "aria-labelledby": "alerts-title" },
      h("h2", { id: "alerts-title" }, "Alerts"),
      notice || null,
      h("div", { class: "table-wrap" }, h("table", { id: "alert-rules-table" },
        h("caption", { class: "sr-only" }, "Alert rules"),
        h("thead", {}, h("tr", {}, ["Rule", "Condition", "Clients", "Channels", "Status", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, items.length ? items.map(ruleRow)
          : h("tr", {}, h("td", { colspan: 6, class: "empty" }, "No alert rules yet."))))),
      ruleForm(editingRule),
      h("h3", { id: "deliveries-title" }, "Delivery log"),
      deliveriesTable(itemsOf(deliveries), rulesById),
      settings ? alertingForm(settings) : null));
    if (notice) notice.focus();
  }
  page("alerts", renderAlerts);
