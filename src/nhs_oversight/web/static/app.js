/* Progressive enhancement: the pages work without it. */
(function () {
  "use strict";
  function liveFilter(input) {
    var table = document.getElementById(input.getAttribute("data-live-filter"));
    if (!table) { return; }
    var counter = document.querySelector("[data-row-count]");
    input.addEventListener("input", function () {
      var text = input.value.trim().toLowerCase();
      var rows = table.tBodies[0].rows;
      var shown = 0;
      for (var i = 0; i < rows.length; i++) {
        var match = !text || rows[i].textContent.toLowerCase().indexOf(text) !== -1;
        rows[i].hidden = !match;
        if (match) { shown++; }
      }
      if (counter) { counter.textContent = String(shown); }
    });
  }
  function start() {
    var inputs = document.querySelectorAll("[data-live-filter]");
    for (var i = 0; i < inputs.length; i++) { liveFilter(inputs[i]); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
