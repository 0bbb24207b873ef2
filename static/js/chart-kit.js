/* What every Plotly chart of the platform shares: colours from the theme's CSS variables,
   axes and layout in the page's style, drawing and an empty-chart message, and redrawing when
   the theme changes. Used by charts.js (dataset charts) and evaluation.js (model evaluation).
   Load after plotly.min.js and before the script that draws. */
(function () {
  "use strict";

  const CONFIG = {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"],
  };

  function css(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function theme() {
    return {
      text: css("--text"),
      muted: css("--text-muted"),
      surface: css("--surface"),
      border: css("--border"),
      primary: css("--primary"),
      font: css("--font-sans"),
      palette: [
        css("--primary"),
        css("--tone-teal-fg"),
        css("--tone-amber-fg"),
        css("--tone-red-fg"),
        css("--tone-violet-fg"),
        css("--tone-green-fg"),
        css("--tone-blue-fg"),
        css("--tone-indigo-fg"),
        css("--text-muted"),
      ],
    };
  }

  function axis(t, extra) {
    return Object.assign(
      {
        gridcolor: t.border,
        linecolor: t.border,
        zerolinecolor: t.border,
        tickfont: { color: t.muted },
        title: { font: { color: t.muted } },
        automargin: true,
      },
      extra || {},
    );
  }

  function layout(extra) {
    const t = theme();
    const base = {
      paper_bgcolor: t.surface,
      plot_bgcolor: t.surface,
      font: { color: t.text, family: t.font, size: 12 },
      margin: { l: 48, r: 16, t: 12, b: 40 },
      colorway: t.palette,
      bargap: 0.04,
      showlegend: false,
      legend: { orientation: "h", y: -0.2, font: { color: t.muted } },
      hoverlabel: { bgcolor: t.surface, bordercolor: t.border, font: { color: t.text } },
    };
    const result = Object.assign(base, extra || {});
    result.xaxis = axis(t, (extra || {}).xaxis);
    result.yaxis = axis(t, (extra || {}).yaxis);
    return result;
  }

  function message(element, text) {
    window.Plotly.purge(element);
    element.innerHTML = "";
    const note = document.createElement("p");
    note.className = "chart-empty muted";
    note.textContent = text;
    element.appendChild(note);
  }

  function draw(element, traces, extra) {
    if (element.querySelector(".chart-empty")) element.innerHTML = "";
    window.Plotly.react(element, traces, layout(extra), CONFIG);
  }

  /* Call `redraw` whenever the theme changes: the user's choice (data-theme on <html>) or the system's. */
  function followTheme(redraw) {
    new MutationObserver(redraw).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", redraw);
  }

  /* Labels come from users' data; Plotly reads a little HTML in labels and "%{…}" in hover
     templates, so both are neutralised before they reach a chart. */
  function escape(text) {
    return String(text)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/%\{/g, "%&#123;");
  }

  window.ChartKit = { CONFIG: CONFIG, theme: theme, layout: layout, message: message, draw: draw, followTheme: followTheme, escape: escape };
})();
