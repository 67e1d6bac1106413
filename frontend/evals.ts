// The evaluation report's chart: accuracy against cost, one point per arm. The data comes
// from the page as JSON (Django's json_script), never from inline script.
import {
  Chart,
  type ChartDataset,
  Legend,
  LinearScale,
  PointElement,
  ScatterController,
  Tooltip,
} from "chart.js";

Chart.register(ScatterController, LinearScale, PointElement, Tooltip, Legend);

interface ChartPoint {
  label: string;
  arm: string;
  best: boolean;
  x: number;
  y: number;
  low: number;
  high: number;
}

interface ChartData {
  x: "cost" | "tokens";
  x_label: string;
  y_label: string;
  points: ChartPoint[];
}

const COLOURS: Record<string, string> = {
  panel: "#2563eb",
  member: "#6b7280",
  self_consistency: "#d97706",
};

/** Read the json_script element named by the canvas; null when absent or malformed. */
export function readChartData(canvas: HTMLCanvasElement): ChartData | null {
  const source = canvas.dataset.chartSource;
  const element = source ? document.getElementById(source) : null;
  if (!element?.textContent) return null;
  try {
    const data = JSON.parse(element.textContent) as ChartData;
    return Array.isArray(data.points) ? data : null;
  } catch {
    return null;
  }
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

export function drawEvalChart(canvas: HTMLCanvasElement): Chart | null {
  const data = readChartData(canvas);
  if (!data) return null;
  const datasets: ChartDataset<"scatter">[] = data.points.map((point) => ({
    label: point.label,
    data: [{ x: point.x, y: point.y }],
    backgroundColor: COLOURS[point.arm] ?? "#6b7280",
    borderColor: point.best ? "#111827" : (COLOURS[point.arm] ?? "#6b7280"),
    borderWidth: point.best ? 2 : 1,
    pointRadius: point.arm === "member" ? 6 : 8,
    pointStyle: point.arm === "panel" ? "rectRot" : point.arm === "member" ? "circle" : "triangle",
  }));
  const byLabel = new Map(data.points.map((point) => [point.label, point]));
  const chart = new Chart(canvas, {
    type: "scatter",
    data: { datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: { type: "linear", beginAtZero: true, title: { display: true, text: data.x_label } },
        y: {
          min: 0,
          max: 1,
          title: { display: true, text: data.y_label },
          ticks: { callback: (value) => percent(Number(value)) },
        },
      },
      plugins: {
        legend: { position: "bottom" },
        tooltip: {
          callbacks: {
            label: (item) => {
              const point = byLabel.get(item.dataset.label ?? "");
              if (!point) return "";
              const x = data.x === "cost" ? `$${point.x.toFixed(6)}` : `${point.x.toFixed(0)}`;
              return `${point.label}: ${percent(point.y)} (${percent(point.low)}–${percent(point.high)}), ${x}`;
            },
          },
        },
      },
    },
  });
  canvas.dataset.chartReady = "true";
  return chart;
}

/** Draw every evaluation chart of the page (main.ts calls this where one exists). */
export function start(): void {
  document.querySelectorAll<HTMLCanvasElement>("canvas[data-chart-source]").forEach((canvas) => {
    drawEvalChart(canvas);
  });
}
