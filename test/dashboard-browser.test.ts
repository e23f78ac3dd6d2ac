// The web UI in real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core) against the
// real `edgeprobe serve`: sign in, the device list, a device page with its charts, the compare page, on
// desktop and phone widths. A device named like an HTML tag is shown as text and no script runs.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { CHROMIUM, launchChromium } from './helpers/chromium.js';
import { fixtureRoot, REPO_ROOT, runCli } from './helpers/cli.js';
import { createTokenCli, type ServeProcess, startServe } from './helpers/dashboard.js';
import { makeReport } from './helpers/dashboard-reports.js';
import { executable, requireComponent } from './helpers/env.js';
import { makeTestPki, opensslAvailable } from './helpers/tls.js';

const XSS = '<img src=x onerror=alert(1)>';
const SHOTS = join(REPO_ROOT, 'dist', 'test', 'screenshots');
const skip = requireComponent(executable(CHROMIUM), 'Chromium', 'apt-get install chromium');

const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-browser-test-'));
let serve: ServeProcess | undefined;
let context: BrowserContext | undefined;
let readToken = '';
const dialogs: string[] = [];
const problems: string[] = [];

before(async () => {
  if (skip) return;
  const db = join(dir, 'dashboard.sqlite');
  const uploadToken = await createTokenCli(db, 'upload');
  readToken = await createTokenCli(db, 'read');
  serve = await startServe(db, 0, ['--quiet']);
  // Real reports from the agent on recorded device trees: two of the oddly named Pi 3 B (the older one
  // moved back six days and given its own id, so its charts have a history), one of a Pi Zero W.
  const measure = async (board: string, label: string): Promise<Record<string, unknown>> => {
    const result = await runCli(['run', '--quick', '--root', fixtureRoot(board), '--label', label, '--format', 'json']);
    assert.ok(result.code !== 2 && result.stdout.startsWith('{'), result.stderr);
    const { verdict: _verdict, ...report } = JSON.parse(result.stdout) as Record<string, unknown>;
    return report;
  };
  const pi3 = await measure('pi-3b-bullseye-armhf', XSS);
  const older = {
    ...pi3,
    id: randomUUID(),
    createdAt: new Date(Date.now() - 6 * 86_400_000).toISOString(),
    metrics: {
      ...(pi3['metrics'] as Record<string, unknown>),
      'memory.available_bytes': 420 * 1024 * 1024,
      'memory.effective_available_bytes': 400 * 1024 * 1024,
    },
  };
  const zero = await measure('pi-zero-w-revision-only', 'zero-w-lab');
  const files = [older, pi3, zero].map((report, i) => {
    const path = join(dir, `report-${i}.json`);
    writeFileSync(path, JSON.stringify(report, null, 2));
    return path;
  });
  const up = await runCli(['upload', ...files, '--to', serve.url, '--token', uploadToken, '--spool', join(dir, 'spool'), '--retries', '0']);
  assert.equal(up.code, 0, up.stdout + up.stderr);
  context = await launchChromium(dir);
  context.on('page', watch);
  for (const page of context.pages()) watch(page);
  mkdirSync(SHOTS, { recursive: true });
});

function watch(page: Page): void {
  page.setDefaultTimeout(15_000);
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
}

after(async () => {
  await context?.close();
  await serve?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function shoot(page: Page, name: string): Promise<void> {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: join(SHOTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(SHOTS, `${name}-phone.png`), fullPage: true });
  await page.screenshot({ path: join(SHOTS, `${name}-phone-top.png`) });
  // On a phone nothing may be wider than the screen except inside the scrollable table wrappers.
  const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
  assert.ok(overflow <= 1, `${name}: the page is ${overflow}px wider than a 390px phone screen`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function signIn(page: Page, url: string): Promise<void> {
  // Reads need a token: the browser is sent to the sign-in page, and back after it.
  await page.goto(`${url}/`);
  assert.match(page.url(), /\/login\?next=%2F$/);
  await shoot(page, 'login');
  await page.fill('input[name=token]', readToken);
  await page.click('form.login button[type=submit]');
  await page.waitForSelector('table.devices');
  assert.equal(new URL(page.url()).pathname, '/');
}

async function checkDeviceList(page: Page): Promise<void> {
  // The device list: both devices, the odd name as literal text, no <img> element anywhere.
  const names = await page.locator('table.devices td.name a').allTextContents();
  assert.deepEqual([...names].sort(), [XSS, 'zero-w-lab'].sort());
  assert.equal(await page.locator('img').count(), 0, 'the name was not parsed as HTML');
  assert.equal(await page.locator('table.devices tbody tr').count(), 2);
  assert.match(await page.locator('table.devices').innerText(), /Raspberry Pi 3 Model B/);
  // The latest verdict per profile, for each device.
  const profiles = await page.locator('table.devices tbody tr').first().locator('.verdicts .badge').count();
  assert.ok(profiles >= 3, `a verdict badge per profile (${profiles})`);
  assert.match(await page.locator('table.devices').innerText(), /django-wsgi\s+(viable|viable-with-warnings|not-viable|unknown)/);
  // The recorded trees hold no Python, supervisor or stack: each badge says how many checks are unknown.
  assert.match(await page.locator('table.devices').innerText(), /django-wsgi\s+unknown, \d+ checks unknown \(\d+ could fail\)/);
  const seen = await page.locator('td.seen time').first().innerText();
  assert.match(seen, /ago|just now/, 'relative time from app.js');
  await shoot(page, 'devices');
}

async function checkDevicePage(page: Page): Promise<void> {
  // The device page: title and heading carry the name as text; the memory chart has both reports.
  await page.locator('table.devices td.name a', { hasText: XSS }).click();
  await page.waitForSelector('#chart-memory svg');
  assert.equal(await page.locator('h1').innerText(), XSS);
  assert.equal(await page.title(), `${XSS} · edgeprobe`);
  assert.equal(await page.locator('#chart-memory svg circle.s0').count(), 2, 'two points: both reports');
  const tooltip = await page.locator('#chart-memory svg circle.s0 title').first().textContent();
  assert.match(tooltip ?? '', /effective available, .* UTC: 400 MiB/, 'the older report is the first point');
  assert.match(await page.locator('#chart-streaming').innerText(), /Not measured/, 'a --quick run has no streaming figures');
  assert.equal(await page.locator('table.history tbody tr').count(), 2);
  assert.equal(await page.locator('img').count(), 0);
  await shoot(page, 'device');
}

async function checkReportPage(page: Page): Promise<void> {
  // One report: each profile's verdict with its checks, every measurement, unknowns with their reason.
  await page.locator('table.history tbody tr a').first().click();
  await page.waitForSelector('table.metrics');
  assert.ok((await page.locator('table.checks').count()) >= 3, 'a checks table per profile');
  assert.equal(await page.locator('details.verdict[open]').count(), 1, 'the default profile is open, the others folded');
  await page.locator('#verdict-django-wsgi > summary').click();
  assert.match(await page.locator('#verdict-django-wsgi').innerText(), /Capacity: [\s\S]*Why: /);
  assert.match(await page.locator('body').innerText(), /cpu\.single_thread_score[\s\S]*unknown/);
  await shoot(page, 'report');
}

async function checkCompare(page: Page, url: string): Promise<void> {
  // Compare: pick both devices and a reference board on the list.
  await page.goto(`${url}/`);
  await page.locator('table.devices input[type=checkbox]').first().check();
  await page.locator('table.devices input[type=checkbox]').nth(1).check();
  await page.locator('fieldset.hardware input[value="hw:pi-3b"]').check();
  await page.click('form.device-list button[type=submit]');
  await page.waitForSelector('table.compare');
  assert.equal(await page.locator('table.compare th.entry').count(), 3);
  const head = await page.locator('table.compare thead').innerText();
  assert.match(head, /zero-w-lab/);
  assert.match(head, /SPEC SHEET/i);
  assert.ok(head.includes(XSS));
  const differing = page.locator('table.compare tr.differs');
  const same = page.locator('table.compare tr.same');
  assert.ok((await differing.count()) > 0, 'rows that differ are marked');
  assert.ok((await same.count()) > 0, 'rows that agree too');
  const boardRow = page.locator('table.compare tr', { has: page.locator('code', { hasText: /^host\.board$/ }) }).first();
  assert.equal(await boardRow.getAttribute('class'), 'differs');
  assert.match(
    await page
      .locator('tr.section')
      .filter({ hasText: /^Checks for/ })
      .innerText(),
    /Django Channels/,
  );
  await shoot(page, 'compare');
  await page.check('#only-differences');
  assert.equal(await same.first().isVisible(), false, 'only differences: equal rows hidden');
  assert.equal(await differing.first().isVisible(), true);
  await page.uncheck('#only-differences');
  // Switching the profile (the select submits itself) judges everything again under the other profile.
  await Promise.all([page.waitForURL(/profile=django-wsgi/), page.selectOption('select[name=profile]', 'django-wsgi')]);
  assert.match(
    await page
      .locator('tr.section')
      .filter({ hasText: /^Checks for/ })
      .innerText(),
    /WSGI/i,
  );
  assert.equal(await page.locator('table.compare th.entry').count(), 3, 'the same entries');
  assert.equal(await page.locator('img').count(), 0);
}

test('sign in, device list, device page with charts, compare: names shown as text, no script from data runs', { skip, timeout: 90_000 }, async () => {
  assert.ok(context && serve);
  const page = context.pages()[0] ?? (await context.newPage());
  await signIn(page, serve.url);
  await checkDeviceList(page);
  await checkDevicePage(page);
  await checkReportPage(page);
  await checkCompare(page, serve.url);

  assert.deepEqual(dialogs, [], 'no dialog was opened: no script from the data ran');
  assert.deepEqual(problems, [], 'no console errors, CSP violations or failed requests');
});

/** Uploads one report each of 60 devices, a minute apart, over TLS to the dashboard at url. */
async function uploadFleet(url: string, token: string, caCert: string): Promise<void> {
  const files = Array.from({ length: 60 }, (_, i) => {
    const path = join(dir, `fleet-${i}.json`);
    writeFileSync(
      path,
      JSON.stringify(makeReport({ label: `fleet-pi-${String(i).padStart(2, '0')}`, createdAt: new Date(Date.now() - (60 - i) * 60_000).toISOString() })),
    );
    return path;
  });
  const sent = await runCli(['upload', ...files, '--to', url, '--token', token, '--ca', caCert, '--spool', join(dir, 'fleet-spool'), '--retries', '0']);
  assert.equal(sent.code, 0, sent.stdout + sent.stderr);
}

test('over HTTPS: the tab bypass of the sign-in redirect stays on the dashboard, the cookie is Secure; 60 devices page by 50 and search', {
  skip: skip || requireComponent(opensslAvailable(), 'openssl', 'apt-get install openssl'),
  timeout: 120_000,
}, async () => {
  const pki = makeTestPki(dir);
  const db = join(dir, 'fleet.sqlite');
  const upload = await createTokenCli(db, 'upload');
  const read = await createTokenCli(db, 'read');
  const tls = await startServe(db, 0, ['--quiet', '--tls-cert', pki.serverCert, '--tls-key', pki.serverKey]);
  // Chromium trusts exactly this server key, as a browser would trust a certificate from the private CA.
  const browser = await launchChromium(dir, [`--ignore-certificate-errors-spki-list=${pki.serverSpki}`], 'chromium-tls');
  try {
    await uploadFleet(tls.url, upload, pki.caCert);
    const page = browser.pages()[0] ?? (await browser.newPage());
    watch(page);
    await page.goto(`${tls.url}/login?next=${encodeURIComponent('/\t/evil.example/x')}`);
    await page.fill('input[name=token]', read);
    await page.click('form.login button[type=submit]');
    await page.waitForSelector('table.devices');
    assert.equal(new URL(page.url()).origin, tls.url, 'the browser stayed on the dashboard');
    const cookie = (await browser.cookies(tls.url)).find((c) => c.name === 'edgeprobe_token');
    assert.equal(cookie?.secure, true);
    assert.equal(cookie?.httpOnly, true);
    // 60 devices: the newest 50 first, then the other 10.
    assert.equal(await page.locator('table.devices tbody tr').count(), 50);
    assert.match(await page.locator('nav.pager').innerText(), /1–50 of 60/);
    assert.equal(await page.locator('table.devices td.name a').first().innerText(), 'fleet-pi-59');
    await page.click('nav.pager a[rel=next]');
    await page.waitForURL(/offset=50/);
    assert.equal(await page.locator('table.devices tbody tr').count(), 10);
    assert.match(await page.locator('nav.pager').innerText(), /51–60 of 60/);
    await shoot(page, 'devices-paged');
    await page.fill('form.search input[name=q]', 'pi-0');
    await page.click('form.search button[type=submit]');
    await page.waitForURL(/q=pi-0/);
    assert.deepEqual(
      await page.locator('table.devices td.name a').allTextContents(),
      Array.from({ length: 10 }, (_, i) => `fleet-pi-0${9 - i}`),
    );
    await page.locator('table.devices input[type=checkbox]').nth(0).check();
    await page.locator('table.devices input[type=checkbox]').nth(1).check();
    await page.click('form.device-list button[type=submit]');
    await page.waitForSelector('table.compare');
    assert.equal(await page.locator('table.compare th.entry').count(), 2);
    assert.deepEqual(problems, [], 'no console errors, CSP violations or failed requests');
  } finally {
    await browser.close();
    await tls.stop();
  }
});
