/* Charts tab of a dataset: Plotly charts drawn from the profile embedded as #profile-data.
   Everything is precomputed by the profiler (histogram bins, box statistics, correlation
   matrices, a small row sample), so the browser only lays it out. Theme colours, layout and
   redrawing on a theme change come from chart-kit.js. */
(function () {
  "use strict";

  const source = document.getElementById("profile-data");
  if (!source || typeof window.Plotly === "undefined" || !window.ChartKit) return;
  const data = JSON.parse(source.textContent);
  if (!data) return;

  const columns = data.columns || [];
  const byName = new Map(columns.map((c) => [c.name, c]));
  const target = data.target || null;
  const MAX_BOXES = 24;
  const MAX_CLASSES = 10;
  const { theme, message, draw } = window.ChartKit;

  /* A histogram from bin edges (numbers, or ISO dates) and counts. */
  function histogramTrace(histogram, color) {
    const edges = histogram.edges || [];
    const counts = histogram.counts || [];
    const dates = typeof edges[0] === "string";
    const value = dates ? (e) => Date.parse(e) : (e) => e;
    const x = [];
    const width = [];
    for (let i = 0; i < counts.length; i++) {
      const low = value(edges[i]);
      const high = value(edges[Math.min(i + 1, edges.length - 1)]);
      x.push(dates ? new Date((low + high) / 2).toISOString() : (low + high) / 2);
      width.push(Math.max(high - low, 0) || 1);
    }
    return {
      type: "bar",
      x: x,
      y: counts,
      width: width,
      marker: { color: color },
      hovertemplate: dates ? "%{x}<br>%{y:,} rows<extra></extra>" : "around %{x:.4~g}<br>%{y:,} rows<extra></extra>",
    };
  }

  function barTrace(bar, color) {
    return {
      type: "bar",
      x: bar.labels.map(String),
      y: bar.counts,
      marker: { color: color },
      hovertemplate: "%{x}<br>%{y:,} rows<extra></extra>",
    };
  }

  /* ---- Distribution of one column ---- */
  const columnSelect = document.getElementById("chart-column-select");
  const columnChart = document.getElementById("chart-column");

  function fillColumnPicker() {
    if (!columnSelect) return;
    const drawable = columns.filter((c) => (c.histogram && (c.histogram.counts || []).length) || c.bar);
    for (const column of drawable) {
      const option = document.createElement("option");
      option.value = column.name;
      option.textContent = `${column.name} (${column.type})`;
      columnSelect.appendChild(option);
    }
    const usual = (c) => !["target", "identifier", "ignore"].includes(c.role) && c.type !== "identifier";
    const first = drawable.find((c) => usual(c) && c.type === "numeric") || drawable.find(usual) || drawable[0];
    if (first) columnSelect.value = first.name;
  }

  function drawColumn() {
    if (!columnChart) return;
    const column = byName.get(columnSelect ? columnSelect.value : "");
    const t = theme();
    if (!column) {
      message(columnChart, "No column has a distribution to draw.");
      return;
    }
    if (column.histogram && (column.histogram.counts || []).length) {
      const xTitle = column.histogram_of === "length" ? `length of ${column.name}` : column.name;
      draw(columnChart, [histogramTrace(column.histogram, t.primary)], {
        xaxis: { title: { text: xTitle } },
        yaxis: { title: { text: "rows" } },
      });
    } else if (column.bar) {
      draw(columnChart, [barTrace(column.bar, t.primary)], {
        xaxis: { type: "category", title: { text: column.name } },
        yaxis: { title: { text: "rows" } },
      });
    } else {
      message(columnChart, `“${column.name}” has no values to draw.`);
    }
  }

  /* ---- Target ---- */
  const targetChart = document.getElementById("chart-target");

  function drawTarget() {
    if (!targetChart || !target) return;
    const t = theme();
    if (target.classes && target.classes.length) {
      const classes = target.classes.slice(0, 30);
      draw(
        targetChart,
        [
          {
            type: "bar",
            x: classes.map((c) => String(c.value)),
            y: classes.map((c) => c.count),
            customdata: classes.map((c) => (c.share * 100).toFixed(1)),
            marker: { color: classes.map((_, i) => t.palette[i % t.palette.length]) },
            hovertemplate: "%{x}<br>%{y:,} rows (%{customdata}%)<extra></extra>",
          },
        ],
        { xaxis: { type: "category" }, yaxis: { title: { text: "rows" } } },
      );
    } else if (target.histogram && (target.histogram.counts || []).length) {
      draw(targetChart, [histogramTrace(target.histogram, t.palette[1])], {
        xaxis: { title: { text: target.name } },
        yaxis: { title: { text: "rows" } },
      });
    } else {
      message(targetChart, "The target has no values to draw.");
    }
  }

  /* ---- Correlations ---- */
  const corrChart = document.getElementById("chart-corr");

  function checked(name, fallback) {
    const input = document.querySelector(`input[name="${name}"]:checked`);
    return input ? input.value : fallback;
  }

  function drawCorrelations() {
    if (!corrChart) return;
    const corr = data.correlations || {};
    const method = checked("corr-method", "pearson");
    const matrix = corr[method] || [];
    const names = corr.columns || [];
    if (names.length < 2 || !matrix.length) {
      message(corrChart, "Correlations need at least two numeric or boolean columns with varying values.");
      return;
    }
    const t = theme();
    const cell = names.length > 20 ? "" : "%{z:.2f}";
    draw(
      corrChart,
      [
        {
          type: "heatmap",
          x: names,
          y: names,
          z: matrix,
          zmin: -1,
          zmax: 1,
          colorscale: [
            [0, css("--tone-red-fg")],
            [0.5, t.surface],
            [1, t.primary],
          ],
          texttemplate: cell,
          hovertemplate: "%{y} × %{x}<br>" + (method === "pearson" ? "r" : "ρ") + " = %{z:.3f}<extra></extra>",
          colorbar: { thickness: 12, outlinewidth: 0, tickfont: { color: t.muted } },
          xgap: 1,
          ygap: 1,
        },
      ],
      {
        margin: { l: 8, r: 8, t: 8, b: 8 },
        xaxis: { tickangle: -40, showgrid: false },
        yaxis: { autorange: "reversed", showgrid: false },
      },
    );
  }

  /* ---- Box plots, from the precomputed box statistics ---- */
  const boxChart = document.getElementById("chart-box");

  function drawBoxes() {
    if (!boxChart) return;
    const standard = checked("box-scale", "raw") === "standard";
    const numeric = columns.filter((c) => c.box && c.role !== "ignore" && c.role !== "identifier").slice(0, MAX_BOXES);
    if (!numeric.length) {
      message(boxChart, "There are no numeric columns to draw.");
      return;
    }
    const t = theme();
    const scale = (c, v) => (standard && c.std ? (v - c.mean) / c.std : v);
    const traces = numeric.map((c, i) => ({
      type: "box",
      orientation: "h",
      name: c.name,
      y: [c.name],
      q1: [scale(c, c.box.q1)],
      median: [scale(c, c.box.median)],
      q3: [scale(c, c.box.q3)],
      lowerfence: [scale(c, c.box.whisker_low)],
      upperfence: [scale(c, c.box.whisker_high)],
      mean: c.mean === null || c.mean === undefined ? undefined : [scale(c, c.mean)],
      boxpoints: false,
      marker: { color: t.palette[i % t.palette.length] },
      line: { width: 1.5 },
      fillcolor: "rgba(0,0,0,0)",
    }));
    draw(boxChart, traces, {
      margin: { l: 8, r: 16, t: 8, b: 40 },
      xaxis: { title: { text: standard ? "standard deviations from the mean" : "value" }, zeroline: standard },
      yaxis: { autorange: "reversed", type: "category" },
      height: Math.max(260, 44 + 30 * numeric.length),
    });
  }

  /* ---- Scatter of two columns from the row sample ---- */
  const scatter = data.scatter || { columns: [], types: [], rows: [] };
  const xSelect = document.getElementById("chart-scatter-x");
  const ySelect = document.getElementById("chart-scatter-y");
  const scatterChart = document.getElementById("chart-scatter");
  const axisColumns = scatter.columns.filter((_, i) => ["numeric", "datetime"].includes(scatter.types[i]));
  const targetIndex = target ? scatter.columns.indexOf(target.name) : -1;
  const colourByTarget =
    targetIndex >= 0 && (target.problem_type === "classification" || ["categorical", "boolean"].includes(scatter.types[targetIndex]));

  function fillScatterPickers() {
    if (!xSelect || !ySelect) return;
    for (const select of [xSelect, ySelect]) {
      for (const name of axisColumns) {
        const option = document.createElement("option");
        option.value = name;
        option.textContent = name;
        select.appendChild(option);
      }
    }
    const features = axisColumns.filter((n) => !target || n !== target.name);
    xSelect.value = features[0] || axisColumns[0] || "";
    const targetNumeric = target && axisColumns.includes(target.name) && !colourByTarget;
    ySelect.value = targetNumeric ? target.name : features[1] || axisColumns[1] || axisColumns[0] || "";
  }

  function drawScatter() {
    if (!scatterChart) return;
    if (axisColumns.length < 2 || !scatter.rows.length) {
      message(scatterChart, "A scatter plot needs two numeric or date columns.");
      return;
    }
    const xi = scatter.columns.indexOf(xSelect.value);
    const yi = scatter.columns.indexOf(ySelect.value);
    const t = theme();
    const points = (rows) => ({
      x: rows.map((r) => r[xi]),
      y: rows.map((r) => r[yi]),
    });
    const base = { type: "scattergl", mode: "markers", marker: { size: 5, opacity: 0.65 } };
    let traces;
    if (colourByTarget) {
      const groups = new Map();
      for (const row of scatter.rows) {
        const key = row[targetIndex] === null ? "missing" : String(row[targetIndex]);
        if (!groups.has(key)) groups.set(key, []);
        groups.get(key).push(row);
      }
      const ordered = [...groups.entries()].sort((a, b) => b[1].length - a[1].length);
      const shown = ordered.slice(0, MAX_CLASSES);
      const rest = ordered.slice(MAX_CLASSES).flatMap((entry) => entry[1]);
      if (rest.length) shown.push(["other", rest]);
      traces = shown.map(([name, rows], i) =>
        Object.assign({}, base, points(rows), {
          name: name,
          marker: Object.assign({}, base.marker, { color: t.palette[i % t.palette.length] }),
        }),
      );
    } else {
      traces = [Object.assign({}, base, points(scatter.rows), { marker: Object.assign({}, base.marker, { color: t.primary }) })];
    }
    draw(scatterChart, traces, {
      showlegend: colourByTarget,
      legend: { orientation: "h", x: 1, xanchor: "right", y: 1.02, yanchor: "bottom", title: { text: target ? target.name + " " : "" } },
      margin: { l: 48, r: 16, t: 28, b: 40 },
      xaxis: { title: { text: xSelect.value } },
      yaxis: { title: { text: ySelect.value } },
    });
  }

  function drawAll() {
    drawColumn();
    drawTarget();
    drawCorrelations();
    drawBoxes();
    drawScatter();
  }

  fillColumnPicker();
  fillScatterPickers();
  drawAll();

  document.addEventListener("change", (event) => {
    const control = event.target.dataset ? event.target.dataset.chartControl : null;
    if (control === "column") drawColumn();
    else if (control === "corr") drawCorrelations();
    else if (control === "box") drawBoxes();
    else if (control === "scatter") drawScatter();
  });

  window.ChartKit.followTheme(drawAll);
})();
