// Usage charts (the billing page): bar charts drawn by Chart.js from data the server puts on
// the page with json_script. Only the pieces a bar chart needs are registered, so the bundle
// carries no other chart types. Colours follow the page's theme (light or dark) and change
// with it; each chart has a table beside it for screen readers and anyone who wants figures.
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from "chart.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

/** What billing/views_usage.py `usage_charts` sends for one chart. */
export interface UsageChartData {
  label: string;
  labels: string[];
  values: number[];
  tooltips: string[];
}

interface Theme {
  accent: string;
  text: string;
  muted: string;
  grid: string;
}

function theme(): Theme {
  const style = getComputedStyle(document.documentElement);
  const read = (name: string, fallback: string): string =>
    style.getPropertyValue(name).trim() || fallback;
  return {
    accent: read("--accent", "#3a4fd8"),
    text: read("--text", "#1b1f2a"),
    muted: read("--muted", "#5d6577"),
    grid: read("--border", "#dfe3ec"),
  };
}

export function readChartData(id: string): UsageChartData | null {
  const script = document.getElementById(id);
  if (!script?.textContent) return null;
  try {
    const data = JSON.parse(script.textContent) as UsageChartData;
    return Array.isArray(data.labels) && Array.isArray(data.values) ? data : null;
  } catch {
    return null;
  }
}

/** Tell tests (and anyone curious) that the chart is on the canvas: set after each render. */
const drawnMark = {
  id: "usageDrawn",
  afterRender(chart: Chart): void {
    chart.canvas.dataset.chartDrawn = String(chart.data.labels?.length ?? 0);
  },
};

function options(horizontal: boolean, data: UsageChartData, colors: Theme) {
  const valueAxis = {
    beginAtZero: true,
    ticks: { color: colors.muted, precision: 0 },
    grid: { color: colors.grid },
    border: { color: colors.grid },
  };
  const labelAxis = {
    ticks: { color: colors.muted, autoSkip: true, maxRotation: 0 },
    grid: { display: false },
    border: { color: colors.grid },
  };
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false as const,
    indexAxis: horizontal ? ("y" as const) : ("x" as const),
    locale: document.documentElement.lang || undefined,
    scales: horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis },
    plugins: {
      legend: { display: false },
      tooltip: {
        callbacks: {
          label: (item: { dataIndex: number }) => data.tooltips[item.dataIndex] ?? "",
        },
      },
    },
  };
}

function draw(canvas: HTMLCanvasElement): Chart | null {
  const data = readChartData(canvas.dataset.usageChart ?? "");
  if (!data) return null;
  const horizontal = canvas.hasAttribute("data-horizontal");
  if (horizontal) {
    // One row of about 34 px per model, so long lists stay readable.
    const box = canvas.parentElement;
    if (box) box.style.height = `${Math.max(120, 34 * data.labels.length + 40)}px`;
  }
  const colors = theme();
  // The page's own font (system-ui), not Chart.js's Helvetica default.
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  return new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        {
          label: data.label,
          data: data.values,
          backgroundColor: colors.accent,
          borderRadius: 3,
          maxBarThickness: horizontal ? 22 : 28,
        },
      ],
    },
    options: options(horizontal, data, colors),
    plugins: [drawnMark],
  });
}

/** Repaint every chart in the theme's colours (after the colour scheme changes). */
function recolor(charts: Chart[]): void {
  const colors = theme();
  for (const chart of charts) {
    const canvas = chart.canvas;
    const data = readChartData(canvas.dataset.usageChart ?? "");
    if (!data) continue;
    const dataset = chart.data.datasets[0];
    if (dataset) dataset.backgroundColor = colors.accent;
    chart.options = options(canvas.hasAttribute("data-horizontal"), data, colors);
    chart.update();
  }
}

export function drawUsageCharts(root: ParentNode = document): Chart[] {
  const charts: Chart[] = [];
  root.querySelectorAll<HTMLCanvasElement>("canvas[data-usage-chart]").forEach((canvas) => {
    if (Chart.getChart(canvas)) return;
    const chart = draw(canvas);
    if (chart) charts.push(chart);
  });
  return charts;
}

/** Draw the page's usage charts and keep their colours in step with the theme. main.ts loads
 * this module (and Chart.js with it) only on pages that have one. */
export function start(): void {
  const charts = drawUsageCharts();
  window
    .matchMedia("(prefers-color-scheme: dark)")
    .addEventListener("change", () => recolor(charts));
}
