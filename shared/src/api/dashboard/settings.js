  // ---------- Settings (scoring: window, retention, weights, thresholds) ----------
  // Every number of ScoringSettings as the API gives it, grouped; "Preview" asks what the change
  // would do to the health bands (POST /v1/settings/preview, nothing saved), "Save" puts it with the
  // version read. A refused field gets its message beside it and the message is announced.
  const SETTING_GROUPS = [
    ["", "Windows", "How far back interactions count and how long history is kept (days)."],
    ["weights", "Dimension weights", "Each dimension's share of the overall score; they must add up to 1."],
    ["thresholds", "Insight thresholds", "When the rules fire."],
    ["accounts", "Account platform thresholds", "NinjaOne, Pax8 and Microsoft 365 rules."],
    ["cross_source", "Cross-source thresholds", "Rules only several sources together can see."],
    ["outcomes", "Churn outcomes", "What counts as a client churning, for the backtest and the calibration of churn risk; the horizon is in days (30 to 365)."],
  ];
  const settingLabel = (key) => (LABELS[key] || key.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase()));
  const settingId = (path) => "setting-" + path.replace(/[._]/g, "-");
  let settingsRead = null;

  async function renderSettings() {
    settingsRead = await api("/v1/settings");
    const s = settingsRead.settings;
    const fieldsets = SETTING_GROUPS.map(([group, title, hint]) => {
      const values = group ? s[group] : s;
      if (!values || typeof values !== "object") return null;
      // The version is the store's to set, not an input.
      const keys = Object.keys(values).filter((k) => ["number", "boolean"].includes(typeof values[k]) && !(group === "" && k === "version"));
      if (!keys.length) return null;
      return h("fieldset", { id: "settings-group-" + (group || "windows"), "data-field": group || null },
        h("legend", {}, title), h("p", { class: "muted" }, hint),
        group ? h("p", { class: "error", id: "settings-error-" + group, hidden: true }) : null,
        group === "weights" ? h("p", { class: "muted", id: "weights-sum", "aria-live": "polite" }) : null,
        keys.map((key) => settingInput(group ? group + "." + key : key, key, values[key])));
    });
    const result = h("div", { id: "settings-result" });
    const form = h("form", { class: "form", id: "settings-form", novalidate: true, onsubmit: (e) => { e.preventDefault(); saveSettings(form, result); } },
      fieldsets, segmentsFieldset(s.segments || []),
      h("div", { class: "actions" },
        h("button", { type: "button", id: "settings-preview", onclick: () => previewSettings(form, result) }, "Preview band changes"),
        h("button", { type: "submit", class: "primary", id: "settings-save" }, "Save")),
      result);
    show(h("section", { id: "settings-page", "aria-labelledby": "settings-title" },
      h("h2", { id: "settings-title" }, "Settings"),
      h("p", { class: "muted" }, "Scoring settings. A change re-scores every client after the next sync; preview it first."),
      h("p", { id: "settings-version" }, "Version " + (s.version || 0) + "."),
      form, h("section", { id: "settings-versions", "aria-labelledby": "versions-title" }, h("h3", { id: "versions-title" }, "Versions"))));
    showVersions();
    form.addEventListener("input", () => showWeightsSum(form));
    showWeightsSum(form);
  }

  // Segments: clients of a lifecycle stage or revenue range scored with their own weights or
  // thresholds (the first matching segment wins). Edited as JSON: a short list, rarely changed.
  function segmentsFieldset(segments) {
    const list = segments.length
      ? h("ul", { id: "segments-list" }, segments.map((g) => h("li", {}, g.name + " (" + g.id + "): " + segmentRule(g.rule)
        + (g.weights ? ", own weights" : "") + (g.thresholds ? ", own thresholds" : ""))))
      : h("p", { class: "muted", id: "segments-list" }, "No segments: every client is scored with the settings above.");
    return h("fieldset", { id: "settings-group-segments", "data-field": "segments" },
      h("legend", {}, "Segments"),
      h("p", { class: "muted" }, 'A client takes the first segment whose rule matches. Example: [{"id": "enterprise", "name": "Enterprise", "rule": {"revenue_min": 100000}, "weights": {"crm": 0.2, "payment": 0.2, "usage": 0.4, "support": 0.2}}]. Rules: "lifecycle_stages" (a list), "revenue_min", "revenue_max".'),
      list,
      h("p", { class: "error", id: "settings-error-segments", hidden: true }),
      h("label", { for: "segments-json" }, "Segments (JSON)"),
      h("textarea", { id: "segments-json", rows: 6, spellcheck: "false", "aria-describedby": "settings-error-segments" }, JSON.stringify(segments, null, 2)));
  }

  function segmentRule(rule) {
    const parts = [];
    if (rule.lifecycle_stages && rule.lifecycle_stages.length) parts.push("stage " + rule.lifecycle_stages.join(" or "));
    if (rule.revenue_min != null) parts.push("revenue from " + rule.revenue_min);
    if (rule.revenue_max != null) parts.push("revenue under " + rule.revenue_max);
    return parts.join(" and ");
  }

  async function showVersions() {
    const out = document.getElementById("settings-versions");
    if (!out) return;
    try {
      const page = await api("/v1/settings/versions?limit=20");
      out.append(page.items.length ? h("ul", { id: "versions-list" }, page.items.map((v) => h("li", {},
        "Version " + v.version + ", " + new Date(v.changed_at).toLocaleString()
        + (v.changed_by ? " by " + v.changed_by + ": " + v.sections.join(", ") : ": before any change"))))
        : h("p", { class: "muted" }, "Not changed yet."));
    } catch (error) {
      out.append(h("p", { class: "error" }, error.message));
    }
  }

  function settingInput(path, key, value) {
    const id = settingId(path);
    // A switch (the churn signals): a checkbox with its label beside it.
    if (typeof value === "boolean") {
      return h("div", { class: "setting" },
        h("label", { class: "inline" }, h("input", { id, name: path, type: "checkbox", checked: value, "aria-describedby": id + "-error" }), " " + settingLabel(key)),
        h("p", { class: "error", id: id + "-error", hidden: true }));
    }
    return h("div", { class: "setting" },
      h("label", { for: id }, settingLabel(key)),
      h("input", { id, name: path, type: "number", step: "any", value: String(value), inputmode: "decimal", "aria-describedby": id + "-error" }),
      h("p", { class: "error", id: id + "-error", hidden: true }));
  }

  function showWeightsSum(form) {
    const out = document.getElementById("weights-sum");
    if (!out) return;
    const sum = [...form.querySelectorAll("input[name^='weights.']")].reduce((n, el) => n + (Number(el.value) || 0), 0);
    out.textContent = "The weights add up to " + sum.toFixed(2) + (Math.abs(sum - 1) > 0.001 ? ": they must add up to 1." : ".");
  }

  // The settings as read, with every input's number put in its place.
  function proposedSettings(form) {
    const settings = JSON.parse(JSON.stringify(settingsRead.settings));
    for (const input of form.querySelectorAll("input[name]")) {
      const path = input.name.split(".");
      const target = path.length > 1 ? settings[path[0]] : settings;
      target[path[path.length - 1]] = input.type === "checkbox" ? input.checked
        : input.value.trim() === "" ? null : Number(input.value);
    }
    const segments = form.querySelector("#segments-json");
    if (segments) {
      try {
        settings.segments = segments.value.trim() === "" ? [] : JSON.parse(segments.value);
      } catch (error) {
        throw { message: "`segments` is not valid JSON: " + error.message };
      }
    }
    return settings;
  }

  function clearSettingErrors(form) {
    for (const el of form.querySelectorAll(".error")) { el.hidden = true; el.textContent = ""; }
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  }

  // The problem names the field (`weights.crm`, or `weights` for their sum): its message goes beside it.
  function showSettingError(form, error) {
    // The problem's detail starts with the field it names: "`weights.crm` must be ...".
    const field = (String(error.message).match(/^`([^`]+)`/) || [])[1];
    const input = field && document.getElementById(settingId(field));
    const target = input ? document.getElementById(input.id + "-error") : field && document.getElementById("settings-error-" + field);
    const text = error.message;
    if (target) {
      target.textContent = text;
      target.hidden = false;
      if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
    }
    announce((field ? settingLabel(field.split(".").pop()) + ": " : "") + text);
    return target;
  }

  async function settingsCall(path, method, form, result) {
    clearSettingErrors(form);
    result.replaceChildren();
    try {
      const body = { settings: proposedSettings(form) };
      if (method === "PUT") body.version = settingsRead.version;
      return await api(path, { method, body: JSON.stringify(body) });
    } catch (error) {
      if (!showSettingError(form, error)) result.replaceChildren(h("p", { class: "error", role: "alert" }, error.message));
      return null;
    }
  }

  async function previewSettings(form, result) {
    const button = document.getElementById("settings-preview");
    button.disabled = true;
    const preview = await settingsCall("/v1/settings/preview", "POST", form, result);
    button.disabled = false;
    if (!preview) return;
    const summary = preview.clients_changing_band === 0
      ? "No client would change band (" + preview.clients + " clients re-scored)."
      : preview.clients_changing_band + " of " + preview.clients + " clients would change band.";
    result.replaceChildren(h("section", { class: "panel", id: "settings-preview-result", "aria-labelledby": "preview-title" },
      h("h3", { id: "preview-title" }, "Preview"), h("p", { id: "preview-summary" }, summary),
      preview.moves.length ? h("div", { class: "table-wrap" }, h("table", { id: "preview-moves" },
        h("caption", { class: "sr-only" }, "Clients that would change band"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "From"), h("th", { scope: "col" }, "To"), h("th", { scope: "col", class: "num" }, "Clients"))),
        h("tbody", {}, preview.moves.map((m) => h("tr", {},
          h("td", {}, h("span", { class: "badge band-" + m.from }, label(m.from))),
          h("td", {}, h("span", { class: "badge band-" + m.to }, label(m.to))),
          h("td", { class: "num" }, m.clients)))))) : null,
      h("p", { class: "muted" }, "Nothing is saved until you press Save.")));
    announce(summary);
  }

  async function saveSettings(form, result) {
    const button = document.getElementById("settings-save");
    button.disabled = true;
    const saved = await settingsCall("/v1/settings", "PUT", form, result);
    button.disabled = false;
    if (!saved) return;
    // Drawn again from the saved settings: the version, the segments and the versions list moved.
    await renderSettings();
    const shown = document.getElementById("settings-result") || result;
    shown.replaceChildren(h("p", { id: "settings-saved" }, "Saved. Every client is re-scored after the next sync."));
    announce("Settings saved.");
  }

  page("settings", renderSettings);
