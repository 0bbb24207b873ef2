/* The evaluation tab of a training job: Plotly charts from the stored results embedded as
   #evaluation-data (training/automl/evaluation.py and explain.py computed every number; the
   browser only lays them out). The binary threshold slider recomputes the confusion matrix and
   rates from the stored per-threshold counts. Theme and drawing helpers: chart-kit.js. */
(function () {
  "use strict";

  const source = document.getElementById("evaluation-data");
  if (!source || typeof window.Plotly === "undefined" || !window.ChartKit) return;
  const results = JSON.parse(source.textContent) || {};
  const ev = results.evaluation || {};
  const importance = results.importance || {};
  const { theme, draw, message } = window.ChartKit;
  const esc = window.ChartKit.escape;
  const MAX_FEATURES = 25;

  function el(id) {
    return document.getElementById(id);
  }


  function fmt(value, digits) {
    return value === null || value === undefined ? "—" : Number(value).toFixed(digits === undefined ? 3 : digits);
  }

  /* ---- Classification ---------------------------------------------------------------- */
  function drawConfusion() {
    const box = el("chart-confusion");
    if (!box || !ev.confusion) return;
    const normalised = document.querySelector("[data-chart-control=normalise]");
    const z = normalised && normalised.checked ? ev.confusion_normalised : ev.confusion;
    const labels = ev.classes.map(esc);
    const t = theme();
    draw(
      box,
      [
        {
          type: "heatmap",
          z: z,
          x: labels,
          y: labels,
          colorscale: [
            [0, t.surface],
            [1, t.primary],
          ],
          showscale: false,
          text: z.map((row) => row.map((v) => (normalised && normalised.checked ? (100 * v).toFixed(1) + "%" : String(v)))),
          texttemplate: "%{text}",
          hovertemplate: "actual %{y}<br>predicted %{x}<br>%{text}<extra></extra>",
        },
      ],
      {
        xaxis: { title: { text: "Predicted" }, type: "category" },
        yaxis: { title: { text: "Actual" }, type: "category", autorange: "reversed" },
        margin: { l: 72, r: 16, t: 12, b: 48 },
      },
    );
  }

  function curves(id, list, xKey, yKey, xTitle, yTitle, diagonal) {
    const box = el(id);
    if (!box) return;
    if (!list || !list.length) {
      message(box, "Not available: the holdout has a single class.");
      return;
    }
    const traces = list.map((c) => ({
      type: "scatter",
      mode: "lines",
      name: esc(c.class),
      x: c[xKey],
      y: c[yKey],
      hovertemplate: xTitle + " %{x:.3f}<br>" + yTitle + " %{y:.3f}<extra>" + esc(c.class) + "</extra>",
    }));
    if (diagonal) traces.push({ type: "scatter", mode: "lines", x: [0, 1], y: [0, 1], line: { dash: "dot", color: theme().muted }, hoverinfo: "skip", showlegend: false });
    draw(box, traces, { xaxis: { title: { text: xTitle }, range: [0, 1] }, yaxis: { title: { text: yTitle }, range: [0, 1.02] }, showlegend: list.length > 1, legend: { orientation: "h", y: -0.25 } });
  }

  function thresholdAt(index) {
    const table = ev.threshold;
    const tp = table.tp[index], fp = table.fp[index], tn = table.tn[index], fn = table.fn[index];
    const precision = tp + fp ? tp / (tp + fp) : null;
    const recall = tp + fn ? tp / (tp + fn) : null;
    const f1 = precision !== null && recall !== null && precision + recall ? (2 * precision * recall) / (precision + recall) : null;
    return { tp: tp, fp: fp, tn: tn, fn: fn, precision: precision, recall: recall, f1: f1, accuracy: (tp + tn) / (tp + fp + tn + fn) };
  }

  function drawThreshold() {
    const box = el("chart-threshold");
    if (!box || !ev.threshold) return;
    const xs = ev.threshold.threshold;
    const rows = xs.map((_, i) => thresholdAt(i));
    const series = ["precision", "recall", "f1", "accuracy"];
    const slider = el("threshold-slider");
    const at = parseFloat(slider.value);
    const traces = series.map((name) => ({ type: "scatter", mode: "lines", name: name === "f1" ? "F1" : name.charAt(0).toUpperCase() + name.slice(1), x: xs, y: rows.map((r) => r[name]) }));
    draw(box, traces, {
      xaxis: { title: { text: "Threshold" }, range: [0, 1] },
      yaxis: { range: [0, 1.02] },
      showlegend: true,
      legend: { orientation: "h", y: -0.25 },
      shapes: [{ type: "line", x0: at, x1: at, y0: 0, y1: 1, yref: "paper", line: { dash: "dot", color: theme().muted } }],
    });
  }

  function cell(tag, text, className) {
    const node = document.createElement(tag);
    node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function showThreshold() {
    const slider = el("threshold-slider");
    if (!slider || !ev.threshold) return;
    const index = Math.round(parseFloat(slider.value) * (ev.threshold.threshold.length - 1));
    const r = thresholdAt(index);
    const positive = String(ev.positive_class);
    el("threshold-value").textContent = parseFloat(slider.value).toFixed(2);
    const table = document.createElement("table");
    table.className = "table table-compact threshold-matrix";
    table.append(cell("caption", "Confusion matrix at this threshold", "sr-only"));
    const head = document.createElement("tr");
    head.append(cell("th", ""), cell("th", "Predicted not " + positive, "num"), cell("th", "Predicted " + positive, "num"));
    const thead = document.createElement("thead");
    thead.append(head);
    const body = document.createElement("tbody");
    [
      ["Actually " + positive, r.fn, r.tp],
      ["Actually not " + positive, r.tn, r.fp],
    ].forEach(function (row) {
      const tr = document.createElement("tr");
      const th = cell("th", row[0]);
      th.scope = "row";
      tr.append(th, cell("td", row[1].toLocaleString(), "num"), cell("td", row[2].toLocaleString(), "num"));
      body.append(tr);
    });
    table.append(thead, body);
    const stats = cell("p", "Precision " + fmt(r.precision) + " · Recall " + fmt(r.recall) + " · F1 " + fmt(r.f1) + " · Accuracy " + fmt(r.accuracy), "small");
    el("threshold-stats").replaceChildren(table, stats);
    drawThreshold();
  }

  /* ---- Regression -------------------------------------------------------------------- */
  function drawRegression() {
    const pva = el("chart-pred-actual");
    if (pva && ev.actual) {
      const low = Math.min(...ev.actual, ...ev.predicted);
      const high = Math.max(...ev.actual, ...ev.predicted);
      draw(
        pva,
        [
          { type: "scattergl", mode: "markers", x: ev.actual, y: ev.predicted, marker: { size: 5, opacity: 0.6 }, hovertemplate: "actual %{x:.4~g}<br>predicted %{y:.4~g}<extra></extra>" },
          { type: "scatter", mode: "lines", x: [low, high], y: [low, high], line: { dash: "dot", color: theme().muted }, hoverinfo: "skip" },
        ],
        { xaxis: { title: { text: "Actual" } }, yaxis: { title: { text: "Predicted" } } },
      );
    }
    const res = el("chart-residuals");
    if (res && ev.residuals) {
      draw(res, [{ type: "scattergl", mode: "markers", x: ev.predicted, y: ev.residuals, marker: { size: 5, opacity: 0.6 }, hovertemplate: "predicted %{x:.4~g}<br>residual %{y:.4~g}<extra></extra>" }], {
        xaxis: { title: { text: "Predicted" } },
        yaxis: { title: { text: "Actual − predicted" }, zeroline: true },
      });
    }
    const hist = el("chart-residual-hist");
    if (hist && ev.histogram) {
      const edges = ev.histogram.edges;
      const x = ev.histogram.counts.map((_, i) => (edges[i] + edges[i + 1]) / 2);
      const width = ev.histogram.counts.map((_, i) => edges[i + 1] - edges[i]);
      draw(hist, [{ type: "bar", x: x, y: ev.histogram.counts, width: width, hovertemplate: "around %{x:.4~g}<br>%{y:,} rows<extra></extra>" }], {
        xaxis: { title: { text: "Residual" } },
        yaxis: { title: { text: "Rows" } },
      });
    }
  }

  /* ---- Clustering -------------------------------------------------------------------- */
  function drawClustering() {
    const proj = el("chart-projection");
    if (proj && ev.projection) {
      const groups = {};
      ev.projection.cluster.forEach((c, i) => {
        (groups[c] = groups[c] || { x: [], y: [] }).x.push(ev.projection.x[i]);
        groups[c].y.push(ev.projection.y.length ? ev.projection.y[i] : 0);
      });
      const traces = Object.keys(groups).map((c) => ({ type: "scattergl", mode: "markers", name: c === "-1" ? "noise" : "cluster " + c, x: groups[c].x, y: groups[c].y, marker: { size: 5, opacity: 0.7 } }));
      draw(proj, traces, { showlegend: true, legend: { orientation: "h", y: -0.2 }, xaxis: { title: { text: "PC 1" } }, yaxis: { title: { text: "PC 2" } } });
    }
    const sizes = el("chart-sizes");
    if (sizes && ev.sizes) {
      const keys = Object.keys(ev.sizes);
      draw(sizes, [{ type: "bar", x: keys.map((k) => (k === "-1" ? "noise" : "cluster " + k)), y: keys.map((k) => ev.sizes[k]), hovertemplate: "%{x}<br>%{y:,} rows<extra></extra>" }], { yaxis: { title: { text: "Rows" } } });
    }
    const table = el("cluster-profiles");
    if (table && ev.profiles) {
      const features = Object.keys(ev.profiles);
      const clusters = Object.keys(ev.sizes || {});
      const head = document.createElement("thead");
      const hr = document.createElement("tr");
      ["Feature", ...clusters.map((c) => (c === "-1" ? "noise" : "Cluster " + c))].forEach((text, i) => {
        const th = document.createElement("th");
        th.scope = "col";
        th.textContent = text;
        if (i) th.className = "num";
        hr.append(th);
      });
      head.append(hr);
      const body = document.createElement("tbody");
      features.forEach((f) => {
        const tr = document.createElement("tr");
        const th = document.createElement("th");
        th.scope = "row";
        th.textContent = f;
        tr.append(th);
        clusters.forEach((c) => {
          const td = document.createElement("td");
          td.className = "num";
          td.textContent = fmt(ev.profiles[f][c], 3);
          tr.append(td);
        });
        body.append(tr);
      });
      table.replaceChildren(head, body);
    }
  }

  /* ---- Importance and learning curves ------------------------------------------------- */
  function importanceBars(id, rows, withError, empty) {
    const box = el(id);
    if (!box) return;
    if (!rows || !rows.length) {
      message(box, empty);
      return;
    }
    const top = rows.slice(0, MAX_FEATURES).reverse();
    box.style.height = Math.max(260, 24 * top.length + 60) + "px";
    draw(
      box,
      [
        {
          type: "bar",
          orientation: "h",
          x: top.map((r) => r.importance),
          y: top.map((r) => esc(r.feature)),
          error_x: withError ? { type: "data", array: top.map((r) => r.std || 0), visible: true, color: theme().muted } : undefined,
          hovertemplate: "%{y}<br>%{x:.4g}<extra></extra>",
        },
      ],
      { margin: { l: 140, r: 16, t: 12, b: 40 }, yaxis: { type: "category", automargin: true } },
    );
  }

  function drawLearning() {
    const box = el("chart-learning");
    if (!box) return;
    const traces = [];
    const palette = theme().palette;
    // One colour per model: dotted on the training rows, solid on the holdout.
    (results.learning_curves || []).forEach(function (curve, i) {
      const label = esc(curve.model);
      const color = palette[i % palette.length];
      if (curve.train) traces.push({ type: "scatter", mode: "lines", name: label + " · training", x: curve.rounds, y: curve.train, line: { dash: "dot", color: color } });
      if (curve.holdout) traces.push({ type: "scatter", mode: "lines", name: label + " · holdout", x: curve.rounds, y: curve.holdout, line: { color: color } });
    });
    draw(box, traces, { showlegend: true, legend: { orientation: "h", y: -0.25 }, xaxis: { title: { text: "Boosting rounds" } } });
  }

  function drawAll() {
    drawConfusion();
    curves("chart-roc", ev.roc, "fpr", "tpr", "False positive rate", "True positive rate", true);
    curves("chart-pr", ev.pr, "recall", "precision", "Recall", "Precision", false);
    curves("chart-calibration", ev.calibration, "predicted", "observed", "Predicted probability", "Observed frequency", true);
    showThreshold();
    drawRegression();
    drawClustering();
    const permutation = (importance.permutation || {}).rows;
    importanceBars("chart-permutation", permutation, true, "Not computed for this model.");
    importanceBars("chart-native", (importance.native || {}).rows, false, "This model has no importance of its own; see the permutation importance.");
    drawLearning();
  }

  drawAll();
  document.addEventListener("input", function (event) {
    if (event.target.dataset && event.target.dataset.chartControl === "threshold") showThreshold();
  });
  document.addEventListener("change", function (event) {
    if (event.target.dataset && event.target.dataset.chartControl === "normalise") drawConfusion();
  });
  window.ChartKit.followTheme(drawAll);
})();
