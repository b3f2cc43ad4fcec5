  // ---------- Routing ----------
  async function route(quiet) {
    const hash = location.hash || "#/overview";
    const [, page, arg] = hash.match(/^#\/([a-z]+)(?:\/(.*))?$/) || [null, "overview"];
    for (const tab of ["overview", "insights", "health", "sources", "matches", "alerts"]) {
      const link = document.getElementById("tab-" + tab);
      if (tab === page || (page === "client" && tab === "health")) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    // A quiet refresh (a sync ended) leaves the Alerts page alone: it holds a form being filled in
    // and a signing secret that is shown only once.
    if (quiet && page === "alerts") return;
    if (!sessionStorage.getItem(TOKEN_KEY)) return signIn ? showSignIn("Sign in to see your clients.") : showTokenForm("No API token yet.");
    if (!quiet) main.setAttribute("aria-busy", "true");
    if (page !== "client") document.title = "Connected Insights";
    try {
      if (page === "insights") await renderInsights();
      else if (page === "health") await renderHealth();
      else if (page === "client" && arg) await renderClient(decodeURIComponent(arg));
      else if (page === "sources") await renderSources();
      else if (page === "matches") await renderMatches();
      else if (page === "alerts") await renderAlerts();
      else await renderOverview();
      if (!quiet) main.focus({ preventScroll: true });
    } catch (error) { showError(error); }
  }
  window.addEventListener("hashchange", () => route());
  const signOutButton = document.getElementById("sign-out");
  signOutButton.addEventListener("click", signOut);
  startAuth()
    .then(() => route())
    .catch((error) => show(h("p", { class: "error", role: "alert" }, "Could not sign in: " + error.message)))
    .then(pollSync);
})();
</script>
</body>
</html>
