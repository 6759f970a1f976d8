// Initialises Swagger UI on /api/docs. Loaded as an external file because the
// Content-Security-Policy forbids inline scripts.
(function () {
  "use strict";
  function init() {
    window.ui = window.SwaggerUIBundle({
      url: "/api/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [window.SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
