// Crash consistency of `edgeprobe serve` on SQLite: kill -9 while well over 100 uploads are in flight,
// five rounds, restarting on the same database each time. Every upload answered 2xx is there after the
// restart, the store's integrity check passes, and reports spooled by `edgeprobe upload` (the dashboard
// died under them or was down) are delivered by `upload --flush` exactly once.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openStore, type Store } from '../../src/dashboard/store/store.js';
import { runCli } from '../helpers/cli.js';
import { createTokenCli, type ServeProcess, startServe } from '../helpers/dashboard.js';
import { makeReport } from '../helpers/dashboard-reports.js';
import { recordFigures } from '../helpers/figures.js';
import { keepAliveAgent, send } from '../helpers/http-client.js';
import { sparePort } from '../helpers/services.js';

const ROUNDS = 5;
const UPLOADS_PER_ROUND = 260;
const KILL_AFTER_ANSWERS = 30;
const MIN_IN_FLIGHT = 100;
const CLI_DURING = 4;
const CLI_WHILE_DOWN = 2;

const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-crash-'));
const db = join(dir, 'dashboard.sqlite');
const spool = join(dir, 'spool');
const files = join(dir, 'reports');
let serve: ServeProcess | null = null;

after(async () => {
  await serve?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function killHard(child: ServeProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.child.exitCode !== null || child.child.signalCode !== null) {
      resolve();
      return;
    }
    child.child.once('exit', () => resolve());
    child.child.kill('SIGKILL');
  });
}

/** `edgeprobe upload FILE` with its own spool, one attempt: it either delivers or spools. */
function cliUpload(url: string, token: string, hostname: string): { id: string; done: Promise<number | null> } {
  const report = makeReport({ hostname });
  const file = join(files, `${hostname}.json`);
  writeFileSync(file, JSON.stringify(report));
  const done = runCli(['upload', file, '--to', url, '--token', token, '--spool', spool, '--retries', '0', '--timeout', '5'], { timeoutMs: 60_000 }).then(
    (r) => r.code,
  );
  return { id: report.id, done };
}

/** What the rounds share and the final checks report. */
interface CrashTally {
  uploadToken: string;
  adminToken: string;
  acknowledged: Set<string>;
  cliReports: { id: string; hostname: string }[];
  problems: string[];
  fiveHundreds: number;
  sentTotal: number;
  lost: number;
}

/** Every acknowledged report still answers 200 after a restart, and the integrity check passes. */
async function checkAcknowledged(tally: CrashTally, url: string, when: string): Promise<void> {
  const agent = keepAliveAgent(8);
  try {
    for (const id of tally.acknowledged) {
      const answer = await send(agent, url, 'GET', `/api/v1/reports/${id}`, { authorization: `Bearer ${tally.adminToken}` });
      if (answer.status !== 200) {
        tally.lost++;
        tally.problems.push(`${when}: acknowledged report ${id} answers ${answer.status}`);
      }
    }
    const integrity = await send(agent, url, 'GET', '/api/v1/admin/integrity', { authorization: `Bearer ${tally.adminToken}` });
    const result = JSON.parse(integrity.body) as { ok: boolean; problems: string[] };
    if (integrity.status !== 200 || !result.ok) tally.problems.push(`${when}: integrity check: ${integrity.body}`);
  } finally {
    agent.destroy();
  }
}

function cliUploads(tally: CrashTally, url: string, count: number, prefix: string): Promise<number | null>[] {
  return Array.from({ length: count }, (_, i) => {
    const hostname = `${prefix}${i}`;
    const upload = cliUpload(url, tally.uploadToken, hostname);
    tally.cliReports.push({ id: upload.id, hostname });
    return upload.done;
  });
}

/** One round: the server is killed with -9 once KILL_AFTER_ANSWERS uploads are answered, the rest cut off. */
async function crashRound(tally: CrashTally, round: number, port: number): Promise<void> {
  const current = await startServe(db, port, ['--quiet']);
  serve = current;
  const url = current.url;
  await checkAcknowledged(tally, url, `restart ${round}`);
  // A socket per upload, so every upload not yet answered at the kill is on the wire, not queued here.
  const agent = keepAliveAgent(UPLOADS_PER_ROUND);
  let answered = 0;
  let cutOff = 0;
  let inFlightAtKill = -1;
  let killed: Promise<void> | null = null;
  const during = cliUploads(tally, url, CLI_DURING, `crash-cli-r${round}-d`);
  const uploads = Array.from({ length: UPLOADS_PER_ROUND }, async (_, i) => {
    const report = makeReport({ hostname: `crash-r${round}-${i}` });
    tally.sentTotal++;
    try {
      const headers = { authorization: `Bearer ${tally.uploadToken}`, 'content-type': 'application/json' };
      const answer = await send(agent, url, 'POST', '/api/v1/reports', headers, Buffer.from(JSON.stringify(report)), 20_000);
      if (answer.status >= 500) tally.fiveHundreds++;
      if (answer.status === 201 || answer.status === 200) tally.acknowledged.add(report.id);
      else tally.problems.push(`round ${round}: upload answered ${answer.status}: ${answer.body.slice(0, 200)}`);
    } catch {
      // Cut off by the kill: not acknowledged, so the client would retry; nothing is promised for it.
      cutOff++;
    }
    answered++;
    if (answered >= KILL_AFTER_ANSWERS && killed === null) {
      inFlightAtKill = UPLOADS_PER_ROUND - answered;
      killed = killHard(current);
    }
  });
  await Promise.all(uploads);
  await killed;
  agent.destroy();
  if (inFlightAtKill < MIN_IN_FLIGHT) tally.problems.push(`round ${round}: only ${inFlightAtKill} uploads in flight at the kill`);
  if (cutOff < MIN_IN_FLIGHT / 2) tally.problems.push(`round ${round}: only ${cutOff} uploads were cut off by the kill`);
  // While it is down: these can only spool.
  const whileDown = cliUploads(tally, url, CLI_WHILE_DOWN, `crash-cli-r${round}-w`);
  await Promise.all([...during, ...whileDown]);
}

/** After the flush: every CLI report is stored, each on a device of its own holding exactly that one report. */
async function checkCliReports(tally: CrashTally, url: string): Promise<{ id: string }[]> {
  const auth = { authorization: `Bearer ${tally.adminToken}` };
  for (const { id, hostname } of tally.cliReports) {
    const devices = await send(undefined, url, 'GET', `/api/v1/reports/${id}`, auth);
    if (devices.status !== 200) {
      tally.lost++;
      tally.problems.push(`spooled/CLI report ${hostname} (${id}) missing after flush: ${devices.status}`);
    }
  }
  const list = await send(undefined, url, 'GET', '/api/v1/devices?q=crash-cli-&limit=500', auth);
  const devices = (JSON.parse(list.body) as { devices: { id: string }[] }).devices;
  const cliDevices = devices.filter((d) => JSON.stringify(d).includes('crash-cli-'));
  for (const device of cliDevices) {
    const history = await send(undefined, url, 'GET', `/api/v1/devices/${encodeURIComponent(device.id)}`, auth);
    const reports = (JSON.parse(history.body) as { reports: unknown[] }).reports;
    if (reports.length !== 1) tally.problems.push(`device ${device.id} holds ${reports.length} reports, expected exactly 1`);
  }
  return cliDevices;
}

async function storeState(): Promise<{ integrity: Awaited<ReturnType<Store['integrityCheck']>>; rows: number }> {
  const store = await openStore(db);
  try {
    return { integrity: await store.integrityCheck(), rows: await store.countReports() };
  } finally {
    await store.close();
  }
}

test(`kill -9 during uploads, ${ROUNDS} rounds: every 2xx upload survives, integrity holds, spooled uploads land once`, { timeout: 180_000 }, async () => {
  mkdirSync(files, { recursive: true });
  const tally: CrashTally = {
    uploadToken: await createTokenCli(db, 'upload'),
    adminToken: await createTokenCli(db, 'read,admin'),
    acknowledged: new Set<string>(),
    cliReports: [],
    problems: [],
    fiveHundreds: 0,
    sentTotal: 0,
    lost: 0,
  };
  const { uploadToken, acknowledged, cliReports, problems } = tally;
  const port = await sparePort();
  for (let round = 1; round <= ROUNDS; round++) await crashRound(tally, round, port);

  serve = await startServe(db, port, ['--quiet']);
  await checkAcknowledged(tally, serve.url, 'final restart');
  const spooledBefore = readdirSync(spool).filter((f) => f.endsWith('.json')).length;
  const flush = await runCli(['upload', '--flush', '--spool', spool, '--to', serve.url, '--token', uploadToken], { timeoutMs: 60_000 });
  if (flush.code !== 0) problems.push(`upload --flush exit ${String(flush.code)}: ${flush.stderr}${flush.stdout}`);
  // A second flush finds nothing to send.
  const again = await runCli(['upload', '--flush', '--spool', spool, '--to', serve.url, '--token', uploadToken], { timeoutMs: 60_000 });
  if (!/0 delivered/.test(again.stdout)) problems.push(`second flush sent something: ${again.stdout}`);
  const leftovers = readdirSync(spool, { recursive: true }).filter((f) => String(f).endsWith('.json')).length;
  const cliDevices = await checkCliReports(tally, serve.url);
  await serve.stop();
  serve = null;
  const { integrity, rows } = await storeState();
  recordFigures('dashboard crash consistency', {
    trials: ROUNDS,
    faultsInjected: ROUNDS,
    bodiesSent: tally.sentTotal + cliReports.length,
    fiveHundreds: tally.fiveHundreds,
    reportsLost: tally.lost,
    leftovers,
  });
  assert.deepEqual(problems, []);
  assert.ok(integrity.ok, `integrity: ${integrity.problems.join('; ')}`);
  assert.ok(spooledBefore >= ROUNDS * CLI_WHILE_DOWN, `only ${spooledBefore} spooled before the flush`);
  assert.equal(leftovers, 0, 'spool entries left after the flush');
  // Exactly once: one stored report per CLI report, and the store holds no more rows than distinct reports.
  assert.equal(cliDevices.length, cliReports.length, 'each CLI report is its own device');
  assert.ok(rows >= acknowledged.size + cliReports.length && rows <= tally.sentTotal + cliReports.length, `rows ${rows}`);
});
