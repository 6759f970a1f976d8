// /settings/plan/keep: count the ticked monitors as the person clicks and hold the plan's limit by
// disabling the unticked boxes once it is reached. The server enforces the limit either way; without
// this script the form still works (an over-limit choice answers with the error).
(function () {
  "use strict";

  function wire(form) {
    var limit = parseInt(form.getAttribute("data-keep-limit"), 10);
    var counter = form.querySelector("[data-keep-count]");
    var boxes = Array.prototype.slice.call(form.querySelectorAll('input[type="checkbox"][name="monitor_ids"]'));
    if (isNaN(limit) || !counter || boxes.some(function (box) { return box.hasAttribute("disabled"); })) {
      return; // read-only for viewers
    }
    function update() {
      var chosen = boxes.filter(function (box) { return box.checked; }).length;
      counter.textContent = chosen + " of " + limit + " chosen" + (chosen >= limit ? " (the plan's limit)" : "");
      boxes.forEach(function (box) {
        box.disabled = !box.checked && chosen >= limit;
      });
    }
    boxes.forEach(function (box) { box.addEventListener("change", update); });
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("keep-form");
    if (form) {
      wire(form);
    }
  });
})();
