
  // ---- a client's overrides: a person's word on its sentiment or a dimension's score ------------

  const OVERRIDE_KINDS = [["sentiment", "CSM sentiment"], ["crm", "CRM"], ["payment", "Payment"], ["usage", "Usage"], ["support", "Support"]];
  const overrideKindName = (kind) => (OVERRIDE_KINDS.find(([k]) => k === kind) || [kind, kind])[1];
  const overrideValueText = (value) => value.sentiment ? value.sentiment : "score " + value.score;

  // The overrides in force, each removable, and a form to set one (editors; the API refuses others
  // and the message says so). The score shows an override from the next scoring run.
  function clientOverridesPanel(id, overrides, applied, onChange) {
    const status = h("p", { class: "muted", role: "status", id: "override-status" });
    const remove = async (o, button) => {
      button.disabled = true;
      try {
        await api("/v1/clients/" + encodeURIComponent(id) + "/overrides/" + o.kind, { method: "DELETE" });
        announce(overrideKindName(o.kind) + " override removed.");
        onChange();
      } catch (error) {
        button.disabled = false;
        status.textContent = "Could not remove the override: " + error.message;
      }
    };
    const computed = (kind) => (applied || []).find((a) => a.kind === kind);
    const list = overrides.length
      ? h("ul", { class: "overrides", id: "override-list" }, overrides.map((o) => {
        const a = computed(o.kind);
        return h("li", { "data-override": o.kind },
          h("strong", {}, overrideKindName(o.kind)), ": ", overrideValueText(o.value),
          a && a.computed !== undefined && a.computed !== null ? h("span", { class: "muted" }, " (the data gives " + a.computed + ")") : null,
          " — “", o.reason, "”, by ", o.set_by, ", until ", clientDay(o.expires_at), " ",
          h("button", { type: "button", class: "action-remove-override", onclick: (e) => remove(o, e.currentTarget) }, "Remove"));
      }))
      : h("p", { class: "empty" }, "No overrides: the score follows the data.");

    const kind = h("select", { id: "override-kind", name: "kind" }, OVERRIDE_KINDS.map(([k, name]) => h("option", { value: k }, name)));
    const sentiment = h("select", { id: "override-sentiment", name: "sentiment" }, ["positive", "neutral", "negative"].map((v) => h("option", { value: v }, v)));
    const score = h("input", { id: "override-score", name: "score", type: "number", min: "0", max: "100", step: "1", value: "50" });
    const sentimentField = h("label", {}, "Sentiment ", sentiment);
    const scoreField = h("label", { hidden: true }, "Score (0-100) ", score);
    kind.addEventListener("change", () => {
      sentimentField.hidden = kind.value !== "sentiment";
      scoreField.hidden = kind.value === "sentiment";
    });
    const reason = h("input", { id: "override-reason", name: "reason", maxlength: "500", required: true, size: "40", autocomplete: "off" });
    const expires = h("input", { id: "override-expires", name: "expires", type: "date", required: true,
      value: clientIsoDay(new Date(Date.now() + 30 * 86400000)) });
    const submit = h("button", { type: "submit" }, "Set override");
    const form = h("form", { class: "override-form", "aria-label": "Set an override", onsubmit: async (e) => {
      e.preventDefault();
      const body = { reason: reason.value, expires_at: new Date(expires.value + "T23:59:59Z").toISOString() };
      if (kind.value === "sentiment") body.sentiment = sentiment.value;
      else body.score = Number(score.value);
      submit.disabled = true;
      try {
        await api("/v1/clients/" + encodeURIComponent(id) + "/overrides/" + kind.value, { method: "PUT", body: JSON.stringify(body) });
        announce(overrideKindName(kind.value) + " override set; the score shows it from the next scoring run.");
        onChange();
      } catch (error) {
        submit.disabled = false;
        status.textContent = "Could not set the override: " + error.message;
      }
    } },
    h("label", {}, "Override ", kind), " ", sentimentField, scoreField, " ",
    h("label", {}, "Reason ", reason), " ", h("label", {}, "Until ", expires), " ", submit);
    return h("section", { class: "panel", id: "client-overrides", "aria-labelledby": "overrides-title" },
      h("h3", { id: "overrides-title" }, "Overrides"), list, form, status);
  }
