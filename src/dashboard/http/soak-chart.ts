// The report page's soak chart: temperature, clock and throughput over the soak, three panels on one time
// axis in one inline SVG (readable without JS), with the throttled stretches shaded.
import type { Report } from '../../report/types.js';
import { type SoakPoint, soakSeries, throttledSpans } from '../soak.js';
import { type Html, html } from './html.js';

const W = 640;
const PANEL_H = 110;
const GAP = 26;
const LEFT = 84;
const RIGHT = 12;
const TOP = 22;
const BOTTOM = 24;

interface Panel {
  title: string;
  value(point: SoakPoint): number | null;
  label(value: number): string;
}

const perSecond = (v: number): string => (v >= 1000 ? `${(v / 1000).toFixed(1)}k/s` : `${Math.round(v)}/s`);

const PANELS: readonly Panel[] = [
  { title: 'SoC temperature', value: (p) => p.celsius, label: (v) => `${Math.round(v)} °C` },
  { title: 'cpu0 clock', value: (p) => p.mhz, label: (v) => `${Math.round(v)} MHz` },
  { title: 'throughput (WebSocket messages)', value: (p) => p.rate, label: perSecond },
];
/** Drawn only when the soak ran the Django HTTP load too. */
const REQUESTS_PANEL: Panel = { title: 'throughput (Django HTTP requests)', value: (p) => p.requests, label: perSecond };

function minutes(seconds: number): string {
  return seconds >= 120 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds)} s`;
}

function panel(spec: Panel, index: number, points: readonly SoakPoint[], x: (t: number) => number): Html {
  const top = TOP + index * (PANEL_H + GAP);
  const values = points.map(spec.value).filter((v): v is number => v !== null);
  if (values.length === 0) {
    return html`<text class="axis" x="${LEFT}" y="${top + PANEL_H / 2}">${spec.title}: not measured on this board</text>`;
  }
  const min = Math.min(...values);
  const max = Math.max(...values);
  const pad = max === min ? Math.max(1, Math.abs(max) * 0.05) : (max - min) * 0.1;
  const lo = Math.max(0, min - pad);
  const hi = max + pad;
  const y = (v: number): number => top + (1 - (v - lo) / (hi - lo)) * PANEL_H;
  const coords = points.flatMap((p) => {
    const v = spec.value(p);
    return v === null ? [] : [`${x(p.t).toFixed(1)},${y(v).toFixed(1)}`];
  });
  return html`<line class="grid" x1="${LEFT}" x2="${W - RIGHT}" y1="${top + PANEL_H}" y2="${top + PANEL_H}"/>
<text class="axis" x="${LEFT - 5}" y="${(y(max) + 4).toFixed(1)}" text-anchor="end">${spec.label(max)}</text>
<text class="axis" x="${LEFT - 5}" y="${(y(min) + 4).toFixed(1)}" text-anchor="end">${spec.label(min)}</text>
<text class="axis" x="${LEFT}" y="${top - 6}">${spec.title}</text>
<polyline class="s${index % 3}" points="${coords.join(' ')}"/>`;
}

/** The soak chart of a report, or nothing when the report holds no soak. */
export function renderSoakChart(report: Pick<Report, 'probes'>): Html {
  const points = soakSeries(report);
  if (!points) return html``;
  const t0 = points[0]?.t ?? 0;
  const t1 = points[points.length - 1]?.t ?? 1;
  const x = (t: number): number => LEFT + ((t - t0) / Math.max(1e-9, t1 - t0)) * (W - LEFT - RIGHT);
  const panels = points.some((p) => p.requests !== null) ? [...PANELS, REQUESTS_PANEL] : PANELS;
  const height = TOP + panels.length * (PANEL_H + GAP) - GAP + BOTTOM;
  const shades = throttledSpans(points).map(
    ([from, to]) =>
      html`<rect x="${x(from).toFixed(1)}" y="${TOP}" width="${Math.max(1, x(to) - x(from)).toFixed(1)}" height="${height - TOP - BOTTOM}" fill="#d9480f" fill-opacity="0.12"><title>throttled ${minutes(from)} to ${minutes(to)}</title></rect>`,
  );
  const axis = html`<text class="axis" x="${LEFT}" y="${height - 6}" text-anchor="start">${minutes(t0)}</text><text class="axis" x="${W - RIGHT}" y="${height - 6}" text-anchor="end">${minutes(t1)}</text>`;
  const note = shades.length > 0 ? html` The shaded stretches are where the board throttled.` : html``;
  return html`<section><h2>Soak</h2><figure class="chart" id="chart-soak">
<figcaption>Temperature, clock and throughput under the sustained load</figcaption>
<svg viewBox="0 0 ${W} ${height}" role="img" aria-label="Soak: temperature, clock and throughput over time" preserveAspectRatio="xMidYMid meet">${shades}${panels.map((spec, i) => panel(spec, i, points, x))}${axis}</svg>
<p class="muted">One sample a second, at most 600 points (each keeps the hottest temperature, the lowest clock and the mean throughput of its stretch).${note}</p>
</figure></section>`;
}
