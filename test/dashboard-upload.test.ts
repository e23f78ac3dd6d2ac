// Upload end to end with real processes: `edgeprobe upload` and `run --upload` against the real
// `edgeprobe serve`. With the dashboard down, reports are spooled (written atomically); once it is up,
// a flush delivers each exactly once; a re-sent report is never stored twice.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fixtureRoot, runCli } from './helpers/cli.js';
import { createTokenCli, type ServeProcess, startServe } from './helpers/dashboard.js';
import { historicReport, makeReport } from './helpers/dashboard-reports.js';
import { sparePort } from './helpers/services.js';

const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-upload-test-'));
const db = join(dir, 'dashboard.sqlite');
const spool = join(dir, 'spool');
let serve: ServeProcess | undefined;
after(async () => {
  await serve?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function spooled(): string[] {
  return existsSync(spool)
    ? readdirSync(spool)
        .filter((n) => n.endsWith('.json'))
        .sort()
    : [];
}

async function storedIds(url: string, token: string): Promise<string[]> {
  const devices = (await (await fetch(`${url}/api/v1/devices`, { headers: { authorization: `Bearer ${token}` } })).json()) as { devices: { id: string }[] };
  const ids: string[] = [];
  for (const d of devices.devices) {
    const history = (await (await fetch(`${url}/api/v1/devices/${d.id}?limit=1000`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      reports: { id: string }[];
    };
    ids.push(...history.reports.map((r) => r.id));
  }
  return ids.sort();
}

function writeReport(name: string, report: object): string {
  const path = join(dir, name);
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  return path;
}

test('dashboard down: uploads spool; up: a flush delivers each report exactly once; nothing lost, nothing stored twice', async () => {
  const token = await createTokenCli(db, 'upload,read');
  const port = await sparePort();
  const url = `http://127.0.0.1:${port}`;
  const r1 = historicReport({ label: 'pi-spool', daysAgo: 2, factor: 0.9 });
  const r2 = historicReport({ label: 'pi-spool', daysAgo: 1, factor: 1 });
  const f1 = writeReport('r1.json', r1);
  const f2 = writeReport('r2.json', r2);
  const common = ['--token', token, '--spool', spool, '--retries', '1', '--timeout', '3'];

  // Down: both reports are spooled, exit 3 (incomplete), and say how they will be sent.
  const down = await runCli(['upload', f1, f2, '--to', url, ...common]);
  assert.equal(down.code, 3, down.stdout + down.stderr);
  assert.match(down.stdout, /spooled to/);
  assert.deepEqual(spooled(), [`${r1.id}.json`, `${r2.id}.json`].sort());
  const entry = JSON.parse(readFileSync(join(spool, `${r1.id}.json`), 'utf8')) as { to: string; report: { id: string } };
  assert.equal(entry.to, url);
  assert.equal(entry.report.id, r1.id);
  assert.ok(!readFileSync(join(spool, `${r1.id}.json`), 'utf8').includes(token), 'the token is never written to the spool');
  assert.deepEqual(
    readdirSync(spool).filter((n) => n.endsWith('.tmp')),
    [],
    'no temp files left: written atomically',
  );

  // `run --upload` while down: the fresh report is spooled too; the run's own exit code is unchanged.
  const runArgs = ['run', '--quick', '--root', fixtureRoot('pi-3b-bullseye-armhf'), '--label', 'pi-from-run', '--format', 'json'];
  const plain = await runCli(runArgs);
  const run = await runCli([...runArgs, '--upload', url, '--token', token, '--spool', spool]);
  assert.equal(run.code, plain.code, `the run's exit code is its verdict's, upload or not: ${run.stderr}`);
  assert.match(run.stderr, /upload: spooled to/);
  const runId = (JSON.parse(run.stdout) as { id: string }).id;
  assert.equal(spooled().length, 3);

  // Up: one flush (no --to: each goes where it was meant to) delivers all three.
  serve = await startServe(db, port, ['--quiet']);
  const flush = await runCli(['upload', '--flush', ...common]);
  assert.equal(flush.code, 0, flush.stdout + flush.stderr);
  assert.match(flush.stdout, /flush: 3 delivered, 0 set aside, 0 waiting/);
  assert.deepEqual(spooled(), []);
  assert.deepEqual(await storedIds(serve.url, token), [r1.id, r2.id, runId].sort());

  // A second flush has nothing to send; a crash between the dashboard's answer and the spool file's
  // removal (simulated: the file put back) makes the next flush re-send it, and it is not stored twice.
  const again = await runCli(['upload', '--flush', ...common]);
  assert.match(again.stdout, /flush: 0 delivered/);
  mkdirSync(join(dir, 'kept'), { recursive: true });
  writeFileSync(
    join(spool, `${r1.id}.json`),
    JSON.stringify({ schema: 'edgeprobe.spool/v1', to: url, spooledAt: new Date().toISOString(), lastError: 'simulated crash', report: r1 }),
  );
  const resend = await runCli(['upload', '--flush', ...common]);
  assert.equal(resend.code, 0, resend.stdout);
  assert.match(resend.stdout, /already stored/);
  const direct = await runCli(['upload', f2, '--to', url, ...common]);
  assert.equal(direct.code, 0);
  assert.match(direct.stdout, /already stored/);
  assert.deepEqual(await storedIds(serve.url, token), [r1.id, r2.id, runId].sort());

  // Down again: r3 is spooled; back up, the next upload (r4) also sends r3.
  await serve.stop();
  const r3 = makeReport({ label: 'pi-spool' });
  const r4 = makeReport({ label: 'pi-spool' });
  assert.equal((await runCli(['upload', writeReport('r3.json', r3), '--to', url, ...common])).code, 3);
  serve = await startServe(db, port, ['--quiet']);
  const next = await runCli(['upload', writeReport('r4.json', r4), '--to', url, ...common]);
  assert.equal(next.code, 0, next.stdout + next.stderr);
  assert.match(next.stdout, new RegExp(`spool: delivered ${r3.id}`));
  assert.deepEqual(spooled(), []);
  assert.deepEqual(await storedIds(serve.url, token), [r1.id, r2.id, r3.id, r4.id, runId].sort());
});

test('a refused token keeps the report for later; a bad report is never sent nor spooled; a broken spool file is set aside', async () => {
  assert.ok(serve, 'the first test left the dashboard running');
  const url = serve.url;
  const token = await createTokenCli(db, 'upload,read');
  const readOnly = await createTokenCli(db, 'read');
  const common = ['--spool', spool, '--retries', '0', '--timeout', '3'];
  const r = makeReport({ label: 'pi-auth' });
  const file = writeReport('auth.json', r);
  const refused = await runCli(['upload', file, '--to', url, '--token', readOnly, ...common]);
  assert.equal(refused.code, 3, refused.stdout);
  assert.match(refused.stdout, /not accepted .*403/);
  assert.deepEqual(spooled(), [`${r.id}.json`]);

  const bad = writeReport('bad.json', { ...r, schema: 'edgeprobe.report/v9' });
  const rejected = await runCli(['upload', bad, '--to', url, '--token', token, ...common]);
  assert.equal(rejected.code, 1);
  assert.match(rejected.stderr, /not a valid report: unsupported report schema/);
  assert.deepEqual(spooled(), [`${r.id}.json`]);

  copyFileSync(file, join(spool, '00000000-0000-4000-8000-000000000000.json'));
  const flush = await runCli(['upload', '--flush', '--token', token, ...common]);
  assert.match(flush.stdout, /flush: 1 delivered, 1 set aside, 0 waiting/);
  assert.ok(existsSync(join(spool, 'rejected', '00000000-0000-4000-8000-000000000000.json')), 'kept aside, not deleted');
  assert.ok((await storedIds(url, token)).includes(r.id));

  const usage = await runCli(['upload', file, '--token', token, ...common], { env: { ...process.env, EDGEPROBE_DASHBOARD: '' } });
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--to URL/);
});
