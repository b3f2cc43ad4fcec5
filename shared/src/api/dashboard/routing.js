  // ---------- Routing ----------
  let routed = false;
  // Each navigation's number: a page still loading when the user has moved on must not put its
  // error over the page that replaced it.
  let navigations = 0;
  async function route(quiet) {
    const navigation = ++navigations;
    const hash = location.hash || "#/overview";
    const [, name, arg] = hash.match(/^#\/([a-z-]+)(?:\/(.*))?$/) || [null, "overview"];
    const current = PAGES[name] ? name : "overview";
    const entry = PAGES[current];
    for (const link of document.querySelectorAll("nav a[id^='tab-']")) {
      if (link.id === "tab-" + entry.tab) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    // A quiet refresh (a sync ended) leaves the Alerts page alone: it holds a form being filled in
    // and a signing secret that is shown only once.
    if (quiet && current === "alerts") return;
    if (!sessionStorage.getItem(TOKEN_KEY)) return signIn ? showSignIn("Sign in to see your clients.") : showTokenForm("No API token yet.");
    if (!quiet) main.setAttribute("aria-busy", "true");
    if (current !== "client") document.title = "Connected Insights";
    try {
      await entry.render(arg === undefined ? undefined : decodeURIComponent(arg));
      if (!quiet) {
        // A navigation puts focus on the new content; the first load leaves it at the top of the
        // page, so the first Tab reaches the skip link.
        if (routed) main.focus({ preventScroll: true });
        routed = true;
        // Once per navigation, through the status region (<main> itself is not live).
        const heading = main.querySelector("h2");
        announce((heading ? heading.textContent : label(current)) + " page");
      }
      // Which page rendered: the browser test waits for it (another name: the route has no page).
      main.dataset.page = current;
    } catch (error) { if (navigation === navigations) showError(error); }
  }
  window.addEventListener("hashchange", () => route());
  // The skip link moves focus to <main> without touching the hash (the hash is the route).
  document.getElementById("skip-link").addEventListener("click", (e) => {
    e.preventDefault();
    main.focus();
  });
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
