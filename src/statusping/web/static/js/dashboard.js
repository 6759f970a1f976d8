// The dashboard's small script (the page works without it):
// - "last check" times as "12 s ago", ticking, with the viewer's local time as the tooltip;
// - live status changes from the Server-Sent-Event stream: the row's badge and last check, the
//   summary counts; a deleted monitor's row goes; too much missed reloads just the list;
// - "select all" for the bulk actions, and a count of the selection.
(function () {
  "use strict";
  var root = document.querySelector("[data-dashboard]");
  if (!root) return;

  var local = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

  function relative(moment) {
    var seconds = Math.max(0, Math.round((Date.now() - moment.getTime()) / 1000));
    if (seconds < 60) return seconds + " s ago";
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + " min ago";
    var hours = Math.floor(minutes / 60);
    if (hours < 48) return hours + " h ago";
    return Math.floor(hours / 24) + " d ago";
  }

  function tick() {
    root.querySelectorAll("time[data-relative]").forEach(function (node) {
      var moment = new Date(node.getAttribute("datetime"));
      if (isNaN(moment.getTime())) return;
      node.textContent = relative(moment);
      node.title = local.format(moment);
    });
  }

  function list() {
    return document.getElementById("monitor-list");
  }

  // Selection --------------------------------------------------------------------------------

  function boxes() {
    return Array.prototype.slice.call(root.querySelectorAll("input[data-select]"));
  }

  function showSelection() {
    var all = root.querySelector("input[data-select-all]");
    var label = root.querySelector("[data-select-all-label]");
    var count = root.querySelector("[data-selected-count]");
    if (!all) return;
    if (label) {
      label.classList.remove("hidden");
      label.classList.add("flex");
    }
    var chosen = boxes().filter(function (b) { return b.checked; }).length;
    all.checked = chosen > 0 && chosen === boxes().length;
    all.indeterminate = chosen > 0 && chosen < boxes().length;
    if (count) count.textContent = chosen ? chosen + " selected" : "";
  }

  root.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("input[data-select-all]")) {
      boxes().forEach(function (b) { b.checked = target.checked; });
    }
    if (target.matches && target.matches("input[data-select], input[data-select-all]")) showSelection();
  });

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("[data-bulk-form]")) return;
    if (!boxes().some(function (b) { return b.checked; })) {
      event.preventDefault();
      var count = root.querySelector("[data-selected-count]");
      if (count) count.textContent = "Select monitors first";
    }
  });

  // Live updates ---------------------------------------------------------------------------

  var lastChange = {}; // monitor id -> id of the last change applied (a replay may repeat one)

  function badge(status) {
    var template = root.querySelector('template[data-badge="' + status + '"]');
    return template ? template.content.cloneNode(true) : document.createTextNode(status);
  }

  function applyChange(change, id) {
    if (id && lastChange[change.monitor_id] && lastChange[change.monitor_id] >= id) return;
    if (id) lastChange[change.monitor_id] = id;
    var row = root.querySelector('tr[data-monitor-id="' + change.monitor_id + '"]');
    if (!row) return;
    if (change.status === "deleted") {
      row.remove();
      return;
    }
    row.setAttribute("data-status", change.status);
    var cell = row.querySelector("[data-badge-cell]");
    if (cell) cell.replaceChildren(badge(change.status));
    var last = row.querySelector("[data-last-check]");
    if (last && change.at && change.status !== "paused") {
      var time = document.createElement("time");
      time.setAttribute("datetime", change.at);
      time.setAttribute("data-relative", "");
      last.replaceChildren(time);
    }
    tick();
  }

  function applySummary(counts) {
    Object.keys(counts).forEach(function (status) {
      var node = root.querySelector('[data-summary="' + status + '"]');
      if (node) node.textContent = String(counts[status]);
    });
  }

  function reloadList() {
    var current = list();
    if (!current || !window.htmx) return;
    var query = current.getAttribute("data-query");
    window.htmx.ajax("GET", "/dashboard" + (query ? "?" + query : ""), { target: "#monitor-list", swap: "outerHTML" });
  }

  function listen() {
    if (!window.EventSource || !list()) return;
    var url = root.getAttribute("data-events-url") + "?after=" + encodeURIComponent(list().getAttribute("data-since") || "0");
    var source = new EventSource(url);
    source.addEventListener("change", function (event) {
      applyChange(JSON.parse(event.data), Number(event.lastEventId) || 0);
    });
    source.addEventListener("summary", function (event) {
      applySummary(JSON.parse(event.data));
    });
    source.addEventListener("resync", reloadList);
    root.setAttribute("data-live", "connecting");
    source.addEventListener("open", function () { root.setAttribute("data-live", "open"); });
    source.addEventListener("error", function () { root.setAttribute("data-live", "retrying"); });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  document.body.addEventListener("htmx:afterSettle", function () {
    tick();
    showSelection();
  });

  tick();
  showSelection();
  setInterval(tick, 1000);
  listen();
})();
