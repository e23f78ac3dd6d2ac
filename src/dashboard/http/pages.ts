// The web UI: server-rendered pages (charts are inline SVG drawn here), a little JS for relative times,
// auto-submitting the profile switch and hiding equal rows. Every asset is served by the dashboard itself.
import { readFileSync } from 'node:fs';
import { metricSpec } from '../../report/metrics.js';
import { formatBytes, formatCount, formatMetric } from '../../report/display.js';
import { unmeasuredReason, type MetricValue, type Report } from '../../report/types.js';
import { VERSION } from '../../platform/version.js';
import { compareIds, historyLimit } from './api.js';
import { SESSION_COOKIE, allows, clientAddress, verifyToken } from './auth.js';
import { html, raw, type Html } from './html.js';
import { defaultProfile, type CheckView, type VerdictView } from '../verdicts.js';
import { CHARTS, seriesOf, type ChartSpec } from '../model.js';
import { renderSoakChart } from './soak-chart.js';
import type { Route, RouteResult } from './route.js';
import { HttpError, tooManyFailures, type Comparison, type Dashboard, type DeviceSummary, type VerdictSummary } from '../service.js';

const HTML_TYPE = 'text/html; charset=utf-8';

function page(dashboard: Dashboard, title: string, body: Html, options: { status?: number; signedIn?: boolean } = {}): RouteResult {
  const signOut = options.signedIn
    ? html`<form method="post" action="/logout" class="signout"><button type="submit">Sign out</button></form>`
    : '';
  const doc = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · edgeprobe</title>
<link rel="stylesheet" href="/assets/app.css">
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<script src="/assets/app.js" defer></script>
</head>
<body>
<header class="top"><a class="brand" href="/">edgeprobe</a><nav><a href="/">Devices</a><a href="/compare">Compare</a></nav>${signOut}</header>
<main>
${body}
</main>
<footer>edgeprobe ${VERSION} · ${dashboard.store.kind} storage · keeps the last ${dashboard.settings.keepPerDevice} reports per device</footer>
</body>
</html>
`;
  return { status: options.status ?? 200, contentType: HTML_TYPE, body: doc.value };
}

export function renderErrorPage(status: number, message: string): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${status} · edgeprobe</title><link rel="stylesheet" href="/assets/app.css"></head>
<body><header class="top"><a class="brand" href="/">edgeprobe</a><nav><a href="/">Devices</a><a href="/compare">Compare</a></nav></header>
<main><h1>${status === 404 ? 'Not found' : 'Cannot show this page'}</h1><p class="error">${message}</p><p><a href="/">Back to the devices</a></p></main></body></html>
`.value;
}

function when(iso: string): Html {
  const shown = `${iso.slice(0, 16).replace('T', ' ')} UTC`;
  return html`<time datetime="${iso}" title="${iso}">${shown}</time>`;
}

function verdictClass(verdict: string): string {
  return `v-${verdict.replace(/[^a-z-]/g, '')}`;
}

function verdictBadge(v: VerdictSummary, href?: string): Html {
  const label = html`<span class="badge ${verdictClass(v.verdict)}" title="${v.title}: ${v.verdict}"><span class="profile">${v.profile}</span> ${v.verdict}</span>`;
  return href ? html`<a class="badge-link" href="${href}">${label}</a>` : label;
}

function checkBadge(status: CheckView['status']): Html {
  return html`<span class="badge c-${status}">${status}</span>`;
}

function showValue(id: string, value: MetricValue | undefined, report?: Report, inlineReason = false): Html {
  if (value === undefined || value === null) {
    const reason = report ? unmeasuredReason(report, id) : null;
    return html`<span class="unknown" title="${reason ?? 'not measured'}">unknown</span>${inlineReason && reason ? html`<div class="muted">${reason}</div>` : ''}`;
  }
  return html`${formatMetric(id, value)}`;
}

/** A metric id that may wrap after its dots and underscores (and nowhere else) on narrow screens. */
function metricName(id: string): Html {
  return html`<code class="metric">${id.split(/(?<=[._])/).map((part, i) => (i === 0 ? part : html`<wbr>${part}`))}</code>`;
}

const STATUS_WORDS = /^(pass|warn|fail|unknown|viable-with-warnings|viable|not-viable|not judged|allowed \([a-z]+\))(: (.*))?$/;

/** A compare cell such as "fail: 427 MiB" or "viable": the status as a badge, the rest as text. */
function statusCell(cell: string): Html {
  const match = STATUS_WORDS.exec(cell);
  if (!match) return cell === 'unknown' ? html`<span class="unknown">unknown</span>` : html`${cell}`;
  const word = match[1] ?? '';
  const status = word.startsWith('allowed') ? 'allowed' : word.replace(' ', '-');
  const cls = ['pass', 'warn', 'fail', 'unknown'].includes(status) ? `c-${status}` : verdictClass(status);
  return html`<span class="badge ${cls}">${word}</span>${match[3] ? html` <span class="actual">${match[3]}</span>` : ''}`;
}

// ---------- charts ----------

const MIB = 1024 * 1024;

/** 1, 2, 2.5 or 5 times a power of ten: the smallest such step at least `raw`. */
function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

function trimNumber(value: number): string {
  return String(Number(value.toFixed(1)));
}

function axisLabel(unit: ChartSpec['unit'], value: number): string {
  if (unit === 'bytes') return value === 0 ? '0' : formatBytes(value);
  if (value >= 1e6) return `${trimNumber(value / 1e6)}M/s`;
  if (value >= 1e3) return `${trimNumber(value / 1e3)}k/s`;
  return `${trimNumber(value)}/s`;
}

/** Axis ticks from 0 past the largest value, at a round step (whole MiB for bytes). */
function ticks(unit: ChartSpec['unit'], max: number): number[] {
  const unitSize = unit === 'bytes' && max >= 4 * MIB ? MIB : 1;
  const step = niceStep(max / unitSize / 4) * unitSize;
  const top = Math.max(step, Math.ceil(max / step) * step);
  const out: number[] = [];
  for (let v = 0; v <= top + step / 2; v += step) out.push(v);
  return out;
}

/** A line chart of one ChartSpec over the reports, as inline SVG (readable without JS). */
export function renderChart(spec: ChartSpec, reports: readonly { id: string; createdAt: string; metrics: Record<string, MetricValue> }[]): Html {
  const series = spec.series.map((s) => ({ ...s, points: seriesOf(reports, s.metric) })).filter((s) => s.points.length > 0);
  if (series.length === 0) {
    return html`<figure class="chart" id="chart-${spec.id}"><figcaption>${spec.title}</figcaption><p class="muted">Not measured in these reports.</p></figure>`;
  }
  const W = 360;
  const H = 190;
  const left = 60;
  const right = 12;
  const top = 10;
  const bottom = 26;
  const all = series.flatMap((s) => s.points);
  const times = all.map((p) => Date.parse(p.time));
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const yTicks = ticks(spec.unit, Math.max(...all.map((p) => p.value)));
  const yMax = yTicks[yTicks.length - 1] ?? 1;
  const x = (t: number): number => (t1 === t0 ? left + (W - left - right) / 2 : left + ((t - t0) / (t1 - t0)) * (W - left - right));
  const y = (v: number): number => top + (1 - v / yMax) * (H - top - bottom);
  const grid = yTicks.map((v) => html`<line class="grid" x1="${left}" x2="${W - right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text class="axis" x="${left - 5}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${axisLabel(spec.unit, v)}</text>`);
  const day = (t: number): string => new Date(t).toISOString().slice(0, 10);
  const xLabels = t1 === t0
    ? html`<text class="axis" x="${x(t0).toFixed(1)}" y="${H - 6}" text-anchor="middle">${day(t0)}</text>`
    : html`<text class="axis" x="${left}" y="${H - 6}" text-anchor="start">${day(t0)}</text><text class="axis" x="${W - right}" y="${H - 6}" text-anchor="end">${day(t1)}</text>`;
  const lines = series.map((s, i) => {
    const coords = s.points.map((p) => `${x(Date.parse(p.time)).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
    const dots = s.points.map((p) => html`<circle class="s${i}" cx="${x(Date.parse(p.time)).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="3.5"><title>${s.label}, ${p.time.slice(0, 16).replace('T', ' ')} UTC: ${formatMetric(s.metric, p.value)}</title></circle>`);
    return html`<polyline class="s${i}" points="${coords}"/>${dots}`;
  });
  const legend = series.map((s, i) => html`<li><span class="swatch s${i}"></span>${s.label} <code>${s.metric}</code></li>`);
  return html`<figure class="chart" id="chart-${spec.id}">
<figcaption>${spec.title}</figcaption>
<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${spec.title} over time" preserveAspectRatio="xMidYMid meet">${grid}${xLabels}${lines}</svg>
<ul class="legend">${legend}</ul>
</figure>`;
}

// ---------- pages ----------

const STREAMING = [['streaming.channels_messages_per_second', 'Channels'], ['streaming.python_messages_per_second', 'Python'], ['streaming.node_messages_per_second', 'Node']] as const;

/** The most telling streaming figure a report has: Channels, else plain Python, else Node. */
function streamingCell(report: Report): Html {
  for (const [metric, label] of STREAMING) {
    const value = report.metrics[metric];
    if (typeof value === 'number') return html`${formatMetric(metric, value)} <span class="muted">${label}</span>`;
  }
  return showValue(STREAMING[0][0], report.metrics[STREAMING[0][0]], report);
}

function deviceRow(device: DeviceSummary): Html {
  const href = `/devices/${encodeURIComponent(device.id)}`;
  return html`<tr>
<td class="pick"><input type="checkbox" name="ids" value="${device.id}" aria-label="compare ${device.name}"></td>
<td class="name"><a href="${href}">${device.name}</a><div class="muted">${device.board ?? ''}${device.board && device.hostname !== device.name ? ' · ' : ''}${device.hostname !== device.name ? device.hostname : ''}</div></td>
<td class="verdicts">${device.verdicts.length > 0 ? device.verdicts.map((v) => verdictBadge(v, `/reports/${device.latestReportId}#verdict-${v.profile}`)) : html`<span class="muted">no profiles</span>`}</td>
<td class="seen">${when(device.lastSeen)}</td>
<td class="count">${device.reportCount}</td>
</tr>`;
}

function hardwarePicker(dashboard: Dashboard, selected: readonly string[] = []): Html {
  const hardware = dashboard.hardware();
  if (hardware.length === 0) return html``;
  return html`<fieldset class="hardware"><legend>Reference hardware</legend>${hardware.map((h) => html`<label><input type="checkbox" name="ids" value="hw:${h.id}"${selected.includes(`hw:${h.id}`) ? raw(' checked') : ''}> ${h.name}</label>`)}</fieldset>`;
}

async function deviceListPage(dashboard: Dashboard, signedIn: boolean): Promise<RouteResult> {
  const devices = await dashboard.devices();
  const body = devices.length === 0
    ? html`<h1>Devices</h1><div class="empty"><p>No reports yet. Send one:</p><pre>edgeprobe run --upload URL --token TOKEN
edgeprobe upload report.json --to URL --token TOKEN</pre></div>`
    : html`<h1>Devices <span class="muted">(${devices.length})</span></h1>
<form method="get" action="/compare" class="device-list">
<div class="table-wrap"><table class="devices">
<thead><tr><th class="pick"><span class="sr">compare</span></th><th>Device</th><th>Latest verdicts</th><th>Last seen</th><th>Reports</th></tr></thead>
<tbody>${devices.map(deviceRow)}</tbody>
</table></div>
${hardwarePicker(dashboard)}
<p><button type="submit">Compare selected</button></p>
</form>`;
  return page(dashboard, 'Devices', body, { signedIn });
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
  return html`<p class="capacity">Capacity: ${workers}${clients}.</p>`;
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

function comparePicker(dashboard: Dashboard, devices: DeviceSummary[], selected: readonly string[]): Html {
  return html`<form method="get" action="/compare" class="picker">
<fieldset><legend>Devices</legend>${devices.length === 0 ? html`<p class="muted">No devices yet.</p>` : devices.map((d) => html`<label><input type="checkbox" name="ids" value="${d.id}"${selected.includes(d.id) ? raw(' checked') : ''}> ${d.name}</label>`)}</fieldset>
${hardwarePicker(dashboard, selected)}
<p><button type="submit">Compare</button></p>
</form>`;
}

function compareTable(cmp: Comparison, ids: readonly string[]): Html {
  const without = (id: string): string => `/compare?ids=${encodeURIComponent(ids.filter((x) => x !== id).join(','))}${cmp.profile ? `&profile=${encodeURIComponent(cmp.profile.id)}` : ''}`;
  const head = cmp.entries.map((e) => {
    const link = e.kind === 'hardware' ? null : e.kind === 'device' ? `/devices/${encodeURIComponent(e.deviceId ?? '')}` : `/reports/${e.reportId ?? ''}`;
    return html`<th class="entry" scope="col"><span class="kind k-${e.kind}">${e.kind === 'hardware' ? 'spec sheet' : e.kind}</span>
<div class="entry-name">${link ? html`<a href="${link}">${e.name}</a>` : e.name}</div><div class="muted">${e.subtitle}</div>
${e.verdict ? verdictBadge(e.verdict) : ''}
${ids.length > 1 ? html`<a class="remove" href="${without(e.id)}" title="remove from the comparison">remove</a>` : ''}</th>`;
  });
  const sectionRows = cmp.sections.map((section) => html`<tr class="section"><th colspan="${cmp.entries.length + 1}">${section.title}${section.title === 'Checks' && cmp.profile ? html` for ${cmp.profile.title}` : ''}</th></tr>
${section.rows.map((row) => html`<tr class="${row.differs ? 'differs' : 'same'}"><th scope="row">${/^[a-z_]+\.[a-z0-9_]+$/.test(row.label) ? metricName(row.label) : row.label}</th>${row.cells.map((cell) => html`<td>${statusCell(cell)}</td>`)}</tr>`)}`);
  const metricRows = cmp.metrics.map((row) => html`<tr class="${row.differs ? 'differs' : 'same'}"><th scope="row">${metricName(row.metric)}</th>${row.values.map((v) => html`<td>${showValue(row.metric, v)}</td>`)}</tr>`);
  const cols = cmp.entries.length + 1;
  return html`<div class="table-wrap"><table class="compare">
<thead><tr><th scope="col" class="corner">${cmp.entries.length} side by side</th>${head}</tr></thead>
<tbody>
${sectionRows}
<tr class="section"><th colspan="${cols}">${cmp.sections.length > 0 ? 'All measurements' : 'Measurements'}</th></tr>
${metricRows}
</tbody></table></div>`;
}

async function comparePage(dashboard: Dashboard, url: URL, signedIn: boolean): Promise<RouteResult> {
  const ids = compareIds(url);
  const devices = await dashboard.devices();
  if (ids.length === 0) {
    return page(dashboard, 'Compare', html`<h1>Compare</h1><p>Pick any devices and reference boards to see them side by side.</p>${comparePicker(dashboard, devices, [])}`, { signedIn });
  }
  const cmp = await dashboard.compare(ids, url.searchParams.get('profile'));
  const differing = cmp.metrics.filter((r) => r.differs).length + cmp.sections.reduce((n, section) => n + section.rows.filter((r) => r.differs).length, 0);
  const profileForm = cmp.profiles.length > 0
    ? html`<form method="get" action="/compare" class="profile-switch"><input type="hidden" name="ids" value="${ids.join(',')}">
<label>Profile <select name="profile" data-autosubmit>${cmp.profiles.map((p) => html`<option value="${p.id}"${cmp.profile?.id === p.id ? raw(' selected') : ''}>${p.title}</option>`)}</select></label>
<noscript><button type="submit">Switch</button></noscript></form>`
    : html`<p class="muted">No profiles are installed, so no checks are shown.</p>`;
  const notIncluded = devices.filter((d) => !ids.includes(d.id));
  const addForm = notIncluded.length + dashboard.hardware().length > 0
    ? html`<form method="get" action="/compare" class="add"><input type="hidden" name="ids" value="${ids.join(',')}">${cmp.profile ? html`<input type="hidden" name="profile" value="${cmp.profile.id}">` : ''}
<label>Add <select name="ids">${notIncluded.map((d) => html`<option value="${d.id}">${d.name}</option>`)}${dashboard.hardware().filter((h) => !ids.includes(`hw:${h.id}`)).map((h) => html`<option value="hw:${h.id}">${h.name} (spec sheet)</option>`)}</select></label> <button type="submit">Add</button></form>`
    : '';
  const body = html`<h1>Compare</h1>
<div class="toolbar">${profileForm}${addForm}
<label class="only-diff" hidden><input type="checkbox" id="only-differences"> Only differences <span class="muted">(${differing})</span></label></div>
${compareTable(cmp, ids)}`;
  return page(dashboard, 'Compare', body, { signedIn });
}

function loginPage(dashboard: Dashboard, next: string, message: string | null, status = 200): RouteResult {
  return page(dashboard, 'Sign in', html`<h1>Sign in</h1>
<p>This dashboard needs a token with the <code>read</code> scope. Create one on the server with <code>edgeprobe serve token create --scope read</code>.</p>
${message ? html`<p class="error">${message}</p>` : ''}
<form method="post" action="/login" class="login"><input type="hidden" name="next" value="${next}">
<label>Token <input type="password" name="token" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form>`, { status });
}

/** Only same-site paths may be the target of the post-login redirect. */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
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
    method: 'GET', path: '/', scope: 'read', kind: 'page', summary: 'device list: latest verdict per profile, last seen',
    handler: async ({ dashboard, token }) => deviceListPage(dashboard, signedIn(token)),
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
  {
    method: 'GET', path: '/login', scope: null, kind: 'page', summary: 'sign-in form (token)',
    handler: async ({ dashboard, url }) => loginPage(dashboard, safeNext(url.searchParams.get('next')), null),
  },
  {
    method: 'POST', path: '/login', scope: null, kind: 'page', summary: 'sign in: sets an HttpOnly, SameSite=Strict session cookie holding the token',
    handler: async (ctx) => {
      const form = new URLSearchParams(await ctx.body(['application/x-www-form-urlencoded']));
      const next = safeNext(form.get('next'));
      const address = clientAddress(ctx.req);
      const wait = ctx.dashboard.authLimiter.retryAfter(address);
      if (wait > 0) throw tooManyFailures(wait);
      const token = await verifyToken(ctx.dashboard.store, form.get('token') ?? '');
      if (!token) ctx.dashboard.authLimiter.fail(address);
      if (!token) return loginPage(ctx.dashboard, next, 'That token is unknown, revoked or mistyped.', 401);
      if (!allows(token.scopes, 'read')) return loginPage(ctx.dashboard, next, `The token "${token.name}" cannot read (scopes: ${token.scopes.join(', ')}).`, 403);
      const cookie = `${SESSION_COOKIE}=${encodeURIComponent(form.get('token') ?? '')}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${30 * 24 * 3600}`;
      return { status: 303, contentType: 'text/plain; charset=utf-8', body: 'signed in\n', headers: { location: next, 'set-cookie': cookie } };
    },
  },
  {
    method: 'POST', path: '/logout', scope: null, kind: 'page', summary: 'sign out: clears the session cookie',
    handler: async () => ({
      status: 303, contentType: 'text/plain; charset=utf-8', body: 'signed out\n',
      headers: { location: '/login', 'set-cookie': `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0` },
    }),
  },
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

