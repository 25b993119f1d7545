// earmark's web UI: the ATP, forecast and report charts (uPlot) and the live event feed (EventSource).
// The pages read without this file; it only draws and keeps things current.
(function () {
  "use strict";

  var DAY = 86400;

  function seconds(day) {
    return Date.parse(day + "T00:00:00Z") / 1000;
  }

  function drawChart(el) {
    if (!window.uPlot || el.dataset.drawn === "1") return;
    var source = el.parentNode.querySelector(".atp-data");
    if (!source) return;
    var chart = JSON.parse(source.textContent);
    var xs = chart.dates.map(seconds);
    var marks = chart.promised.map(function (p) { return {x: seconds(p.date), units: p.units, date: p.date}; });
    var all = xs.concat(marks.map(function (m) { return m.x; }));
    var lo = Math.min.apply(null, all) - 2 * DAY;
    var hi = Math.max.apply(null, all) + 2 * DAY;
    var bars = uPlot.paths.bars({size: [0.7, 48], align: 0});
    var stepped = uPlot.paths.stepped({align: 1});

    function drawMarks(u) {
      var ctx = u.ctx;
      ctx.save();
      ctx.strokeStyle = "#b4432e";
      ctx.fillStyle = "#b4432e";
      ctx.setLineDash([6, 4]);
      ctx.lineWidth = 1.5 * devicePixelRatio;
      ctx.font = (11 * devicePixelRatio) + "px system-ui, sans-serif";
      marks.forEach(function (m) {
        var x = Math.round(u.valToPos(m.x, "x", true));
        ctx.beginPath();
        ctx.moveTo(x, u.bbox.top);
        ctx.lineTo(x, u.bbox.top + u.bbox.height);
        ctx.stroke();
        ctx.fillText(m.units + " promised", x + 4 * devicePixelRatio, u.bbox.top + 12 * devicePixelRatio);
      });
      ctx.restore();
    }

    var options = {
      width: Math.max(el.clientWidth, 280),
      height: 280,
      scales: {x: {time: true, range: function () { return [lo, hi]; }}},
      axes: [{}, {size: 60}],
      series: [
        {label: "Date", value: function (u, v) { return v == null ? "" : new Date(v * 1000).toISOString().slice(0, 10); }},
        {label: "Supply", fill: "rgba(64, 160, 112, 0.35)", stroke: "#2f7d57", paths: bars, points: {show: false}},
        {label: "Pegged", fill: "rgba(38, 70, 110, 0.85)", stroke: "#26466e", paths: bars, points: {show: false}},
        {label: "Free so far", stroke: "#c07a00", width: 2, paths: stepped, points: {show: true, size: 6}}
      ],
      hooks: {draw: [drawMarks]}
    };
    var data = [xs, chart.supply, chart.pegged, chart.cumulative_free];
    el.innerHTML = "";
    var plot = new uPlot(options, data, el);
    el.dataset.drawn = "1";
    el.dataset.points = String(xs.length);
    el.dataset.promised = String(marks.length);
    window.earmarkCharts = (window.earmarkCharts || []).filter(function (p) { return document.body.contains(p.root); });
    window.earmarkCharts.push(plot);
    var resize = function () { if (document.body.contains(el)) plot.setSize({width: Math.max(el.clientWidth, 280), height: 280}); };
    window.addEventListener("resize", resize);
  }

  function dateLabel(u, v) {
    return v == null ? "" : new Date(v * 1000).toISOString().slice(0, 10);
  }

  function units(u, v) {
    return v == null ? "" : v.toFixed(1);
  }

  // The forecast with its 80% band, and the projected on-hand. Every series
  // has a label: the legend names each one (uPlot shows "--" for a value
  // only while the cursor is off the chart, never in place of a name).
  function drawForecast(el) {
    if (!window.uPlot || el.dataset.drawn === "1") return;
    var source = el.parentNode.querySelector(".forecast-data");
    if (!source) return;
    var chart = JSON.parse(source.textContent);
    var xs = chart.dates.map(seconds);
    var method = chart.method === "fallback" ? "fallback, " + chart.model : chart.method;
    var options = {
      width: Math.max(el.clientWidth, 280),
      height: 280,
      scales: {x: {time: true}, demand: {auto: true}, stock: {auto: true}},
      axes: [{}, {scale: "demand", size: 50, label: "units / day"},
             {scale: "stock", side: 1, size: 60, grid: {show: false}, label: "on hand"}],
      series: [
        {label: "Date", value: dateLabel},
        {label: "Forecast (" + method + ")", scale: "demand", stroke: "#26466e", width: 2, value: units},
        {label: "80% band, low", scale: "demand", stroke: "rgba(38, 70, 110, 0.35)", width: 1, dash: [4, 4], points: {show: false}, value: units},
        {label: "80% band, high", scale: "demand", stroke: "rgba(38, 70, 110, 0.35)", width: 1, dash: [4, 4], points: {show: false}, value: units},
        {label: "Projected on-hand", scale: "stock", stroke: "#c07a00", width: 2,
         paths: uPlot.paths.stepped({align: 1}), points: {show: false}, value: units}
      ],
      bands: [{series: [3, 2], fill: "rgba(38, 70, 110, 0.15)"}]
    };
    var data = [xs, chart.forecast, chart.lo80, chart.hi80, chart.projected_on_hand];
    el.innerHTML = "";
    var plot = new uPlot(options, data, el);
    el.dataset.drawn = "1";
    el.dataset.points = String(xs.length);
    window.earmarkForecastCharts = (window.earmarkForecastCharts || []).filter(function (p) { return document.body.contains(p.root); });
    window.earmarkForecastCharts.push(plot);
    var resize = function () { if (document.body.contains(el)) plot.setSize({width: Math.max(el.clientWidth, 280), height: 280}); };
    window.addEventListener("resize", resize);
  }

  // A report chart (the Capital and Service pages): categories along x (locations,
  // weeks, age buckets), one bar or line series per figure, stacked when asked.
  // A stack is drawn as cumulative bars, tallest first, so each shows its own
  // band; the legend and the cursor show each series' own value, never the sum.
  function drawReport(el) {
    if (!window.uPlot || el.dataset.drawn === "1") return;
    var source = el.parentNode.querySelector(".report-data");
    if (!source) return;
    var chart = JSON.parse(source.textContent);
    var xs = chart.labels.map(function (_, i) { return i; });
    var own = chart.series.map(function (s) { return s.values; });
    var shown = own;
    if (chart.stacked) {
      var sums = xs.map(function () { return 0; });
      shown = own.map(function (values) {
        sums = sums.map(function (sum, i) { return sum + (values[i] || 0); });
        return sums.slice();
      });
    }
    var order = chart.series.map(function (_, i) { return i; });
    if (chart.stacked) order.reverse();
    var bars = uPlot.paths.bars({size: [0.6, 64]});
    var format = function (v) { return v == null ? "—" : v.toLocaleString("en-US", {maximumFractionDigits: 2}); };
    var series = [{label: chart.x_label, value: function (u, v) { return v == null ? "" : chart.labels[v]; }}];
    order.forEach(function (i) {
      var s = chart.series[i];
      series.push({
        label: s.label, stroke: s.color, width: chart.lines ? 2 : 1,
        fill: chart.lines ? undefined : s.color,
        paths: chart.lines ? undefined : bars, points: {show: !!chart.lines, size: 6},
        spanGaps: true,
        value: function (u, v, si, idx) { return idx == null ? "—" : format(own[i][idx]); }
      });
    });
    var options = {
      title: chart.title,
      width: Math.max(el.clientWidth, 280),
      height: 300,
      scales: {x: {time: false, range: function () { return [-0.6, xs.length - 0.4]; }},
               y: {range: function (u, lo, hi) { return [0, chart.lines ? 100 : Math.max(hi * 1.08, 1)]; }}},
      axes: [
        {label: chart.x_label, values: function (u, vals) { return vals.map(function (v) { return Number.isInteger(v) && chart.labels[v] !== undefined ? chart.labels[v] : ""; }); },
         splits: function () { return xs; }},
        {label: chart.y_label, size: 70}
      ],
      series: series
    };
    var data = [xs].concat(order.map(function (i) { return shown[i]; }));
    el.innerHTML = "";
    var plot = new uPlot(options, data, el);
    el.dataset.drawn = "1";
    el.dataset.points = String(xs.length);
    el.dataset.series = chart.series.map(function (s) { return s.label; }).join("|");
    // Axis labels are drawn on the canvas: say them on the element too (tests, assistive tools).
    el.dataset.axes = plot.axes.map(function (a) { return a.label || ""; }).join("|");
    el.dataset.title = chart.title;
    var resize = function () { if (document.body.contains(el)) plot.setSize({width: Math.max(el.clientWidth, 280), height: 300}); };
    window.addEventListener("resize", resize);
  }

  // A supplier's slips: receipts per slip in days, as bars on a day axis.
  function drawSlips(el) {
    if (!window.uPlot || el.dataset.drawn === "1") return;
    var source = el.parentNode.querySelector(".slip-data");
    if (!source) return;
    var chart = JSON.parse(source.textContent);
    var options = {
      width: Math.max(el.clientWidth, 280),
      height: 240,
      scales: {x: {time: false, range: function (u, lo, hi) { return [lo - 1, hi + 1]; }},
               y: {range: function (u, lo, hi) { return [0, hi + 1]; }}},
      axes: [{label: "slip (days)", incrs: [1, 2, 5, 10]}, {label: "receipts", incrs: [1, 2, 5, 10, 20]}],
      series: [
        {label: "Slip (days)"},
        {label: "Receipts", fill: "rgba(38, 70, 110, 0.6)", stroke: "#26466e",
         paths: uPlot.paths.bars({size: [0.8, 40], align: 0}), points: {show: false}}
      ]
    };
    el.innerHTML = "";
    var plot = new uPlot(options, [chart.slip_days, chart.receipts], el);
    el.dataset.drawn = "1";
    el.dataset.bars = String(chart.slip_days.length);
    var resize = function () { if (document.body.contains(el)) plot.setSize({width: Math.max(el.clientWidth, 280), height: 240}); };
    window.addEventListener("resize", resize);
  }

  function drawCharts(root) {
    var scope = root.querySelectorAll ? root : document;
    scope.querySelectorAll(".atp-chart").forEach(drawChart);
    scope.querySelectorAll(".forecast-chart").forEach(drawForecast);
    scope.querySelectorAll(".report-chart").forEach(drawReport);
    scope.querySelectorAll(".slip-chart").forEach(drawSlips);
  }

  function liveFeed() {
    var feed = document.getElementById("feed");
    var state = document.getElementById("live-state");
    if (!feed || !window.EventSource) return;
    var url = "/events/stream?after=" + encodeURIComponent(feed.dataset.after || "0");
    if (feed.dataset.type) url += "&type=" + encodeURIComponent(feed.dataset.type);
    var source = new EventSource(url);
    var say = function (text, value) { if (state) { state.textContent = text; state.dataset.state = value; } };
    source.onopen = function () { say("Live: new events appear at the top.", "live"); };
    source.onerror = function () { say("Reconnecting…", "reconnecting"); };
    source.addEventListener("earmark", function (message) {
      var event = JSON.parse(message.data);
      var empty = feed.querySelector(".empty");
      if (empty) empty.remove();
      feed.insertAdjacentHTML("afterbegin", event.html);
      var first = feed.firstElementChild;
      if (first) first.classList.add("fresh");
      while (feed.children.length > 200) feed.lastElementChild.remove();
    });
  }

  function start() {
    drawCharts(document);
    liveFeed();
    if (window.htmx) {
      // Content htmx swapped in (a moved receipt) gets its chart drawn too.
      document.body.addEventListener("htmx:afterSettle", function (e) { drawCharts(e.target); });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
