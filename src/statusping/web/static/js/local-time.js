// Optional: shows the status page's UTC times in the viewer's own time zone. Without JavaScript
// the page keeps its UTC times, which the <time datetime> attributes carry exactly.
(function () {
  "use strict";
  var full = new Intl.DateTimeFormat(undefined, {
    day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  });
  var timeOnly = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
  document.querySelectorAll("time[datetime]").forEach(function (node) {
    var moment = new Date(node.getAttribute("datetime"));
    if (!isNaN(moment.getTime())) {
      node.title = node.textContent;
      node.textContent = (node.hasAttribute("data-time-only") ? timeOnly : full).format(moment);
    }
  });
})();
