// The web UI: server-rendered pages (charts are inline SVG, see charts.ts), a little JS for relative times,
// auto-submitting the profile switch and hiding equal rows. Every asset is served by the dashboard itself.
import { readFileSync } from 'node:fs';
import { metricSpec } from '../../report/metrics.js';
import { formatCount, formatMetric } from '../../report/display.js';
import type { Report } from '../../report/types.js';
import { historyLimit } from './api.js';
import { renderChart } from './charts.js';
import { comparePage } from './compare-page.js';
import { deviceListPage } from './device-list.js';
import { html, raw, type Html } from './html.js';
import { checkBadge, metricName, page, showValue, verdictBadge, when } from './layout.js';
import { LOGIN_ROUTES } from './login.js';
import { defaultProfile, type CheckView, type VerdictView } from '../verdicts.js';
import { CHARTS } from '../model.js';
import { renderSoakChart } from './soak-chart.js';
import type { Route, RouteResult } from './route.js';
import { HttpError, type Dashboard } from '../service.js';

export { renderErrorPage } from './layout.js';
export { renderChart } from './charts.js';

const STREAMING = [['streaming.channels_messages_per_second', 'Channels'], ['streaming.python_messages_per_second', 'Python'], ['streaming.node_messages_per_second', 'Node']] as const;

/** The most telling streaming figure a report has: Channels, else plain Python, else Node. */
function streamingCell(report: Report): Html {
  for (const [metric, label] of STREAMING) {
    const value = report.metrics[metric];
    if (typeof value === 'number') return html`${formatMetric(metric, value)} <span class="muted">${label}</span>`;
  }
  return showValue(STREAMING[0][0], report.metrics[STREAMING[0][0]], report);
}

async function devicePage(dashboard: Dashboard, id: string, url: URL, signedIn: boolean): Promise<RouteResult> {
  const found = await dashboard.device(id, historyLimit(url));
  if (!found) throw new HttpError(404, 'not_found', `No device with id ${id}.`);
  const { device, reports } = found;
  const latest = reports[0];
  const history = reports.map((r) => ({ id: r.stored.id, createdAt: r.stored.createdAt, metrics: r.report.metrics }));
  const metricCell = (r: (typeof reports)[number], metric: string): Html => showValue(metric, r.report.metrics[metric], r.report);
  const body = html`<h1>${device.name}</h1>
<dl class="facts">
<div><dt>Board</dt><dd>${device.board ?? 'unknown'}</dd></div>
<div><dt>Hostname</dt><dd>${device.hostname}</dd></div>
<div><dt>OS</dt><dd>${latest ? showValue('host.os', latest.report.metrics['host.os'], latest.report) : ''}</dd></div>
<div><dt>First seen</dt><dd>${when(device.firstSeen)}</dd></div>
<div><dt>Last seen</dt><dd>${when(device.lastSeen)}</dd></div>
<div><dt>Reports kept</dt><dd>${device.reportCount}</dd></div>
</dl>
<section><h2>Latest verdicts</h2><p class="verdicts">${device.verdicts.length > 0 ? device.verdicts.map((v) => verdictBadge(v, `/reports/${device.latestReportId}#verdict-${v.profile}`)) : html`<span class="muted">No profiles are installed.</span>`}</p>
<p><a class="button" href="/compare?ids=${encodeURIComponent(device.id)}">Compare with other devices</a></p></section>
<section><h2>History</h2><div class="charts">${CHARTS.map((spec) => renderChart(spec, history))}</div></section>
<section><h2>Reports</h2>
<form method="get" action="/compare">
<div class="table-wrap"><table class="history">
<thead><tr><th class="pick"><span class="sr">compare</span></th><th>Measured</th><th>Verdicts</th><th>Available memory</th><th>CPU (1 thread)</th><th>Streaming</th></tr></thead>
<tbody>${reports.map((r) => html`<tr>
<td class="pick"><input type="checkbox" name="ids" value="report:${r.stored.id}" aria-label="compare report ${r.stored.createdAt}"></td>
<td><a href="/reports/${r.stored.id}">${when(r.stored.createdAt)}</a></td>
<td class="verdicts">${r.verdicts.map((v) => verdictBadge(v))}</td>
<td>${metricCell(r, 'memory.effective_available_bytes')}</td>
<td>${metricCell(r, 'cpu.single_thread_score')}</td>
<td>${streamingCell(r.report)}</td>
</tr>`)}</tbody></table></div>
<p><button type="submit">Compare selected reports</button></p>
</form></section>`;
  return page(dashboard, device.name, body, { signedIn });
}

const SEVERITY: Record<CheckView['status'], number> = { fail: 0, warn: 1, unknown: 2, pass: 3 };

/** How big a deployment fits, in one line. */
function capacityLine(verdict: VerdictView): Html {
  const c = verdict.capacity;
  if (c.workers === null) return html`<p class="capacity muted">Capacity: not estimable from this report.</p>`;
  const workers = html`<strong>${c.workers} ${c.server.toUpperCase()} worker${c.workers === 1 ? '' : 's'}</strong> (bound by ${c.binding})`;
  const clients = c.server === 'asgi' && c.websocketClients !== null
    ? html`, about <strong>${formatCount(c.websocketClients)} WebSocket clients</strong> at ${c.messagesPerClientPerSecond} msg/s each (bound by ${c.clientsBinding})`
    : '';
  const requests = c.requestsPerSecond !== null ? html`, <strong>${formatCount(c.requestsPerSecond)} req/s</strong> with p95 within ${c.latencyTargetMs} ms` : '';
  return html`<p class="capacity">Capacity: ${workers}${requests}${clients}.</p>`;
}

function checksTable(verdict: VerdictView): Html {
  const checks = [...verdict.checks].sort((a, b) => SEVERITY[a.status] - SEVERITY[b.status]);
  return html`<div class="table-wrap"><table class="checks">
<thead><tr><th>Check</th><th>Status</th><th>Expected</th><th>Actual</th><th>Why / advice</th></tr></thead>
<tbody>${checks.map((c) => html`<tr class="c-row-${c.status}"><td>${c.title}<div>${metricName(c.metric)}</div></td><td>${checkBadge(c.status)}</td><td>${c.expected}</td><td>${c.actual === null ? html`<span class="unknown">unknown</span>` : formatMetric(c.metric, c.actual)}</td><td>${c.message}${c.why ? html`<div class="advice">Why: ${c.why}</div>` : ''}${c.status !== 'pass' && c.advice ? html`<div class="advice">Advice: ${c.advice}</div>` : ''}</td></tr>`)}</tbody>
</table></div>`;
}

async function reportPage(dashboard: Dashboard, id: string, signedIn: boolean): Promise<RouteResult> {
  const loaded = await dashboard.report(id);
  if (!loaded) throw new HttpError(404, 'not_found', `No report with id ${id}.`);
  const { report, stored } = loaded;
  const first = defaultProfile();
  const verdicts = [...loaded.verdicts].sort((a, b) => Number(b.profile === first) - Number(a.profile === first));
  const device = await dashboard.store.getDevice(stored.deviceId);
  const name = device?.name ?? report.host.label ?? report.host.hostname;
  const body = html`<p class="crumbs"><a href="/devices/${encodeURIComponent(stored.deviceId)}">${name}</a> › report</p>
<h1>${name} <span class="muted">${when(stored.createdAt)}</span></h1>
<p class="muted">Report <code>${stored.id}</code> · agent ${report.agent.version} (${report.agent.mode}) · received ${when(stored.receivedAt)} · <a href="/api/v1/reports/${stored.id}">JSON</a></p>
${verdicts.map((v, i) => html`<details class="verdict" id="verdict-${v.profile}"${i === 0 ? raw(' open') : ''}><summary><h2>${v.title} ${verdictBadge(v)}</h2></summary><p>${v.summary}</p>${capacityLine(v)}${checksTable(v)}</details>`)}
${renderSoakChart(report)}
<section><h2>Measurements</h2>${report.probes.map((probe) => html`<h3>${probe.id} <span class="badge p-${probe.status}">${probe.status}</span> <span class="muted">${probe.durationMs} ms</span></h3>
${probe.error ? html`<p class="error">${probe.error.code}: ${probe.error.message}</p>` : ''}
${Object.keys(probe.metrics).length > 0 ? html`<div class="table-wrap"><table class="metrics"><tbody>${Object.keys(probe.metrics).map((mid) => html`<tr><th><code>${mid}</code><div class="muted">${metricSpec(mid)?.description ?? ''}</div></th><td>${showValue(mid, report.metrics[mid] ?? probe.metrics[mid], report, true)}</td></tr>`)}</tbody></table></div>` : ''}`)}
</section>`;
  return page(dashboard, `${name} report`, body, { signedIn });
}

interface Asset {
  type: string;
  body: Buffer;
}

const ASSET_TYPES: Record<string, string> = { css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8', svg: 'image/svg+xml' };
// The icon lives here; the build copies only .css and .js assets beside the compiled code.
const FAVICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#18202b"/><path d="M6 22 L12 14 L17 18 L26 8" stroke="#4dabf7" stroke-width="3" fill="none" stroke-linecap="round" stroke-linejoin="round"/></svg>';
const ASSETS = new Map<string, Asset>([['favicon.svg', { type: 'image/svg+xml', body: Buffer.from(FAVICON) }]]);

function asset(name: string): Asset | null {
  if (!/^[a-z0-9-]+\.(css|js|svg)$/.test(name)) return null;
  let found = ASSETS.get(name);
  if (!found) {
    try {
      const body = readFileSync(new URL(`./assets/${name}`, import.meta.url));
      found = { type: ASSET_TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream', body };
      ASSETS.set(name, found);
    } catch {
      return null;
    }
  }
  return found;
}

const signedIn = (token: { scopes: readonly string[] } | null): boolean => token !== null;

export const PAGE_ROUTES: readonly Route[] = [
  {
    method: 'GET', path: '/', scope: 'read', kind: 'page', summary: 'device list: latest verdict per profile, last seen; ?q= searches, ?offset= pages',
    handler: async ({ dashboard, url, token }) => deviceListPage(dashboard, url, signedIn(token)),
  },
  {
    method: 'GET', path: '/devices/:id', scope: 'read', kind: 'page', summary: 'one device: history charts and its reports',
    handler: async ({ dashboard, params, url, token }) => devicePage(dashboard, params['id'] ?? '', url, signedIn(token)),
  },
  {
    method: 'GET', path: '/reports/:id', scope: 'read', kind: 'page', summary: 'one report: verdicts with their checks, every measurement',
    handler: async ({ dashboard, params, token }) => reportPage(dashboard, params['id'] ?? '', signedIn(token)),
  },
  {
    method: 'GET', path: '/compare', scope: 'read', kind: 'page', summary: 'devices, reports and spec sheets side by side, with the profile switchable',
    handler: async ({ dashboard, url, token }) => comparePage(dashboard, url, signedIn(token)),
  },
  ...LOGIN_ROUTES,
  {
    method: 'GET', path: '/assets/:name', scope: null, kind: 'page', summary: 'the stylesheet, script and icon (no CDN)',
    handler: async ({ params }) => {
      const found = asset(params['name'] ?? '');
      if (!found) throw new HttpError(404, 'not_found', `No asset ${params['name'] ?? ''}.`);
      return { status: 200, contentType: found.type, body: found.body, headers: { 'cache-control': 'public, max-age=3600' } };
    },
  },
  {
    method: 'GET', path: '/favicon.ico', scope: null, kind: 'page', summary: 'the icon',
    handler: async () => {
      const found = asset('favicon.svg');
      if (!found) throw new HttpError(404, 'not_found', 'No icon.');
      return { status: 200, contentType: found.type, body: found.body, headers: { 'cache-control': 'public, max-age=3600' } };
    },
  },
];
