// Hostnames, labels and board strings carrying HTML, JavaScript and SQL payloads: stored verbatim (the API
// gives them back byte for byte) and inert in real headless Chromium on the device list, the device pages,
// the report pages and the compare page: no dialog, no script error or CSP violation, no injected element,
// and the payload shown as text.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { SESSION_COOKIE } from '../../src/dashboard/http/auth.js';
import type { Report } from '../../src/report/types.js';
import { chromiumSkip, launchChromium } from '../helpers/chromium.js';
import { createTokenCli, type ServeProcess, startServe } from '../helpers/dashboard.js';
import { makeReport, PI3_METRICS } from '../helpers/dashboard-reports.js';
import { recordFigures } from '../helpers/figures.js';
import { send } from '../helpers/http-client.js';

const skip = chromiumSkip();

/** Each payload, if it ran, would open a dialog and set window.__pwned. */
const PAYLOADS = [
  '<script>alert(1);window.__pwned=1</script>',
  '"><img src=x onerror="alert(2);window.__pwned=1">',
  "'><svg/onload=alert(3)>",
  '<iframe src="javascript:alert(4)"></iframe>',
  '</title></script><script>window.__pwned=1</script>',
  '<a href="javascript:alert(5)" id="pwn-link">x</a>',
  '<style>body{display:none}</style><b id="pwn-b">bold</b>',
  "{{constructor.constructor('alert(6)')()}}",
  '${alert(7)}`+alert(8)+`',
  "'; DROP TABLE reports; --",
  "\" OR 1=1; DELETE FROM devices WHERE '1'='1",
  "Robert'); UPDATE tokens SET scopes='admin';--",
  '\\"\\u003cscript\\u003ealert(9)\\u003c/script\\u003e',
  '<!-- --><img src=x onerror=alert(10)>&lt;script&gt;',
  'x\u202etxt.exe <b>\u00e9\u4e2d\ud83d\ude00',
];

const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-injection-'));
let serve: ServeProcess | undefined;
let context: BrowserContext | undefined;
let readToken = '';
const uploaded: { report: Report; id: string; deviceId: string }[] = [];

before(async () => {
  const db = join(dir, 'dashboard.sqlite');
  const uploadToken = await createTokenCli(db, 'upload');
  readToken = await createTokenCli(db, 'read');
  serve = await startServe(db, 0, ['--quiet']);
  for (let i = 0; i < PAYLOADS.length; i++) {
    const pick = (k: number): string => PAYLOADS[(i + k) % PAYLOADS.length] ?? '';
    const report = makeReport({ hostname: `${pick(0)} #${i}`, label: pick(1), metrics: { ...PI3_METRICS, 'host.board': pick(2), 'host.os': pick(3) } });
    const answer = await send(
      undefined,
      serve.url,
      'POST',
      '/api/v1/reports',
      { authorization: `Bearer ${uploadToken}`, 'content-type': 'application/json' },
      Buffer.from(JSON.stringify(report)),
    );
    assert.equal(answer.status, 201, `payload ${i}: ${answer.body}`);
    const body = JSON.parse(answer.body) as { id: string; device: { id: string } };
    uploaded.push({ report, id: body.id, deviceId: body.device.id });
  }
});

after(async () => {
  await context?.close();
  await serve?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('payloads are stored verbatim: the API gives them back byte for byte', { timeout: 60_000 }, async () => {
  assert.ok(serve);
  const problems: string[] = [];
  for (const { report, id } of uploaded) {
    const answer = await send(undefined, serve.url, 'GET', `/api/v1/reports/${id}`, { authorization: `Bearer ${readToken}` });
    assert.equal(answer.status, 200);
    const back = (JSON.parse(answer.body) as { report: Report }).report;
    for (const [what, sent, got] of [
      ['hostname', report.host.hostname, back.host.hostname],
      ['label', report.host.label, back.host.label],
      ['board', report.metrics['host.board'], back.metrics['host.board']],
      ['os', report.metrics['host.os'], back.metrics['host.os']],
    ] as const) {
      if (!Buffer.from(String(got)).equals(Buffer.from(String(sent)))) problems.push(`${id} ${what}: sent ${JSON.stringify(sent)}, got ${JSON.stringify(got)}`);
    }
  }
  // The SQL payloads did nothing to the store: every report and device is still there, the tokens still work.
  const devices = await send(undefined, serve.url, 'GET', '/api/v1/devices', { authorization: `Bearer ${readToken}` });
  const list = (JSON.parse(devices.body) as { devices: unknown[] }).devices;
  assert.equal(list.length, PAYLOADS.length);
  for (const payload of PAYLOADS)
    if (!devices.body.includes(JSON.stringify(payload).slice(1, -1))) problems.push(`device list lacks ${JSON.stringify(payload)}`);
  recordFigures('dashboard injection', { trials: uploaded.length, faultsInjected: uploaded.length * 4, reportsLost: PAYLOADS.length - list.length });
  assert.deepEqual(problems, []);
});

test('payloads render inert in headless Chromium on every page', { skip, timeout: 150_000 }, async () => {
  assert.ok(serve);
  const problems: string[] = [];
  context = await launchChromium(dir);
  const url = new URL(serve.url);
  await context.addCookies([{ name: SESSION_COOKIE, value: readToken, domain: url.hostname, path: '/', httpOnly: true, sameSite: 'Strict' }]);
  const page: Page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(20_000);
  let where = '';
  page.on('dialog', (dialog) => {
    problems.push(`${where}: dialog ${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`${where}: console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`${where}: page error: ${err.message}`));
  page.on('request', (request) => {
    const target = new URL(request.url());
    if (target.origin !== url.origin && target.protocol !== 'data:') problems.push(`${where}: request to ${request.url()}`);
  });
  // What each page must show as text; a device may be named by its label rather than its hostname.
  const name = (r: Report): string[] => [r.host.hostname, r.host.label ?? r.host.hostname];
  const pages: [string, string, string[][]][] = [['device list', '/', uploaded.map((u) => name(u.report))]];
  for (const u of uploaded) {
    pages.push([`device ${u.deviceId}`, `/devices/${encodeURIComponent(u.deviceId)}`, [name(u.report)]]);
    pages.push([`report ${u.id}`, `/reports/${u.id}`, [name(u.report), [String(u.report.metrics['host.board'])]]]);
  }
  for (let i = 0; i < uploaded.length; i += 4) {
    const group = uploaded.slice(i, i + 4);
    pages.push([`compare ${i}`, `/compare?ids=${group.map((u) => u.id).join(',')}`, group.map((u) => name(u.report))]);
  }
  for (const [title, path, shown] of pages) {
    where = title;
    const response = await page.goto(`${serve.url}${path}`, { waitUntil: 'load' });
    if (response?.status() !== 200) problems.push(`${title}: HTTP ${String(response?.status())}`);
    await page.waitForTimeout(50);
    const state = (await page.evaluate(`({
      pwned: window.__pwned === 1,
      injected: [...document.querySelectorAll('iframe, img[src="x"], svg[onload], [onerror], [onload], #pwn-link, #pwn-b, style:not([data-keep])')].map((e) => e.outerHTML.slice(0, 80)),
      inlineScripts: [...document.querySelectorAll('script')].filter((s) => !s.src).length,
      hidden: getComputedStyle(document.body).display === 'none',
      text: document.body.innerText,
    })`)) as { pwned: boolean; injected: string[]; inlineScripts: number; hidden: boolean; text: string };
    if (state.pwned) problems.push(`${title}: a payload ran`);
    if (state.injected.length > 0) problems.push(`${title}: injected elements ${state.injected.join(' | ')}`);
    if (state.inlineScripts > 0) problems.push(`${title}: ${state.inlineScripts} inline script element(s)`);
    if (state.hidden) problems.push(`${title}: an injected style hid the page`);
    // Shown as text (whitespace may be collapsed by layout, so compare with it collapsed).
    const text = state.text.replace(/\s+/g, ' ');
    for (const alternatives of shown) {
      const found = alternatives.some((value) => text.includes(value.replace(/\s+/g, ' ').trim()));
      if (!found) problems.push(`${title}: none of ${JSON.stringify(alternatives)} is shown as text`);
    }
  }
  recordFigures('dashboard injection', { trials: pages.length, faultsInjected: pages.length, leftovers: problems.length });
  assert.deepEqual(problems, []);
});
