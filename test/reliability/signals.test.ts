// SIGINT and SIGTERM at random moments of a full run: every trial ends in a clean exit (130 / 143), with no
// process, listening port or temp file left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateReport } from '../../src/report/validate.js';
import { CLI, REPO_ROOT } from '../helpers/cli.js';
import { recordFigures } from '../helpers/figures.js';
import { listeningPortsOf, MARKER_VARIABLE, newMarker, processesWithMarker, waitFor } from '../helpers/leftovers.js';

const TRIALS = 20;

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

interface Trial { signal: NodeJS.Signals; delayMs: number; code: number | null; leftovers: string[]; finishedFirst: boolean }

const RUN_ARGS = ['run', '--format', 'json', '--verbose', '--duration', '3', '--django-duration', '4'];

async function trial(signal: NodeJS.Signals | null, delayMs: number): Promise<Trial & { durationMs: number }> {
  const started = performance.now();
  const marker = newMarker();
  const privateTmp = mkdtempSync(join(tmpdir(), 'edgeprobe-signal-trial-'));
  const child = spawn(process.execPath, [CLI, ...RUN_ARGS], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', TMPDIR: privateTmp, [MARKER_VARIABLE]: marker },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  // Wait until the runner is under way (its first progress line), then at a random moment, signal.
  await new Promise<void>((resolve) => {
    child.stderr.on('data', () => resolve());
    void exited.then(() => resolve());
  });
  let finishedFirst = await Promise.race([
    exited.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), signal === null ? 600_000 : delayMs).unref()),
  ]);
  const ports = listeningPortsOf(processesWithMarker(marker));
  if (signal !== null && !finishedFirst) child.kill(signal);
  const code = await Promise.race([exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 15_000).unref())]);
  // A signal that lands while the finished run is already exiting is no trial either: the report is whole.
  if (!finishedFirst && code !== null && code < 128 && validateReport(safeJson(stdout)).ok) finishedFirst = true;
  const leftovers: string[] = [];
  if (code === null) {
    leftovers.push('the run did not exit within 15 s of the signal');
    child.kill('SIGKILL');
  }
  await waitFor(() => processesWithMarker(marker).length === 0, 2_000);
  const stray = processesWithMarker(marker);
  if (stray.length > 0) leftovers.push(`processes ${stray.join(', ')}`);
  const strayPorts = listeningPortsOf(stray);
  if (strayPorts.length > 0) leftovers.push(`listening ports ${strayPorts.join(', ')} (run had ${ports.length} open when signalled)`);
  const files = readdirSync(privateTmp);
  if (files.length > 0) leftovers.push(`temp entries ${files.join(', ')}`);
  for (const pid of stray) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(privateTmp, { recursive: true, force: true });
  return { signal: signal ?? 'SIGINT', delayMs, code, leftovers, finishedFirst, durationMs: performance.now() - started };
}

test(`${TRIALS} SIGINT/SIGTERM trials at random moments of a full run`, { timeout: 240_000 }, async () => {
  // An uninterrupted run first, to know how long a full run takes here.
  const calibration = await trial(null, 0);
  assert.deepEqual(calibration.leftovers, [], 'an uninterrupted run leaves nothing either');
  const results: Trial[] = [];
  let attempts = 0;
  while (results.length < TRIALS && attempts < TRIALS * 3) {
    // Two trials at a time, one of each signal, each with its own marker and temp directory.
    attempts += 2;
    const batch = await Promise.all((['SIGINT', 'SIGTERM'] as const).map((signal) =>
      // Anywhere in the run: probes, benchmark, disk test, streaming phases.
      trial(signal, Math.round(Math.random() * calibration.durationMs * 0.9))));
    // A run that finished before its signal was sent is no trial of the signal path.
    for (const result of batch) if (!result.finishedFirst && results.length < TRIALS) results.push(result);
  }
  assert.equal(results.length, TRIALS, `${TRIALS} runs were interrupted (${attempts} attempts)`);
  const unclean = results.filter((r) => r.code !== (r.signal === 'SIGINT' ? 130 : 143));
  const withLeftovers = results.filter((r) => r.leftovers.length > 0);
  recordFigures('signals', { trials: results.length, faultsInjected: results.length, leftovers: withLeftovers.length });
  assert.deepEqual(unclean.map((r) => `${r.signal} at ${r.delayMs} ms -> exit ${String(r.code)}`), [], 'every trial exits 130 (SIGINT) or 143 (SIGTERM)');
  assert.deepEqual(withLeftovers.map((r) => `${r.signal} at ${r.delayMs} ms: ${r.leftovers.join('; ')}`), []);
});
