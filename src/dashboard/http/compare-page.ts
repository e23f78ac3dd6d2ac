// The compare page: devices, past reports and spec sheets side by side, judged under one profile.

import type { Comparison, Dashboard, DevicePage } from '../service.js';
import { compareIds } from './api.js';
import { devicePageQuery, hardwarePicker, searchForm } from './device-list.js';
import { type Html, html, raw } from './html.js';
import { metricName, page, showValue, statusCell, verdictBadge } from './layout.js';
import type { RouteResult } from './route.js';

/** Devices offered by the picker and the Add list: the most recently seen ones. */
const PICKER_SIZE = 50;

function comparePicker(dashboard: Dashboard, found: DevicePage, selected: readonly string[]): Html {
  const devices = found.devices;
  const more =
    found.total > devices.length ? html`<p class="muted">The ${devices.length} most recently seen of ${found.total}; search to find others.</p>` : '';
  return html`${searchForm('/compare', found.search)}<form method="get" action="/compare" class="picker">
<fieldset><legend>Devices</legend>${devices.length === 0 ? html`<p class="muted">${found.search ? 'No device matches.' : 'No devices yet.'}</p>` : devices.map((d) => html`<label><input type="checkbox" name="ids" value="${d.id}"${selected.includes(d.id) ? raw(' checked') : ''}> ${d.name}</label>`)}${more}</fieldset>
${hardwarePicker(dashboard, selected)}
<p><button type="submit">Compare</button></p>
</form>`;
}

function compareTable(cmp: Comparison, ids: readonly string[]): Html {
  const without = (id: string): string =>
    `/compare?ids=${encodeURIComponent(ids.filter((x) => x !== id).join(','))}${cmp.profile ? `&profile=${encodeURIComponent(cmp.profile.id)}` : ''}`;
  const head = cmp.entries.map((e) => {
    const link = e.kind === 'hardware' ? null : e.kind === 'device' ? `/devices/${encodeURIComponent(e.deviceId ?? '')}` : `/reports/${e.reportId ?? ''}`;
    return html`<th class="entry" scope="col"><span class="kind k-${e.kind}">${e.kind === 'hardware' ? 'spec sheet' : e.kind}</span>
<div class="entry-name">${link ? html`<a href="${link}">${e.name}</a>` : e.name}</div><div class="muted">${e.subtitle}</div>
${e.verdict ? verdictBadge(e.verdict) : ''}
${ids.length > 1 ? html`<a class="remove" href="${without(e.id)}" title="remove from the comparison">remove</a>` : ''}</th>`;
  });
  const sectionRows = cmp.sections.map(
    (
      section,
    ) => html`<tr class="section"><th colspan="${cmp.entries.length + 1}">${section.title}${section.title === 'Checks' && cmp.profile ? html` for ${cmp.profile.title}` : ''}</th></tr>
${section.rows.map((row) => html`<tr class="${row.differs ? 'differs' : 'same'}"><th scope="row">${/^[a-z_]+\.[a-z0-9_]+$/.test(row.label) ? metricName(row.label) : row.label}</th>${row.cells.map((cell) => html`<td>${statusCell(cell)}</td>`)}</tr>`)}`,
  );
  const metricRows = cmp.metrics.map(
    (row) =>
      html`<tr class="${row.differs ? 'differs' : 'same'}"><th scope="row">${metricName(row.metric)}</th>${row.values.map((v) => html`<td>${showValue(row.metric, v)}</td>`)}</tr>`,
  );
  const cols = cmp.entries.length + 1;
  return html`<div class="table-wrap"><table class="compare">
<thead><tr><th scope="col" class="corner">${cmp.entries.length} side by side</th>${head}</tr></thead>
<tbody>
${sectionRows}
<tr class="section"><th colspan="${cols}">${cmp.sections.length > 0 ? 'All measurements' : 'Measurements'}</th></tr>
${metricRows}
</tbody></table></div>`;
}

export async function comparePage(dashboard: Dashboard, url: URL, signedIn: boolean): Promise<RouteResult> {
  const ids = compareIds(url);
  if (ids.length === 0) {
    const found = await dashboard.devices(devicePageQuery(url, PICKER_SIZE));
    return page(
      dashboard,
      'Compare',
      html`<h1>Compare</h1><p>Pick any devices and reference boards to see them side by side.</p>${comparePicker(dashboard, found, [])}`,
      { signedIn },
    );
  }
  const cmp = await dashboard.compare(ids, url.searchParams.get('profile'));
  const differing = cmp.metrics.filter((r) => r.differs).length + cmp.sections.reduce((n, section) => n + section.rows.filter((r) => r.differs).length, 0);
  const profileForm =
    cmp.profiles.length > 0
      ? html`<form method="get" action="/compare" class="profile-switch"><input type="hidden" name="ids" value="${ids.join(',')}">
<label>Profile <select name="profile" data-autosubmit>${cmp.profiles.map((p) => html`<option value="${p.id}"${cmp.profile?.id === p.id ? raw(' selected') : ''}>${p.title}</option>`)}</select></label>
<noscript><button type="submit">Switch</button></noscript></form>`
      : html`<p class="muted">No profiles are installed, so no checks are shown.</p>`;
  // The most recently seen devices are offered; any other is a search away on the device list.
  const notIncluded = (await dashboard.store.listDevices({ limit: PICKER_SIZE + ids.length })).filter((d) => !ids.includes(d.id)).slice(0, PICKER_SIZE);
  const addForm =
    notIncluded.length + dashboard.hardware().length > 0
      ? html`<form method="get" action="/compare" class="add"><input type="hidden" name="ids" value="${ids.join(',')}">${cmp.profile ? html`<input type="hidden" name="profile" value="${cmp.profile.id}">` : ''}
<label>Add <select name="ids">${notIncluded.map((d) => html`<option value="${d.id}">${d.name}</option>`)}${dashboard
          .hardware()
          .filter((h) => !ids.includes(`hw:${h.id}`))
          .map((h) => html`<option value="hw:${h.id}">${h.name} (spec sheet)</option>`)}</select></label> <button type="submit">Add</button></form>`
      : '';
  const body = html`<h1>Compare</h1>
<div class="toolbar">${profileForm}${addForm}
<label class="only-diff" hidden><input type="checkbox" id="only-differences"> Only differences <span class="muted">(${differing})</span></label></div>
${compareTable(cmp, ids)}`;
  return page(dashboard, 'Compare', body, { signedIn });
}
