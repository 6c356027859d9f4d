// The supervision centre's charts, from the page's json_script data (counts only).
// #chart-areas: done and overdue per child area (or worker), with each one's score;
// #chart-days: tasks done per day. Both follow the width of their box: a window resize or
// a layout change (a phone turned, the menu unfolded) redraws them, and on a narrow
// screen with many areas the bars lie down (one row per area, the box grows).
(function () {
  const src = document.getElementById("supervision-data");
  if (!src || !window.echarts) return;
  const data = JSON.parse(src.textContent);
  const L = data.labels;
  const charts = [];

  function areasOption(lying) {
    const b = data.bars;
    const names = { type: "category", data: b.names, inverse: lying,
      axisLabel: { interval: 0, fontSize: 11, rotate: lying ? 0 : (b.names.length > 6 ? 35 : 0),
        formatter: (v) => (v.length > 9 ? v.slice(0, 9) + "…" : v) } };
    const counts = { type: "value", minInterval: 1 };
    const score = { type: "value", min: 0, max: 100, splitLine: { show: false } };
    const series = [
      { name: L.done, type: "bar", data: b.done, itemStyle: { color: "#2e7d32" } },
      { name: L.overdue, type: "bar", data: b.overdue, itemStyle: { color: "#b22222" } },
      { name: L.score, type: "scatter", symbolSize: 9, data: b.score,
        itemStyle: { color: "#4a6fa5" } },
    ];
    if (lying) {
      series[2].xAxisIndex = 1;
      return {
        title: { text: L.by_area, left: "center", textStyle: { fontSize: 14 } },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { top: 22 },
        grid: { left: 8, right: 16, top: 78, bottom: 10, containLabel: true },
        yAxis: names,
        xAxis: [counts, { ...score, position: "top" }],
        series: series,
      };
    }
    series[2].yAxisIndex = 1;
    return {
      title: { text: L.by_area, left: "center", textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 22 },
      grid: { left: 8, right: 8, top: 56, bottom: 8, containLabel: true },
      xAxis: names,
      yAxis: [counts, score],
      series: series,
    };
  }

  function areas(el) {
    const n = data.bars.names.length;
    let chart = null;
    let lying = null;
    function draw() {
      const lie = el.clientWidth < 32 * n; // too little room for a standing bar pair
      if (chart && lie === lying) return chart.resize();
      lying = lie;
      el.style.height = (lie ? Math.max(300, 90 + 30 * n) : 300) + "px";
      if (chart) chart.dispose();
      chart = echarts.init(el);
      chart.setOption(areasOption(lie));
    }
    draw();
    charts.push({ resize: draw, el: el });
  }

  function days(el) {
    const d = data.days;
    const chart = echarts.init(el);
    chart.setOption({
      title: { text: L.per_day, left: "center", textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "category", boundaryGap: false, data: d.names },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: L.done, type: "line", showSymbol: false, areaStyle: { opacity: 0.15 },
        data: d.done, itemStyle: { color: "#2e7d32" } }],
    });
    charts.push({ resize: () => chart.resize(), el: el });
  }

  const a = document.getElementById("chart-areas");
  if (a) areas(a);
  const d = document.getElementById("chart-days");
  if (d) days(d);
  const resize = () => charts.forEach((c) => c.resize());
  window.addEventListener("resize", resize);
  if (window.ResizeObserver) {
    const last = new Map();
    const seen = new ResizeObserver((entries) => {
      // redraw only when a box's width changed (a redraw may change its height)
      entries.forEach((e) => {
        const w = Math.round(e.contentRect.width);
        if (last.get(e.target) !== w) {
          last.set(e.target, w);
          charts.filter((c) => c.el === e.target).forEach((c) => c.resize());
        }
      });
    });
    charts.forEach((c) => seen.observe(c.el));
  }
})();
