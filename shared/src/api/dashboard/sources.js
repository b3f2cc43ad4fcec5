  // ---------- Sources: connections, and the match review queue ----------
  // (Concatenated into the dashboard's script by `routes/meta.rs`: it shares the helpers above.)
  // Platform and match-method names: SOURCE_NAMES and MATCH_NAMES (pages.js).
  const itemsOf = (r) => Array.isArray(r) ? r : (r && r.items) || [];
  const percent = (c) => c == null ? "—" : Math.round(100 * c) + "%";

  function connectionRow(c) {
    const act = (path, method) => async () => {
      try { await api("/v1/connections/" + encodeURIComponent(c.id) + path, { method }); announce(c.label + " updated."); }
      catch (error) { announce("Could not change " + c.label + ": " + error.message); }
      renderSources();
    };
    const remove = async () => {
      if (!confirm("Delete " + c.label + "? Its records, matches and credentials are removed.")) return;
      await act("", "DELETE")();
    };
    const actions = c.platform === "hubspot" ? [] : [
      c.status === "paused"
        ? h("button", { type: "button", onclick: act("/resume", "POST") }, "Resume")
        : h("button", { type: "button", onclick: act("/pause", "POST") }, "Pause"),
      h("button", { type: "button", onclick: remove }, "Delete"),
    ];
    return h("tr", { "data-connection": c.id },
      h("th", { scope: "row" }, c.label || c.id),
      h("td", {}, SOURCE_NAMES[c.platform] || c.platform),
      h("td", {}, h("span", { class: "badge status-" + c.status }, label(c.status)),
        c.status_reason ? h("div", { class: "muted" }, c.status_reason) : null),
      h("td", {}, when(c.last_sync_at),
        c.webhook_verified === false ? h("div", { class: "muted" }, "no webhook: scheduled syncs only") : null),
      h("td", {}, h("div", { class: "actions" }, actions)));
  }

  function paypalForm() {
    const field = (id, text, attrs) => [h("label", { for: id }, text), h("input", Object.assign({ id, required: true, autocomplete: "off" }, attrs))];
    const message = h("p", { id: "paypal-message", role: "status" });
    const form = h("form", { id: "paypal-form", class: "panel", onsubmit: async (e) => {
      e.preventDefault();
      const value = (id) => document.getElementById(id).value.trim();
      const submit = form.querySelector("button[type=submit]");
      submit.disabled = true;
      message.textContent = "Checking the credentials with PayPal…";
      try {
        const created = await api("/v1/connections", { method: "POST", body: JSON.stringify({
          platform: "paypal", label: value("paypal-label"), client_id: value("paypal-client-id"),
          client_secret: document.getElementById("paypal-secret").value, environment: value("paypal-environment"),
          webhook_id: value("paypal-webhook-id") || null,
        }) });
        announce((created.label || "PayPal") + " connected; the first sync has started.");
        renderSources();
      } catch (error) {
        message.textContent = "Not connected: " + error.message;
        message.className = "error";
        submit.disabled = false;
      }
    } },
      h("h3", {}, "Connect PayPal"),
      h("p", { class: "muted" }, "Use a REST app of your PayPal business account with Transaction Search enabled. The secret is kept in your secrets store and never shown again."),
      field("paypal-label", "Name", { value: "PayPal" }),
      field("paypal-client-id", "Client ID", {}),
      field("paypal-secret", "Secret", { type: "password" }),
      h("label", { for: "paypal-environment" }, "Environment"),
      h("select", { id: "paypal-environment" }, h("option", { value: "live" }, "Live"), h("option", { value: "sandbox" }, "Sandbox")),
      h("label", { for: "paypal-webhook-id" }, "Webhook ID (optional)"),
      h("input", { id: "paypal-webhook-id", autocomplete: "off", "aria-describedby": "paypal-webhook-help" }),
      h("p", { id: "paypal-webhook-help", class: "muted" }, "Register a webhook in the PayPal app pointing at /webhooks/paypal/<your tenant>/<connection id> and give its ID here, so changes arrive within seconds; without it, changes arrive with the next scheduled sync."),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Connect")),
      message);
    return form;
  }

  async function renderSources() {
    const connections = itemsOf(await api("/v1/connections"));
    show(h("section", { id: "sources-page", "aria-labelledby": "sources-title" },
      h("h2", { id: "sources-title" }, "Sources"),
      h("div", { class: "table-wrap" }, h("table", { id: "connections-table" },
        h("caption", { class: "sr-only" }, "Connected sources"),
        h("thead", {}, h("tr", {}, ["Connection", "Platform", "Status", "Last sync", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, connections.length ? connections.map(connectionRow)
          : h("tr", {}, h("td", { colspan: 5, class: "empty" }, "No sources connected yet."))))),
      paypalForm()));
  }

  function evidenceTable(c) {
    return h("table", { class: "evidence" },
      h("thead", {}, h("tr", {}, ["Evidence", SOURCE_NAMES[c.platform] || c.platform, "HubSpot", "Score"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, (c.evidence || []).map((e) => h("tr", { class: e.agrees === false ? "conflict" : null },
        h("th", { scope: "row" }, (MATCH_NAMES[e.method] || e.method) + (e.agrees === false ? " (disagrees)" : "")),
        h("td", {}, e.source_value), h("td", {}, e.client_value), h("td", { class: "num" }, percent(e.score))))));
  }

  function matchCard(c) {
    const body = JSON.stringify({ connection_id: c.connection_id, external_id: c.external_id, client_id: c.client_id });
    const decide = (verb) => async () => {
      try {
        await api("/v1/correlations/" + verb, { method: "POST", body });
        node.remove();
        announce((verb === "confirm" ? "Confirmed: " : "Rejected: ") + (c.client_name || c.client_id));
      } catch (error) { announce("Could not " + verb + ": " + error.message); }
    };
    const node = h("article", { class: "panel match", "data-external-id": c.external_id },
      h("h3", {}, (SOURCE_NAMES[c.platform] || c.platform) + " record " + (c.source_name || c.external_id) + " → ",
        h("a", { href: "#/client/" + encodeURIComponent(c.client_id) }, c.client_name || c.client_id)),
      h("p", { class: "muted" }, "Matched by " + (MATCH_NAMES[c.method] || c.method) + ", confidence " + percent(c.confidence)),
      evidenceTable(c),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "primary", onclick: decide("confirm") }, "Same client"),
        h("button", { type: "button", onclick: decide("reject") }, "Not the same")));
    return node;
  }

  // The client page's records of other platforms: linked ones count in its scores.
  function linkedRecordsPanel(records) {
    if (!records || !records.length) return null;
    const amounts = (list) => (list || []).map((m) => new Intl.NumberFormat(undefined, { style: "currency", currency: m.currency }).format(m.value)).join(" + ") || "none";
    return h("section", { class: "panel", id: "linked-records", "aria-labelledby": "linked-title" },
      h("h3", { id: "linked-title" }, "Linked records"),
      h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, ["Record", "Match", "Open invoices", "Overdue", "Open disputes", "Last payment"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, records.map((r) => h("tr", { "data-external-id": r.external_id },
          h("th", { scope: "row" }, (SOURCE_NAMES[r.platform] || r.platform) + ": " + (r.name || r.external_id),
            r.email_domain ? h("div", { class: "muted" }, "@" + r.email_domain) : null),
          h("td", {}, (MATCH_NAMES[r.method] || r.method) + ", " + percent(r.confidence),
            h("div", { class: "muted" }, r.status === "needs_review" ? h("a", { href: "#/matches" }, "waits for review") : label(r.status))),
          h("td", { class: "num" }, r.open_invoices),
          h("td", { class: "num" }, amounts(r.overdue)),
          h("td", { class: "num" }, r.open_disputes),
          h("td", {}, when(r.last_payment_at))))))));
  }

  async function renderMatches() {
    const page = await api("/v1/correlations?" + new URLSearchParams({ status: "needs_review", limit: "50" }));
    const items = itemsOf(page);
    show(h("section", { id: "matches-page", "aria-labelledby": "matches-title" },
      h("h2", { id: "matches-title" }, "Matches to review"),
      h("p", { class: "muted" }, "Records of other sources that may be the same client as a HubSpot company. Your decision is kept: a later sync never overrides it."),
      h("div", { id: "matches-list" }, items.length ? items.map(matchCard)
        : h("p", { class: "empty" }, "Nothing to review."))));
  }

