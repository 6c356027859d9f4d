// The 网格通 phone pages: the service worker that keeps the task list readable offline, the
// offline state shown on every page, and on the list the tasks whose result waits on this
// phone (a draft, or a result not yet sent). No inline script: the page's texts come from
// its [data-msg] elements.
(function () {
  "use strict";
  const body = document.body;

  function msg(name) {
    const el = document.querySelector(`[data-messages] [data-msg="${name}"]`);
    return el ? el.textContent.trim() : name;
  }
  window.msGridMsg = msg;

  // -- the service worker (scope: the phone pages) ------------------------------------------
  if ("serviceWorker" in navigator && body.dataset.sw) {
    navigator.serviceWorker.register(body.dataset.sw, { scope: body.dataset.scope }).catch(() => {
      // an http:// intranet address is no secure context: the pages work, not offline
    });
  }

  // -- online / offline ---------------------------------------------------------------------
  const banner = document.querySelector("[data-offline-banner]");
  const bannerText = document.querySelector("[data-offline-text]");
  const net = document.querySelector("[data-net]");
  const netLabel = document.querySelector("[data-net-label]");
  const fetched = document.querySelector("[data-fetched]");
  const fromCopy = body.dataset.served === "cache";

  function showNetwork() {
    const online = navigator.onLine;
    body.classList.toggle("is-offline", !online);
    if (net) net.classList.toggle("offline", !online);
    if (netLabel) netLabel.textContent = msg(online ? "online" : "offline");
    if (!banner) return;
    if (!online || fromCopy) {
      let text = msg("offline-page");
      if (fetched) {
        text = `${msg(online ? "cached-list" : "offline-list")} ${fetched.dataset.fetched}`;
      }
      bannerText.textContent = text;
      banner.hidden = false;
    } else {
      banner.hidden = true;
    }
  }
  window.addEventListener("online", showNetwork);
  window.addEventListener("offline", showNetwork);
  showNetwork();

  // -- the tasks whose result waits on this phone --------------------------------------------
  const user = body.dataset.user;
  for (const row of document.querySelectorAll("[data-task]")) {
    const badge = row.querySelector("[data-draft-badge]");
    if (!badge) continue;
    let draft = null;
    try {
      draft = JSON.parse(localStorage.getItem(`ms-grid-draft:${user}:${row.dataset.task}`));
    } catch (err) {
      draft = null;
    }
    if (!draft) continue;
    const unsent = draft.state === "unsent";
    badge.textContent = msg(unsent ? "unsent" : "draft");
    if (unsent) badge.classList.replace("bg-dark", "bg-danger");
    badge.dataset.state = draft.state;
    badge.hidden = false;
  }

  // -- signing out forgets the pages kept on this phone --------------------------------------
  const logout = document.querySelector("form[data-logout]");
  if (logout) {
    logout.addEventListener("submit", async (event) => {
      if (!("caches" in window)) return;
      event.preventDefault();
      try {
        for (const name of await caches.keys()) {
          if (name.startsWith("ms-grid-")) await caches.delete(name);
        }
      } finally {
        logout.submit();
      }
    });
  }
})();
