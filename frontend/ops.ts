// The Ops page's charts (templates/admin/ops/dashboard.html): error rate and p95 latency per
// hour over 24 h, one line per model. Data comes from the page's json_script (#ops-trend);
// a bundle of its own (static/dist/ops.js), so Chart.js never weighs on the product pages.
import {
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";

Chart.register(CategoryScale, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);

export interface TrendSeries {
  name: string;
  error_rate: (number | null)[];
  p95_ms: (number | null)[];
}

export interface Trend {
  labels: string[];
  series: TrendSeries[];
}

const COLOURS = ["#205493", "#b03a2e", "#2e7d32", "#8e44ad", "#d35400", "#16a085", "#7f8c8d"];

function draw(canvasId: string, trend: Trend, pick: (series: TrendSeries) => (number | null)[]): void {
  const canvas = document.getElementById(canvasId);
  if (!(canvas instanceof HTMLCanvasElement)) return;
  new Chart(canvas, {
    type: "line",
    data: {
      labels: trend.labels,
      datasets: trend.series.map((series, index) => ({
        label: series.name,
        data: pick(series),
        borderColor: COLOURS[index % COLOURS.length],
        backgroundColor: COLOURS[index % COLOURS.length],
        spanGaps: true,
        tension: 0.2,
        pointRadius: 2,
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: { y: { beginAtZero: true } },
      plugins: { legend: { position: "bottom" } },
    },
  });
}

function start(): void {
  const source = document.getElementById("ops-trend");
  if (!source?.textContent) return;
  const trend = JSON.parse(source.textContent) as Trend;
  draw("ops-error-chart", trend, (series) => series.error_rate);
  draw("ops-latency-chart", trend, (series) => series.p95_ms);
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
