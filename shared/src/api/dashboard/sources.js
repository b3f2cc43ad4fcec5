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
        c.webhook_verified === false || c.webhook_registered === false ? h("div", { class: "muted" }, "no webhook: scheduled syncs only") : null,
        c.webhook_registered === true ? h("div", { class: "muted" }, "webhook registered") : null),
      h("td", {}, h("div", { class: "actions" }, actions)));
  }

  const REGIONS = { us: "US (app.ninjarmm.com)", us2: "US 2 (us2.ninjarmm.com)", eu: "EU (eu.ninjarmm.com)", oc: "Oceania (oc.ninjarmm.com)", ca: "Canada (ca.ninjarmm.com)" };

  // A Microsoft 365 connection's customer tenants: each with its consent, removable; new ones are
  // added by an admin-consent link the customer's administrator opens.
  function customerTenantsRow(c) {
    const base = "/v1/connections/" + encodeURIComponent(c.id);
    const remove = (t) => async () => {
      if (!confirm("Stop reading " + (t.label || t.tenant_id) + "? Its records are removed.")) return;
      try { await api(base + "/customer-tenants/" + encodeURIComponent(t.tenant_id), { method: "DELETE" }); announce("Customer tenant removed."); }
      catch (error) { announce("Could not remove it: " + error.message); }
      renderSources();
    };
    const link = h("p", { class: "consent-link", role: "status" });
    const tenantInput = h("input", { id: "tenant-id-" + c.id, autocomplete: "off", placeholder: "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" });
    const labelInput = h("input", { id: "tenant-label-" + c.id, autocomplete: "off" });
    const form = h("form", { class: "add-tenant", onsubmit: async (e) => {
      e.preventDefault();
      const body = { tenant_id: tenantInput.value.trim() || null, label: labelInput.value.trim() || null };
      try {
        const made = await api(base + "/consent-links", { method: "POST", body: JSON.stringify(body) });
        link.replaceChildren("Send this link to the customer's Global Administrator (valid until " + when(made.expires_at) + "): ",
          h("a", { href: made.url, target: "_blank", rel: "noopener noreferrer" }, "admin consent link"));
      } catch (error) { link.textContent = "No link: " + error.message; link.className = "error"; }
    } },
      h("label", { for: tenantInput.id }, "Tenant ID (optional)"), tenantInput,
      h("label", { for: labelInput.id }, "Name"), labelInput,
      h("button", { type: "submit" }, "Add a customer tenant"));
    const tenants = c.customer_tenants || [];
    return h("tr", { class: "customer-tenants", "data-tenants-of": c.id }, h("td", { colspan: 5 },
      h("ul", {}, tenants.length ? tenants.map((t) => h("li", { "data-tenant": t.tenant_id },
        (t.label ? t.label + " " : "") + "(" + t.tenant_id + ") ",
        h("span", { class: "muted" }, t.consented_at ? "consented " + when(t.consented_at) : "waiting for admin consent"), " ",
        h("button", { type: "button", onclick: remove(t) }, "Remove")))
        : h("li", { class: "empty" }, "No customer tenants yet.")),
      form, link));
  }

  function connectionRows(c) {
    const row = connectionRow(c);
    if (c.region) row.children[1].append(h("div", { class: "muted" }, REGIONS[c.region] || c.region));
    return c.platform === "m365" ? [row, customerTenantsRow(c)] : [row];
  }

  // One form per account platform: the API client's id and secret, and what the platform needs.
  function accountForm(platform, title, help, extra) {
    const id = (name) => platform + "-" + name;
    const field = (name, text, attrs) => [h("label", { for: id(name) }, text), h("input", Object.assign({ id: id(name), required: true, autocomplete: "off" }, attrs))];
    const message = h("p", { id: id("message"), role: "status" });
    const form = h("form", { id: id("form"), class: "panel", onsubmit: async (e) => {
      e.preventDefault();
      const value = (name) => document.getElementById(id(name)).value.trim();
      const submit = form.querySelector("button[type=submit]");
      submit.disabled = true;
      message.textContent = "Checking the credentials with " + SOURCE_NAMES[platform] + "…";
      const body = { platform, label: value("label"), client_id: value("client-id"), client_secret: document.getElementById(id("secret")).value };
      if (platform === "ninjaone") body.region = value("region");
      if (platform === "m365") body.customer_tenants = value("tenants").split(/\s+/).filter(Boolean).map((tenant_id) => ({ tenant_id }));
      try {
        const created = await api("/v1/connections", { method: "POST", body: JSON.stringify(body) });
        announce((created.label || SOURCE_NAMES[platform]) + " connected; the first sync has started.");
        renderSources();
      } catch (error) {
        message.textContent = "Not connected: " + error.message;
        message.className = "error";
        submit.disabled = false;
      }
    } },
      h("h3", {}, title),
      h("p", { class: "muted" }, help),
      field("label", "Name", { value: SOURCE_NAMES[platform] }),
      field("client-id", "Client ID", {}),
      field("secret", "Client secret", { type: "password" }),
      extra(id),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Connect")),
      message);
    return form;
  }

  const accountForms = () => [
    accountForm("ninjaone", "Connect NinjaOne",
      "An API client app (Administration → Apps → API) with the client credentials grant and the monitoring and management scopes. Changes arrive through a webhook we register.",
      (id) => [h("label", { for: id("region") }, "Region"),
        h("select", { id: id("region") }, Object.entries(REGIONS).map(([v, t]) => h("option", { value: v }, t)))]),
    accountForm("pax8", "Connect Pax8",
      "API credentials of your Pax8 partner account (Integrations → API credentials). Changes arrive through a webhook we register.",
      () => null),
    accountForm("m365", "Connect Microsoft 365",
      "Your multi-tenant Microsoft Entra app with the Organization.Read.All, Reports.Read.All, ReportSettings.Read.All and DeviceManagementManagedDevices.Read.All application permissions. Each customer's administrator consents it: add customer tenants after connecting.",
      (id) => [h("label", { for: id("tenants") }, "Customer tenant IDs (optional, one per line)"),
        h("textarea", { id: id("tenants"), rows: 3, autocomplete: "off" })]),
  ];

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
        h("tbody", {}, connections.length ? connections.flatMap(connectionRows)
          : h("tr", {}, h("td", { colspan: 5, class: "empty" }, "No sources connected yet."))))),
      paypalForm(), accountForms()));
  }

  function evidenceTable(c) {
    return h("div", { class: "table-wrap" }, h("table", { class: "evidence" },
      h("thead", {}, h("tr", {}, ["Evidence", SOURCE_NAMES[c.platform] || c.platform, "HubSpot", "Score"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, (c.evidence || []).map((e) => h("tr", { class: e.agrees === false ? "conflict" : null },
        h("th", { scope: "row" }, (MATCH_NAMES[e.method] || e.method) + (e.agrees === false ? " (disagrees)" : "")),
        h("td", {}, e.source_value), h("td", {}, e.client_value), h("td", { class: "num" }, percent(e.score)))))));
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
    // A record may wait with several candidate clients: a card is its (connection, record, client).
    const node = h("article", { class: "panel match", "data-connection-id": c.connection_id, "data-external-id": c.external_id, "data-client-id": c.client_id },
      h("h3", {}, (SOURCE_NAMES[c.platform] || c.platform) + " record " + (c.source_name || c.external_id) + " → ",
        h("a", { href: "#/client/" + encodeURIComponent(c.client_id) }, c.client_name || c.client_id)),
      h("p", { class: "muted" }, "Matched by " + (MATCH_NAMES[c.method] || c.method) + ", confidence " + percent(c.confidence)),
      evidenceTable(c),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "primary", onclick: decide("confirm") }, "Same client"),
        h("button", { type: "button", onclick: decide("reject") }, "Not the same")));
    return node;
  }

  // The client page's records of other platforms: linked ones count in its scores. Payers show
  // their invoices and payments; accounts (NinjaOne, Pax8, Microsoft 365) a short summary.
  const plural = (n, one, many) => n + " " + (n === 1 ? one : (many || one + "s"));
  function accountSummary(a) {
    if (!a) return "not read yet";
    if (a.kind === "it_management") return [plural(a.devices, "device"), a.offline_devices + " offline", plural(a.open_critical_alerts, "open critical alert")].join(", ");
    if (a.kind === "cloud_subscriptions") return [plural(a.seats, "seat"), plural(a.products, "product"), plural(a.cancellations, "cancellation")].join(", ");
    if (a.kind === "productivity") return [a.licences_bought + " licences bought", a.licences_assigned + " assigned", (a.active_users == null ? "—" : a.active_users) + " active users"].join(", ");
    return "";
  }
  function recordHeader(r) {
    return h("th", { scope: "row" }, (SOURCE_NAMES[r.platform] || r.platform) + ": " + (r.name || r.external_id),
      r.email_domain ? h("div", { class: "muted" }, "@" + r.email_domain) : null);
  }
  function matchCell(r) {
    return h("td", {}, (MATCH_NAMES[r.method] || r.method) + ", " + percent(r.confidence),
      h("div", { class: "muted" }, r.status === "needs_review" ? h("a", { href: "#/matches" }, "waits for review") : label(r.status)));
  }
  function linkedRecordsPanel(records) {
    if (!records || !records.length) return null;
    const amounts = (list) => (list || []).map((m) => new Intl.NumberFormat(undefined, { style: "currency", currency: m.currency }).format(m.value)).join(" + ") || "none";
    const payers = records.filter((r) => r.platform === "paypal");
    const accounts = records.filter((r) => r.platform !== "paypal");
    const table = (heads, rows) => h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, heads.map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows)));
    return h("section", { class: "panel", id: "linked-records", "aria-labelledby": "linked-title" },
      h("h3", { id: "linked-title" }, "Linked records"),
      payers.length ? table(["Record", "Match", "Open invoices", "Overdue", "Open disputes", "Last payment"],
        payers.map((r) => h("tr", { "data-external-id": r.external_id }, recordHeader(r), matchCell(r),
          h("td", { class: "num" }, r.open_invoices),
          h("td", { class: "num" }, amounts(r.overdue)),
          h("td", { class: "num" }, r.open_disputes),
          h("td", {}, when(r.last_payment_at))))) : null,
      accounts.length ? table(["Account", "Match", "Summary"],
        accounts.map((r) => h("tr", { "data-external-id": r.external_id, "data-platform": r.platform }, recordHeader(r), matchCell(r),
          h("td", { class: "account-summary" }, accountSummary(r.account))))) : null);
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
  page("sources", renderSources);
  page("matches", renderMatches);
