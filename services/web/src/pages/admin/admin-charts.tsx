/**
 * Chart.js 4, in the admin chunk only, with only the pieces these charts use registered (tree
 * shaking keeps the rest out). A chart is a canvas with role="img" and an aria-label that says
 * what it shows in words; each chart on the page also has a table with the same numbers.
 */
import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  DoughnutController,
  Legend,
  LinearScale,
  Tooltip,
  type ChartConfiguration,
  type ChartType,
} from 'chart.js';
import { useEffect, useRef } from 'react';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, DoughnutController, ArcElement, Tooltip, Legend);

/** One accent and calm companions, distinguishable for common colour-vision deficiencies. */
export const PALETTE = ['#4338ca', '#0e7490', '#b45309', '#be185d', '#15803d', '#6d28d9', '#475569', '#a16207'];

function cssVar(name: string, fallback: string): string {
  if (typeof document === 'undefined') return fallback;
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** A Chart.js chart that follows its config: the same chart is updated in place (no flicker). */
export function ChartCanvas<T extends ChartType>({
  config,
  label,
  height = 280,
  testId,
}: {
  config: ChartConfiguration<T>;
  label: string;
  height?: number;
  testId?: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<T> | null>(null);

  useEffect(() => {
    if (!canvas.current) return;
    Chart.defaults.font.family = cssVar('--font-sans', 'system-ui, sans-serif');
    Chart.defaults.color = cssVar('--color-ink-soft', '#4b5563');
    Chart.defaults.borderColor = cssVar('--color-line', '#d7dbe1');
    const c = new Chart(canvas.current, {
      ...config,
      options: { responsive: true, maintainAspectRatio: false, animation: false, ...config.options },
    } as ChartConfiguration<T>);
    chart.current = c;
    return () => {
      c.destroy();
      chart.current = null;
    };
    // Created once per chart type; data and options follow below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [config.type]);

  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    c.data = config.data;
    if (config.options)
      c.options = { responsive: true, maintainAspectRatio: false, animation: false, ...config.options } as typeof c.options;
    c.update('none');
  }, [config]);

  return (
    <div className="relative w-full min-w-0" style={{ height }}>
      <canvas ref={canvas} role="img" aria-label={label} data-testid={testId} data-summary={label}>
        {label}
      </canvas>
    </div>
  );
}
