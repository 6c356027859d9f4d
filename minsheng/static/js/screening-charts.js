// The theme page's charts, from the page's json_script data (counts only, no persons).
(function () {
  const src = document.getElementById("screening-charts-data");
  if (!src || !window.echarts) return;
  const data = JSON.parse(src.textContent);
  const charts = [];
  function bar(id, title, d, color) {
    const el = document.getElementById(id);
    if (!el || !d) return;
    const chart = echarts.init(el);
    chart.setOption({
      title: { text: title, left: "center", textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" },
      grid: { left: 50, right: 20, top: 40, bottom: 60 },
      xAxis: { type: "category", data: d.names, axisLabel: { interval: 0, rotate: d.names.length > 6 ? 35 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: d.values, itemStyle: { color: color } }],
    });
    charts.push(chart);
  }
  function pie(id, title, d) {
    const el = document.getElementById(id);
    if (!el || !d) return;
    const chart = echarts.init(el);
    chart.setOption({
      title: { text: title, left: "center", textStyle: { fontSize: 14 } },
      tooltip: { trigger: "item" },
      series: [{ type: "pie", radius: ["35%", "65%"], top: 30, data: d.names.map((n, i) => ({ name: n, value: d.values[i] })) }],
    });
    charts.push(chart);
  }
  const L = data.labels || {};
  bar("chart-area", L.area, data.area, "#b22222");
  bar("chart-age", L.age, data.age, "#4a6fa5");
  pie("chart-sex", L.sex, data.sex);
  pie("chart-employment", L.employment, data.employment);
  const p = data.pyramid;
  const el = document.getElementById("chart-pyramid");
  if (p && el) {
    const chart = echarts.init(el);
    chart.setOption({
      title: { text: L.pyramid, left: "center", textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: (v) => Math.abs(v) },
      legend: { top: 24 },
      grid: { left: 60, right: 30, top: 60, bottom: 30 },
      xAxis: { type: "value", axisLabel: { formatter: (v) => Math.abs(v) } },
      yAxis: { type: "category", data: p.names },
      series: [
        { name: p.male_label, type: "bar", stack: "s", data: p.male, itemStyle: { color: "#4a6fa5" } },
        { name: p.female_label, type: "bar", stack: "s", data: p.female, itemStyle: { color: "#c0504d" } },
      ],
    });
    charts.push(chart);
  }
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
})();
