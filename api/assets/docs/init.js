// Mounts the reference viewer (standalone.js, loaded before this file) on the page's
// placeholder. The page names the document's address, so this file stays the same for every
// deployment and can be cached as immutable. Everything the viewer would fetch from Scalar's
// servers is switched off: the page's Content-Security-Policy allows only this origin.
(function () {
  "use strict";
  var host = document.getElementById("safapac-docs");
  if (!host || !window.Scalar) {
    return;
  }
  window.Scalar.createApiReference(host, {
    url: host.getAttribute("data-openapi-url"),
    withDefaultFonts: false,
    telemetry: false,
    agent: { disabled: true },
    mcp: { disabled: true },
    showDeveloperTools: "never",
  });
})();
