// Departmental charts on file pages. Each element with data-chart holds a complete ECharts
// option as JSON, built on the server (records.py), so this file only draws and resizes.
// Charts take the full width of their card; 240px high on phones, 300px elsewhere, unless
// the element names its own height in data-chart-height (pixels).
(() => {
  if (typeof echarts === "undefined") return;
  const phone = window.matchMedia("(max-width: 576px)");
  const charts = [];

  const fitHeight = (el) => {
    if (el.dataset.chartHeight) {
      el.style.height = `${Number(el.dataset.chartHeight)}px`;
      return;
    }
    el.style.height = phone.matches ? "240px" : "300px";
  };

  document.querySelectorAll("[data-chart]").forEach((el) => {
    let option;
    try {
      option = JSON.parse(el.dataset.chart);
    } catch (error) {
      console.error("bad chart data", error);
      return;
    }
    fitHeight(el);
    const chart = echarts.init(el);
    chart.setOption(option);
    charts.push({ el, chart });
    // A card that changes width (rotating a phone, a sidebar) redraws its chart.
    if ("ResizeObserver" in window) {
      new ResizeObserver(() => chart.resize()).observe(el);
    }
  });

  const resizeAll = () => {
    charts.forEach(({ el, chart }) => {
      fitHeight(el);
      chart.resize();
    });
  };
  phone.addEventListener("change", resizeAll);
  window.addEventListener("resize", resizeAll);
})();
