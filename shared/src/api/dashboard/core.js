"use strict";
(() => {
  const TOKEN_KEY = "connected-insights-token";
  const LABELS = {
    client_health: "Client health", revenue_optimization: "Revenue optimization",
    churn_risk: "Churn risk", upsell_opportunity: "Upsell opportunity", payment_risk: "Payment risk",
    auto: "linked automatically", confirmed: "confirmed", rejected: "rejected",
    low: "Low", medium: "Medium", high: "High", critical: "Critical",
    lower: "Lower", needs_review: "Needs review",
    healthy: "Healthy", watch: "Watch", at_risk: "At risk",
    crm: "CRM", payment: "Payment", usage: "Usage", support: "Support",
    open: "Open", acknowledged: "Acknowledged", dismissed: "Dismissed", resolved: "Resolved",
    running: "running", succeeded: "succeeded", continued: "continued", failed: "failed",
    rate_limited: "rate limited", needs_reauth: "needs reconnecting", disabled: "disabled",
    active: "active", paused: "paused", error: "error",
  };
  const BAND_RANGES = { high: "85-100", medium: "70-84", lower: "50-69", needs_review: "under 50" };
  const label = (v) => LABELS[v] || String(v);
  const main = document.getElementById("main");
  // The pages, by the first part of the hash (#/<name>/<arg>): each file registers its own with
  // page(name, render, tab), where tab is the nav tab it lights up (its own name when omitted).
  const PAGES = {};
  const page = (name, render, tab) => { PAGES[name] = { render, tab: tab || name }; };

  // The local runner hands the token in the URL fragment (never sent to a server); keep it for this
  // tab only and take it out of the address bar and history.
  (function takeTokenFromFragment() {
    const match = location.hash.match(/(?:^#|&)token=([^&]+)/);
    if (match) {
      sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
      history.replaceState(null, "", location.pathname + location.search + "#/overview");
    }
  })();

  // ---------- Signing in (OpenID Connect, authorization code flow with PKCE) ----------
  // GET /auth-config.json names the issuer and the public client; without one the page asks for a
  // token as before. Tokens live in this tab's sessionStorage only (never localStorage): the token the
  // API takes under TOKEN_KEY, the rest (refresh token, expiry, ID token for sign-out) under SESSION_KEY.
  const SESSION_KEY = "connected-insights-session";
  const PENDING_KEY = "connected-insights-sign-in";
  const REFRESH_AHEAD_MS = 60000;
  let signIn = null;
  let issuer = null;
  let refreshTimer = null;
  const redirectUri = () => location.origin + location.pathname;
  const readJson = (key) => { try { return JSON.parse(sessionStorage.getItem(key) || "null"); } catch (_) { return null; } };
  const base64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const randomString = () => base64url(crypto.getRandomValues(new Uint8Array(32)));
  function jwtClaims(jwt) {
    const part = (jwt || "").split(".")[1] || "";
    const padded = part.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((part.length + 3) % 4);
    try { return JSON.parse(decodeURIComponent(escape(atob(padded)))); } catch (_) { return null; }
  }

  async function startAuth() {
    const response = await fetch("auth-config.json", { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    signIn = (await response.json()).sign_in || null;
    if (!signIn) return;
    const discovery = await fetch(signIn.issuer.replace(/\/+$/, "") + "/.well-known/openid-configuration");
    if (!discovery.ok) throw new Error("the identity provider's discovery document answered " + discovery.status);
    issuer = await discovery.json();
    const params = new URLSearchParams(location.search);
    if (params.has("code") || params.has("error")) await finishSignIn(params);
    const session = readJson(SESSION_KEY);
    if (session && session.expires_at - Date.now() < REFRESH_AHEAD_MS) await refreshTokens();
    else scheduleRefresh();
  }

  async function beginSignIn() {
    const pending = { state: randomString(), nonce: randomString(), verifier: randomString(), hash: location.hash || "#/overview" };
    const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(pending.verifier)));
    sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
    const url = new URL(issuer.authorization_endpoint);
    const query = { response_type: "code", client_id: signIn.client_id, redirect_uri: redirectUri(), scope: signIn.scopes,
      state: pending.state, nonce: pending.nonce, code_challenge: challenge, code_challenge_method: "S256" };
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    location.assign(url.toString());
  }

  async function finishSignIn(params) {
    const pending = readJson(PENDING_KEY);
    sessionStorage.removeItem(PENDING_KEY);
    // The code and state leave the address bar (and history) whatever happens next.
    history.replaceState(null, "", location.pathname + ((pending && pending.hash) || "#/overview"));
    if (params.has("error")) throw new Error("sign-in refused: " + (params.get("error_description") || params.get("error")));
    if (!pending || params.get("state") !== pending.state) throw new Error("sign-in answer does not match this tab's request (state)");
    const tokens = await tokenRequest({ grant_type: "authorization_code", code: params.get("code"),
      redirect_uri: redirectUri(), client_id: signIn.client_id, code_verifier: pending.verifier });
    const claims = jwtClaims(tokens.id_token);
    if (!claims || claims.nonce !== pending.nonce) throw new Error("sign-in answer does not match this tab's request (nonce)");
    keepTokens(tokens);
  }

  async function tokenRequest(form) {
    const response = await fetch(issuer.token_endpoint, { method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: new URLSearchParams(form).toString() });
    const body = await response.json().catch(() => null);
    if (!response.ok || !body) throw new Error("the identity provider refused: " + ((body && (body.error_description || body.error)) || response.status));
    return body;
  }

  function keepTokens(tokens) {
    const previous = readJson(SESSION_KEY) || {};
    const token = signIn.token_use === "access" ? tokens.access_token : tokens.id_token;
    if (!token) throw new Error("the identity provider sent no " + signIn.token_use + " token");
    const session = { refresh_token: tokens.refresh_token || previous.refresh_token || null,
      id_token: tokens.id_token || previous.id_token || null,
      expires_at: Date.now() + 1000 * (Number(tokens.expires_in) || 300) };
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    scheduleRefresh();
  }

  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    const session = readJson(SESSION_KEY);
    signOutButton.hidden = !(signIn && sessionStorage.getItem(TOKEN_KEY));
    if (!session) return;
    refreshTimer = setTimeout(() => refreshTokens().catch(() => {}), Math.max(0, session.expires_at - Date.now() - REFRESH_AHEAD_MS));
  }

  // Before the token expires: the refresh token, or a fresh sign-in when there is none or it is refused.
  async function refreshTokens() {
    const session = readJson(SESSION_KEY);
    if (!session || !session.refresh_token) return beginSignIn();
    try {
      keepTokens(await tokenRequest({ grant_type: "refresh_token", refresh_token: session.refresh_token, client_id: signIn.client_id }));
    } catch (_) {
      forgetSession();
      return beginSignIn();
    }
  }

  function forgetSession() {
    clearTimeout(refreshTimer);
    for (const key of [TOKEN_KEY, SESSION_KEY, PENDING_KEY]) sessionStorage.removeItem(key);
    signOutButton.hidden = true;
  }

  function signOut() {
    const session = readJson(SESSION_KEY) || {};
    forgetSession();
    if (issuer && issuer.end_session_endpoint) {
      const url = new URL(issuer.end_session_endpoint);
      url.searchParams.set("client_id", signIn.client_id);
      url.searchParams.set("post_logout_redirect_uri", redirectUri());
      if (session.id_token) url.searchParams.set("id_token_hint", session.id_token);
      location.assign(url.toString());
    } else {
      showSignIn("Signed out.");
    }
  }

  function showSignIn(reason) {
    show(h("div", { id: "sign-in", class: "panel" }, h("h2", {}, "Sign in"),
      h("p", { class: "muted" }, reason),
      h("button", { type: "button", class: "primary", id: "sign-in-button", onclick: () => beginSignIn() }, "Sign in")));
  }

  class ApiFailure extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || ("HTTP " + status));
      this.status = status;
    }
  }

  async function api(path, options = {}) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) throw new ApiFailure(401, { detail: "No API token yet." });
    const headers = { Authorization: "Bearer " + token, Accept: "application/json" };
    if (options.body) headers["Content-Type"] = "application/json";
    const response = await fetch(path, { method: options.method || "GET", headers, body: options.body });
    const text = await response.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (_) { body = null; }
    if (!response.ok) throw new ApiFailure(response.status, body);
    return body;
  }

  // Elements are built with textContent only: no API string is ever parsed as HTML.
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") el.className = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }
  const svg = (tag, attrs, ...children) => {
    const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
    for (const c of children.flat(Infinity)) if (c) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return el;
  };
  const when = (iso) => iso ? new Date(iso).toLocaleString() : "—";
  const dash = (v) => (v === null || v === undefined) ? "—" : v;
  const signed = (v) => (v === null || v === undefined) ? "—" : (v > 0 ? "+" + v : String(v));
  // One money format everywhere, the API's too (scoring::money): dollars with two decimals.
  const money = (v) => v == null ? null : new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(v);
  function announce(text) {
    const a = document.getElementById("announcer");
    a.textContent = "";
    setTimeout(() => { a.textContent = text; }, 50);
  }
  // Every wide table scrolls inside its own region, never the page (a 400 px screen): the region is
  // labelled (the table's caption, else its section's heading), reachable by keyboard so the arrow
  // keys scroll it, and a hint above it says so while the table is wider than the region. Applied
  // here to every `.table-wrap` a page renders, whenever it renders it.
  const SCROLL_HINT = "Scroll sideways to see every column →";
  const regionWatch = window.ResizeObserver
    ? new ResizeObserver((entries) => entries.forEach((e) => fitHint(e.target.closest(".table-wrap"))))
    : null;
  function fitHint(wrap) {
    const hint = wrap && wrap.previousElementSibling;
    if (hint && hint.classList.contains("scroll-hint")) hint.classList.toggle("visible", wrap.scrollWidth > wrap.clientWidth + 1);
  }
  function tableRegions(root) {
    for (const wrap of root.querySelectorAll(".table-wrap:not([role])")) {
      // A region's name differs from its section's (axe: landmark-unique), and from its siblings'.
      const caption = wrap.querySelector("caption");
      const section = wrap.closest("section, article");
      const heading = section && section.querySelector("h2, h3");
      const siblings = section ? [...section.querySelectorAll(".table-wrap")] : [wrap];
      const number = siblings.length > 1 ? " " + (siblings.indexOf(wrap) + 1) : "";
      const name = (caption && caption.textContent) || ((heading ? heading.textContent + ": table" : "Table") + number);
      wrap.setAttribute("role", "region");
      wrap.setAttribute("tabindex", "0");
      wrap.setAttribute("aria-label", name);
      wrap.before(h("p", { class: "scroll-hint", "aria-hidden": "true" }, SCROLL_HINT));
      if (regionWatch) {
        regionWatch.observe(wrap);
        const table = wrap.querySelector("table");
        if (table) regionWatch.observe(table);
      }
      requestAnimationFrame(() => fitHint(wrap));
    }
  }
  new MutationObserver(() => tableRegions(main)).observe(main, { childList: true, subtree: true });
  function show(...nodes) {
    main.replaceChildren(...nodes);
    main.setAttribute("aria-busy", "false");
  }
  function showError(error) {
    if (error instanceof ApiFailure && error.status === 401) {
      if (signIn) { forgetSession(); return showSignIn("Your session has ended."); }
      return showTokenForm(error.message);
    }
    show(h("p", { class: "error", role: "alert" }, "Could not load this page: " + error.message));
  }
  function showTokenForm(reason) {
    const input = h("input", { id: "token-input", type: "password", autocomplete: "off", required: true });
    const form = h("form", { id: "token-form", class: "panel", onsubmit: (e) => {
      e.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, input.value.trim());
      route();
    } },
      h("h2", {}, "Sign in"),
      h("p", { class: "muted" }, reason + " Open the link the local runner printed, or paste an API token."),
      h("label", { for: "token-input" }, "API token"), input,
      h("button", { type: "submit", class: "primary" }, "Use this token"));
    show(form);
  }

