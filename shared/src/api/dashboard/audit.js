  // ---------- Audit: who changed what, when, from which request ----------
  // (Concatenated into the dashboard's script by `routes/meta.rs`: it shares the helpers above.)
  // Filters live in the hash's query (#/audit/?entity=insight&actor=...), so a filtered view can be
  // linked and survives a reload; "Older entries" follows the API's cursor.
  const AUDIT_ENTITIES = ["tenant", "settings", "insight", "correlation", "connection", "alert_rule",
    "client_snooze", "client", "contact", "export", "import", "erasure", "install", "sync_run", "scoring_run"];
  const AUDIT_ENTITY_NAMES = { alert_rule: "alert rule", client_snooze: "client snooze", sync_run: "sync run",
    scoring_run: "scoring run" };
  const auditEntityName = (v) => AUDIT_ENTITY_NAMES[v] || v;

  // A value in a few words: objects as `key: value` pairs, long ones cut (the full JSON is in the title).
  function compactValue(value) {
    if (value === null || value === undefined) return "—";
    if (typeof value !== "object") return String(value);
    const text = Object.entries(value).map(([k, v]) => k + ": " + (v !== null && typeof v === "object" ? JSON.stringify(v) : String(v))).join(", ");
    return text.length > 160 ? text.slice(0, 157) + "…" : (text || "—");
  }
  // Before and after, one line per top-level key that is in either, so the change reads at a glance.
  function auditChange(entry) {
    const before = entry.before || {}, after = entry.after || {};
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    const cell = h("td", { class: "wrap audit-change" });
    if (!keys.length && !entry.detail) {
      cell.append("—");
      return cell;
    }
    if (keys.length) {
      cell.append(h("dl", { class: "plain" }, keys.map((k) => [
        h("dt", {}, k),
        h("dd", { title: JSON.stringify({ before: before[k], after: after[k] }) },
          k in before ? compactValue(before[k]) : "—", " → ", k in after ? compactValue(after[k]) : "—")])));
    }
    if (entry.detail) cell.append(h("p", { class: "muted", title: JSON.stringify(entry.detail) }, compactValue(entry.detail)));
    return cell;
  }

  function auditRow(entry) {
    const who = entry.role ? h("span", {}, entry.actor, " ", h("span", { class: "badge" }, entry.role))
      : h("span", { class: "muted" }, "system");
    return h("tr", { "data-audit": entry.id },
      h("td", {}, h("time", { datetime: entry.at }, when(entry.at))),
      h("td", {}, who),
      h("th", { scope: "row" }, entry.action),
      h("td", {}, auditEntityName(entry.entity), h("div", { class: "muted" }, entry.entity_id)),
      auditChange(entry),
      h("td", { class: "muted" }, entry.request_id || "—"));
  }

  async function renderAudit(arg) {
    const given = new URLSearchParams((arg || "").replace(/^\?/, ""));
    const field = (name, text, control) => h("label", { for: "audit-" + name }, text, control);
    const entity = h("select", { id: "audit-entity" }, h("option", { value: "" }, "Any"),
      AUDIT_ENTITIES.map((v) => h("option", { value: v, selected: given.get("entity") === v }, auditEntityName(v))));
    const text = (name) => h("input", { id: "audit-" + name, type: "search", value: given.get(name) || "", autocomplete: "off" });
    const action = text("action"), actor = text("actor");
    const day = (name) => h("input", { id: "audit-" + name, type: "date", value: given.get(name) || "" });
    const from = day("from"), to = day("to");
    const form = h("form", { class: "filters", id: "audit-filters", onsubmit: (e) => {
      e.preventDefault();
      const query = new URLSearchParams();
      for (const [k, el] of [["entity", entity], ["action", action], ["actor", actor], ["from", from], ["to", to]]) {
        if (el.value.trim()) query.set(k, el.value.trim());
      }
      location.hash = "#/audit/" + (query.toString() ? "?" + query : "");
    } },
      field("entity", "Entity", entity), field("action", "Action (e.g. insight.acknowledged)", action),
      field("actor", "Who (subject, or system)", actor), field("from", "From", from), field("to", "To", to),
      h("button", { type: "submit", class: "primary" }, "Filter"));

    const params = new URLSearchParams({ limit: "50" });
    for (const k of ["entity", "action", "actor"]) if (given.get(k)) params.set(k, given.get(k));
    // Whole days in the browser's time zone: from its start to the end of the `to` day.
    if (given.get("from")) params.set("from", new Date(given.get("from") + "T00:00:00").toISOString());
    if (given.get("to")) params.set("to", new Date(given.get("to") + "T23:59:59.999").toISOString());
    const body = h("tbody", {});
    const status = h("p", { class: "muted", id: "audit-count" });
    const more = h("button", { type: "button", id: "audit-more", hidden: true }, "Older entries");
    let cursor = null, shown = 0;
    async function load() {
      if (cursor) params.set("cursor", cursor);
      const page = await api("/v1/audit?" + params);
      body.append(...page.items.map(auditRow));
      shown += page.items.length;
      cursor = page.next_cursor;
      more.hidden = !cursor;
      status.textContent = shown ? shown + (cursor ? " entries so far, newest first." : " entries, newest first.") : "No changes recorded for these filters.";
    }
    more.addEventListener("click", async () => {
      more.disabled = true;
      try { await load(); announce(shown + " audit entries shown."); }
      catch (error) { announce("Could not load older entries: " + error.message); }
      more.disabled = false;
    });
    await load();
    show(h("section", { id: "audit-page", "aria-labelledby": "audit-title" },
      h("h2", { id: "audit-title" }, "Audit trail"),
      h("p", { class: "muted" }, "Every change to this account: by whom (with their role), what it was before and after, and the request it came in. Sync and scoring runs appear as the system. Kept for the retention set in Settings."),
      form, status,
      h("div", { class: "table-wrap" }, h("table", { id: "audit-table" },
        h("caption", { class: "sr-only" }, "Audit entries, newest first"),
        h("thead", {}, h("tr", {}, ["When", "Who", "Action", "Entity", "Change", "Request"].map((t) => h("th", { scope: "col" }, t)))),
        body)),
      more));
  }
  page("audit", renderAudit);
