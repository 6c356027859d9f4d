// A payment run's totals by district, one stacked bar per benefit, from the page's
// json_script data (sums only, no person). On a narrow screen the bars lie down.
(function () {
  const el = document.getElementById("payroll-chart");
  const src = document.getElementById("payroll-chart-data");
  if (!el || !src || !window.echarts) return;
  const data = JSON.parse(src.textContent);
  const colors = ["#b22222", "#4a6fa5", "#2e7d32", "#d08c00"];
  let chart = null;
  let lying = null;

  function option(lie) {
    const names = { type: "category", data: data.districts, inverse: lie,
      axisLabel: { interval: 0, fontSize: 11, rotate: !lie && data.districts.length > 4 ? 30 : 0 } };
    const money = { type: "value", name: data.labels.yuan,
      axisLabel: { formatter: (v) => (v >= 10000 ? (v / 10000) + "万" : v) } };
    return {
      color: colors,
      title: { text: data.labels.title, left: "center", textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { bottom: 0, type: "scroll" },
      grid: { left: 8, right: 24, top: 56, bottom: 36, containLabel: true },
      xAxis: lie ? money : names,
      yAxis: lie ? names : money,
      series: data.series.map((s) => ({ name: s.name, type: "bar", stack: "total", barMaxWidth: 72, data: s.data })),
    };
  }

  function draw() {
    const lie = el.clientWidth < 60 * Math.max(data.districts.length, 1);
    if (chart && lie === lying) return chart.resize();
    lying = lie;
    el.style.height = (lie ? Math.max(320, 100 + 36 * data.districts.length) : 320) + "px";
    if (chart) chart.dispose();
    chart = echarts.init(el);
    chart.setOption(option(lie));
  }

  draw();
  window.addEventListener("resize", draw);
})();
