// The device list: a page of devices at a time, most recently seen first, searchable by name, hostname,
// board or id. Each device shows its latest verdicts; ticked devices (and reference boards) go to compare.
import { type Dashboard, type DevicePage, type DeviceSummary, HttpError } from '../service.js';
import { type Html, html, raw } from './html.js';
import { page, verdictBadge, when } from './layout.js';
import type { RouteResult } from './route.js';

export const DEFAULT_DEVICE_PAGE = 50;
export const MAX_DEVICE_PAGE = 500;
const MAX_SEARCH = 200;

/** ?q=&limit=&offset= for device lists (API and pages). */
export function devicePageQuery(url: URL, defaultLimit = DEFAULT_DEVICE_PAGE): { search: string | null; limit: number; offset: number } {
  const number = (name: string, fallback: number, min: number, max: number): number => {
    const value = url.searchParams.get(name);
    if (value === null || value === '') return fallback;
    if (!/^\d{1,10}$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new HttpError(400, 'bad_request', `${name} must be a whole number from ${min} to ${max}`);
    }
    return Number(value);
  };
  const search = url.searchParams.get('q')?.trim() ?? '';
  if (search.length > MAX_SEARCH) throw new HttpError(400, 'bad_request', `q may be at most ${MAX_SEARCH} characters`);
  return { search: search || null, limit: number('limit', defaultLimit, 1, MAX_DEVICE_PAGE), offset: number('offset', 0, 0, 1_000_000_000) };
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

export function hardwarePicker(dashboard: Dashboard, selected: readonly string[] = []): Html {
  const hardware = dashboard.hardware();
  if (hardware.length === 0) return html``;
  return html`<fieldset class="hardware"><legend>Reference hardware</legend>${hardware.map((h) => html`<label><input type="checkbox" name="ids" value="hw:${h.id}"${selected.includes(`hw:${h.id}`) ? raw(' checked') : ''}> ${h.name}</label>`)}</fieldset>`;
}

export function searchForm(action: string, search: string | null): Html {
  return html`<form method="get" action="${action}" class="search" role="search">
<label><span class="sr">Search devices</span><input type="search" name="q" value="${search ?? ''}" placeholder="name, hostname, board" maxlength="${MAX_SEARCH}"></label>
<button type="submit">Search</button>${search ? html` <a href="${action}">Show all</a>` : ''}</form>`;
}

/** "1–50 of 5000" with previous and next links that keep the search. */
export function pager(action: string, found: DevicePage): Html {
  if (found.total === 0) return html``;
  const link = (offset: number): string => {
    const params = new URLSearchParams();
    if (found.search) params.set('q', found.search);
    if (found.limit !== DEFAULT_DEVICE_PAGE) params.set('limit', String(found.limit));
    if (offset > 0) params.set('offset', String(offset));
    const query = params.toString();
    return query ? `${action}?${query}` : action;
  };
  const first = Math.min(found.offset + 1, found.total);
  const last = Math.min(found.offset + found.devices.length, found.total);
  const previous = found.offset > 0 ? html`<a rel="prev" href="${link(Math.max(0, found.offset - found.limit))}">← Newer</a>` : '';
  const next = found.offset + found.limit < found.total ? html`<a rel="next" href="${link(found.offset + found.limit)}">Older →</a>` : '';
  return html`<nav class="pager" aria-label="pages of devices">${previous} <span class="range">${first}–${last} of ${found.total}</span> ${next}</nav>`;
}

export async function deviceListPage(dashboard: Dashboard, url: URL, signedIn: boolean): Promise<RouteResult> {
  const found = await dashboard.devices(devicePageQuery(url));
  if (found.total === 0 && !found.search) {
    return page(
      dashboard,
      'Devices',
      html`<h1>Devices</h1><div class="empty"><p>No reports yet. Send one:</p><pre>edgeprobe run --upload URL --token TOKEN
edgeprobe upload report.json --to URL --token TOKEN</pre></div>`,
      { signedIn },
    );
  }
  const table =
    found.devices.length === 0
      ? html`<p class="empty">No device matches “${found.search ?? ''}”.</p>`
      : html`<div class="table-wrap"><table class="devices">
<thead><tr><th class="pick"><span class="sr">compare</span></th><th>Device</th><th>Latest verdicts</th><th>Last seen</th><th>Reports</th></tr></thead>
<tbody>${found.devices.map(deviceRow)}</tbody>
</table></div>`;
  const body = html`<h1>Devices <span class="muted">(${found.total})</span></h1>
${searchForm('/', found.search)}
<form method="get" action="/compare" class="device-list">
${table}
${pager('/', found)}
${hardwarePicker(dashboard)}
<p><button type="submit">Compare selected</button></p>
</form>`;
  return page(dashboard, 'Devices', body, { signedIn });
}
