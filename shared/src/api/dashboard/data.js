  // ---------- Data: exports of the tenant's data, and erasures ----------
  // (Concatenated into the dashboard's script by `routes/meta.rs`: it shares the helpers above.)
  // Exports are admin-only (POST/GET /v1/exports); a download link is asked for when the button is
  // pressed, because each is valid for 15 minutes only. Erasures go to POST /v1/erasures.
  const EXPORT_LABELS = { queued: "queued", running: "running", succeeded: "ready", failed: "failed" };
  const ERASE_PHRASE = "erase all data";
  const bytes = (n) => n == null ? "—" : n < 1024 * 1024 ? Math.max(1, Math.round(n / 1024)) + " KB" : (n / 1024 / 1024).toFixed(1) + " MB";
  let dataPoll = null;

  async function download(job, button) {
    button.disabled = true;
    try {
      const view = await api("/v1/exports/" + encodeURIComponent(job.id));
      if (!view.download) { announce("This archive is no longer available."); return; }
      location.assign(view.download.url);
    } catch (error) { announce("No download link: " + error.message); }
    finally { button.disabled = false; }
  }

  function exportRow(job) {
    const ready = job.status === "succeeded";
    const lines = Object.entries(job.counts || {}).filter(([, n]) => n > 0)
      .map(([file, n]) => file.replace(/\.jsonl$/, "").replace(/_/g, " ") + " " + n).join(", ");
    return h("tr", { "data-export": job.id },
      h("th", { scope: "row" }, when(job.requested_at)),
      h("td", {}, h("span", { class: "badge status-" + (job.status === "queued" ? "running" : job.status) }, EXPORT_LABELS[job.status] || job.status),
        job.error ? h("div", { class: "muted" }, job.error) : null),
      h("td", {}, lines || "—", job.size_bytes != null ? h("div", { class: "muted" }, bytes(job.size_bytes)) : null),
      h("td", {}, ready ? h("button", { type: "button", onclick: (e) => download(job, e.currentTarget),
        "aria-label": "Download the export of " + when(job.requested_at) }, "Download") : "—"));
  }

  function exportsPanel(jobs) {
    const message = h("p", { id: "export-message", role: "status" });
    const start = async (e) => {
      e.currentTarget.disabled = true;
      try {
        await api("/v1/exports", { method: "POST" });
        announce("Export requested; it is being prepared.");
        renderData();
      } catch (error) {
        message.textContent = "Not requested: " + error.message;
        message.className = "error";
        e.target.disabled = false;
      }
    };
    return h("section", { class: "panel", id: "exports", "aria-labelledby": "exports-title" },
      h("h3", { id: "exports-title" }, "Export your data"),
      h("p", { class: "muted" }, "An archive (tar.gz) of JSON Lines files: clients, scores and their history, insights, matches, connections (without credentials), settings and the audit trail, with a manifest of counts and checksums. Archives are kept 7 days; each download link works for 15 minutes."),
      h("div", { class: "actions" }, h("button", { type: "button", class: "primary", id: "export-button", onclick: start }, "Export all data")),
      message,
      h("div", { class: "table-wrap" }, h("table", { id: "exports-table" },
        h("caption", { class: "sr-only" }, "Past exports"),
        h("thead", {}, h("tr", {}, ["Requested", "Status", "Contents", "Archive"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, jobs.length ? jobs.map(exportRow)
          : h("tr", {}, h("td", { colspan: 4, class: "empty" }, "No exports yet."))))));
  }

  function erasureResult(erasure) {
    const facts = Object.entries(erasure || {}).filter(([k, v]) => v !== null && typeof v !== "object" && k !== "tenant_id");
    return h("dl", { class: "erasure-result" }, facts.flatMap(([k, v]) =>
      [h("dt", {}, k.replace(/_/g, " ")), h("dd", {}, /_at$/.test(k) ? when(v) : label(v))]));
  }

  function erasurePanel() {
    const scope = h("select", { id: "erase-scope" },
      h("option", { value: "contact" }, "One contact (by its CRM id)"),
      h("option", { value: "client" }, "One client (by its id)"),
      h("option", { value: "tenant" }, "Everything of this account"));
    const idLabel = h("label", { for: "erase-id" }, "Contact or client id");
    const id = h("input", { id: "erase-id", autocomplete: "off" });
    const confirmLabel = h("label", { for: "erase-confirm" }, "Type \u201c" + ERASE_PHRASE + "\u201d to confirm");
    const confirmInput = h("input", { id: "erase-confirm", autocomplete: "off", "aria-describedby": "erase-warning" });
    const warning = h("p", { id: "erase-warning", class: "muted" }, "Erasing the whole account removes every client, score, insight, match, connection, credential and export for good, and stops its syncs. It cannot be undone.");
    const result = h("div", { id: "erase-result", role: "status" });
    const sync = () => {
      const whole = scope.value === "tenant";
      idLabel.hidden = id.hidden = whole;
      id.required = !whole;
      confirmLabel.hidden = confirmInput.hidden = warning.hidden = !whole;
    };
    scope.addEventListener("change", sync);
    const form = h("form", { id: "erase-form", class: "panel", "aria-labelledby": "erase-title", onsubmit: async (e) => {
      e.preventDefault();
      const whole = scope.value === "tenant";
      if (whole && confirmInput.value.trim().toLowerCase() !== ERASE_PHRASE) {
        result.replaceChildren(h("p", { class: "error" }, "Type \u201c" + ERASE_PHRASE + "\u201d to erase everything."));
        confirmInput.focus();
        return;
      }
      const body = whole ? { scope: "tenant" } : { scope: scope.value, id: id.value.trim() };
      const submit = form.querySelector("button[type=submit]");
      submit.disabled = true;
      try {
        const made = await api("/v1/erasures", { method: "POST", body: JSON.stringify(body) });
        const status = made && made.id ? await api("/v1/erasures/" + encodeURIComponent(made.id)).catch(() => made) : made;
        result.replaceChildren(h("p", {}, "Erasure " + label((status && status.status) || "requested") + "."), erasureResult(status));
        announce("Erasure " + label((status && status.status) || "requested") + ".");
        id.value = ""; confirmInput.value = "";
      } catch (error) {
        result.replaceChildren(h("p", { class: "error" }, "Not erased: " + error.message));
      } finally { submit.disabled = false; }
    } },
      h("h3", { id: "erase-title" }, "Erase data"),
      h("p", { class: "muted" }, "For privacy requests: erase one contact, one client (its records in every source, scores, history, insights and matches), or the whole account. Each erasure leaves a receipt in the audit trail without any personal data."),
      h("label", { for: "erase-scope" }, "What to erase"), scope,
      idLabel, id, warning, confirmLabel, confirmInput,
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Erase")),
      result);
    sync();
    return form;
  }

  async function renderData() {
    clearTimeout(dataPoll);
    let jobs = [];
    let refused = null;
    try { jobs = itemsOf(await api("/v1/exports?limit=20")); }
    catch (error) { if (error.status === 403) refused = error; else throw error; }
    show(h("section", { id: "data-page", "aria-labelledby": "data-title" },
      h("h2", { id: "data-title" }, "Your data"),
      refused ? h("p", { class: "panel muted" }, "Exports and erasures are for administrators: " + refused.message) : exportsPanel(jobs),
      refused ? null : erasurePanel()));
    // While an export is being prepared, look again shortly (only while this page is shown).
    if (jobs.some((j) => j.status === "queued" || j.status === "running")) {
      dataPoll = setTimeout(() => { if (/^#\/data/.test(location.hash)) renderData().catch(showError); }, 3000);
    }
  }
  page("data", renderData);
