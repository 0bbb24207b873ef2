/* The prediction form's explanation chart: how each column pushed the prediction, drawn from
   #explanation-data (training/automl/explain_row.py computed it). Redrawn whenever htmx swaps
   in a new result, and when the theme changes. Drawing helpers: chart-kit.js. */
(function () {
  "use strict";

  const MAX_COLUMNS = 15;

  function drawExplanation() {
    const source = document.getElementById("explanation-data");
    const box = document.getElementById("chart-explanation");
    if (!source || !box || typeof window.Plotly === "undefined" || !window.ChartKit) return;
    const explanation = JSON.parse(source.textContent) || {};
    const { theme, draw, message, escape: esc } = window.ChartKit;
    const rows = (explanation.columns || []).slice(0, MAX_COLUMNS).reverse();
    if (!rows.length) {
      message(box, "Nothing to explain.");
      return;
    }
    const t = theme();
    draw(
      box,
      [
        {
          type: "bar",
          orientation: "h",
          y: rows.map((r) => esc(r.column)),
          x: rows.map((r) => r.contribution),
          marker: { color: rows.map((r) => (r.contribution >= 0 ? t.palette[5] : t.palette[3])) },
          hovertemplate: "%{y}<br>%{x:+.4~g}<extra></extra>",
        },
      ],
      { margin: { l: 140, r: 16, t: 12, b: 40 }, yaxis: { type: "category", automargin: true }, xaxis: { zeroline: true } },
    );
  }

  document.addEventListener("DOMContentLoaded", drawExplanation);
  document.body.addEventListener("htmx:afterSwap", drawExplanation);
  if (window.ChartKit) window.ChartKit.followTheme(drawExplanation);
})();
