// Behaviour every page shares, kept out of the templates: the Content-Security-Policy
// runs no inline script or on…= handler.
(function () {
  // A <select data-autosubmit> submits its form when changed (the language switch).
  document.addEventListener("change", (event) => {
    const el = event.target;
    if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.submit();
    }
  });
})();
