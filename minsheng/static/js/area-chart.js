// Houses and residents per subordinate area, from the page's json_script data.
(function () {
  const el = document.getElementById("area-chart");
  if (!el || !window.echarts) return;
  const data = JSON.parse(document.getElementById("area-chart-data").textContent);
  const chart = echarts.init(el);
  const zh = document.documentElement.lang.startsWith("zh");
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 60, right: 60, top: 30, bottom: 60 },
    xAxis: { type: "category", data: data.names, axisLabel: { interval: 0, rotate: data.names.length > 8 ? 35 : 0 } },
    yAxis: [{ type: "value", name: zh ? "户数" : "Houses" }, { type: "value", name: zh ? "常住人口" : "Residents" }],
    series: [
      { name: zh ? "户数" : "Houses", type: "bar", data: data.houses, itemStyle: { color: "#b22222" } },
      { name: zh ? "常住人口" : "Residents", type: "line", yAxisIndex: 1, data: data.population },
    ],
  });
  window.addEventListener("resize", () => chart.resize());
})();
