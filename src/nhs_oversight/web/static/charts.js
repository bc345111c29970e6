/* Draws every figure of the page from its JSON spec (present/charts.py) with plotly.js.
   No inline script: the spec is read from <script type="application/json">. A point whose
   customdata is a local path ("/org/RTH") opens that page when clicked. */
(function () {
  "use strict";
  var CONFIG = {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"]
  };

  function draw(figure) {
    var holder = figure.querySelector("[data-chart]");
    var source = figure.querySelector("script.chart-spec");
    if (!holder || !source || holder.getAttribute("data-drawn")) { return; }
    var spec = JSON.parse(source.textContent);
    holder.setAttribute("data-drawn", "1");
    window.Plotly.newPlot(holder, spec.data, spec.layout, CONFIG).then(function (plot) {
      plot.on("plotly_click", function (event) {
        var point = event && event.points && event.points[0];
        var href = point && point.customdata;
        if (typeof href === "string" && href.charAt(0) === "/" && href.charAt(1) !== "/") {
          window.location.assign(href);
        }
      });
      holder.setAttribute("data-ready", "1");
    });
  }

  function drawAll() {
    if (!window.Plotly) { return; }
    var figures = document.querySelectorAll("figure.chart");
    for (var i = 0; i < figures.length; i++) { draw(figures[i]); }
  }

  function resizeAll(width) {
    if (!window.Plotly) { return; }
    var holders = document.querySelectorAll("[data-chart][data-ready]");
    for (var i = 0; i < holders.length; i++) {
      window.Plotly.relayout(holders[i], width ? { width: width, autosize: false } : { width: null, autosize: true });
    }
  }

  window.addEventListener("beforeprint", function () { resizeAll(680); });
  window.addEventListener("afterprint", function () { resizeAll(null); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
