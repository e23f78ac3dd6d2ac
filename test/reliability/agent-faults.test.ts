// Each probe in turn is made to throw, hang, return garbage and exhaust its budget. Every time the run
// gives a complete, schema-valid report within the global timeout, the checks on that probe's metrics come
// out unknown, exit code 3, and nothing is left behind.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PROBE_IDS } from '../../probes/index.js';
import type { Report } from '../../src/report/types.js';
import { validateReport } from '../../src/report/validate.js';
import { runCli } from '../helpers/cli.js';
import { recordFigures } from '../helpers/figures.js';
import { MARKER_VARIABLE, newMarker, processesWithMarker, waitFor } from '../helpers/leftovers.js';

const MODES = { throw: 'exception', hang: 'timeout', garbage: 'invalid_output', slow: 'timeout' } as const;
const GLOBAL_TIMEOUT_S = 30;

test('every probe, every fault mode: complete report, exit 3, nothing left behind', { timeout: 300_000 }, async () => {
  const problems: string[] = [];
  let faults = 0;
  let leftovers = 0;
  for (const probe of PROBE_IDS) {
    for (const [mode, expectedCode] of Object.entries(MODES)) {
      faults++;
      const marker = newMarker();
      const privateTmp = mkdtempSync(join(tmpdir(), 'edgeprobe-fault-trial-'));
      const where = `${probe}=${mode}`;
      try {
        const result = await runCli(['run', '--quick', '--format', 'json', '--timeout', String(GLOBAL_TIMEOUT_S)], {
          env: {
            ...process.env,
            NO_COLOR: '1',
            TMPDIR: privateTmp,
            [MARKER_VARIABLE]: marker,
            EDGEPROBE_FAULTS: where,
            EDGEPROBE_FAULT_BUDGET_MS: '1500',
          },
          timeoutMs: (GLOBAL_TIMEOUT_S + 15) * 1000,
        });
        if (result.code !== 3) problems.push(`${where}: exit ${String(result.code)}, expected 3 (${result.stderr.slice(0, 200)})`);
        if (result.durationMs > GLOBAL_TIMEOUT_S * 1000) problems.push(`${where}: took ${Math.round(result.durationMs)} ms`);
        let report: Report | null = null;
        try {
          const check = validateReport(JSON.parse(result.stdout));
          if (check.ok) report = check.report;
          else problems.push(`${where}: report invalid: ${check.errors.join('; ')}`);
        } catch {
          problems.push(`${where}: stdout is not a JSON report`);
        }
        if (report) {
          const ids = report.probes.map((p) => p.id);
          if (ids.join(',') !== PROBE_IDS.join(',')) problems.push(`${where}: probes ${ids.join(',')} instead of every probe`);
          const faulted = report.probes.find((p) => p.id === probe);
          if (faulted?.status !== 'error' || faulted.error?.code !== expectedCode) {
            problems.push(`${where}: probe status ${String(faulted?.status)} / ${String(faulted?.error?.code)}, expected error / ${expectedCode}`);
          }
          for (const [id, value] of Object.entries(faulted?.metrics ?? {})) {
            if (value !== null || report.metrics[id] !== null) problems.push(`${where}: ${id} should be null`);
          }
          const verdict = (JSON.parse(result.stdout) as { verdict?: { incomplete: string[]; checks: Array<{ id: string; metric: string; status: string }> } })
            .verdict;
          if (!verdict) problems.push(`${where}: no verdict in the JSON output`);
          for (const check of verdict?.checks ?? []) {
            if (check.metric.startsWith(`${probe}.`) && check.status !== 'unknown')
              problems.push(`${where}: check ${check.id} is ${check.status}, expected unknown`);
          }
          if (verdict && !verdict.incomplete.some((line) => line.includes(`"${probe}"`))) problems.push(`${where}: the verdict does not say it is incomplete`);
          for (const other of report.probes.filter((p) => p.id !== probe)) {
            if (other.status === 'error') problems.push(`${where}: innocent probe ${other.id} failed: ${other.error?.message ?? ''}`);
          }
        }
        await waitFor(() => processesWithMarker(marker).length === 0, 2_000);
        const stray = processesWithMarker(marker);
        const files = readdirSync(privateTmp);
        if (stray.length > 0 || files.length > 0) {
          leftovers++;
          problems.push(`${where}: left processes [${stray.join(', ')}] and temp entries [${files.join(', ')}]`);
          for (const pid of stray) process.kill(pid, 'SIGKILL');
        }
      } finally {
        rmSync(privateTmp, { recursive: true, force: true });
      }
    }
  }
  recordFigures('agent faults', { trials: faults, faultsInjected: faults, leftovers });
  assert.deepEqual(problems, []);
});
