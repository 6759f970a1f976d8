// The monitor page's response-time chart (uPlot). An enhancement: the page's figures are
// rendered by the server; without JavaScript the placeholder text stays.
(function () {
  "use strict";
  var box = document.getElementById("response-chart");
  if (!box || typeof window.uPlot !== "function") return;

  var HEIGHT = 240;
  // An explicit choice (class on <html>, see theme.js) wins over the system preference.
  var root = document.documentElement;
  var dark = root.classList.contains("dark") ||
    (!root.classList.contains("light") && window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches);
  var ink = dark ? "#cbd5e1" : "#334155";
  var grid = dark ? "rgba(148,163,184,0.15)" : "rgba(100,116,139,0.15)";
  var LINES = [
    { key: "response_ms", label: "Response", stroke: dark ? "#818cf8" : "#4f46e5", width: 2 },
    { key: "p95_ms", label: "p95", stroke: dark ? "#fbbf24" : "#d97706", width: 1, dash: [4, 4] },
    { key: "dns_ms", label: "DNS", stroke: "#0ea5e9", width: 1, show: false },
    { key: "connect_ms", label: "Connect", stroke: "#14b8a6", width: 1, show: false },
    { key: "tls_ms", label: "TLS", stroke: "#a855f7", width: 1, show: false },
    { key: "ttfb_ms", label: "First byte", stroke: "#f43f5e", width: 1, show: false },
  ];

  function ms(u, value) {
    return value == null ? "–" : Math.round(value) + " ms";
  }

  function draw(data) {
    var lines = LINES.filter(function (line) { return Array.isArray(data[line.key]); });
    var columns = [data.t].concat(lines.map(function (line) { return data[line.key]; }));
    if (!data.t.length) {
      box.querySelector(".chart-placeholder").textContent = "No checks in this range yet.";
      return;
    }
    var axis = { stroke: ink, grid: { stroke: grid }, ticks: { stroke: grid } };
    var options = {
      width: Math.max(box.clientWidth, 200),
      height: HEIGHT,
      cursor: { drag: { x: true, y: false } },
      legend: { live: true },
      // The whole chosen range, even when it holds a single check (uPlot would invent years around it).
      scales: { x: { time: true, range: function (u, min, max) { return data.start != null ? [data.start, data.end] : [min, max]; } }, y: { range: function (u, min, max) { return [0, Math.max(max || 0, 10) * 1.1]; } } },
      axes: [axis, Object.assign({}, axis, { values: function (u, ticks) { return ticks.map(function (v) { return v + " ms"; }); }, size: 64 })],
      series: [{}].concat(lines.map(function (line) {
        return {
          label: line.label, stroke: line.stroke, width: line.width, dash: line.dash,
          show: line.show !== false, spanGaps: false, value: ms,
          points: { show: data.t.length <= 60, size: 5 }, // sparse data is dots, not an invisible line
        };
      })),
    };
    box.textContent = "";
    box.classList.remove("h-64"); // the placeholder's height; the plot and its legend size themselves
    var plot = new window.uPlot(options, columns, box);
    box.classList.add("chart-ready");
    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        plot.setSize({ width: Math.max(box.clientWidth, 200), height: HEIGHT });
      }).observe(box);
    }
  }

  fetch(box.getAttribute("data-series-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then(draw)
    .catch(function () {
      var note = box.querySelector(".chart-placeholder");
      if (note) note.textContent = "The chart could not be loaded; the figures below are current.";
    });
})();
