// `edgeprobe ssh` with hosts whose connection drops while the report is on its way (a real OpenSSH server
// on loopback, test/helpers/sshd.ts). The device side is a fake `node` that sends all or part of a valid
// report and then kills its own sshd session (SIGKILL or SIGTERM). Its output must never be taken as a
// report: the failure is classified, nothing is saved under --out for it, and the healthy hosts in the
// same fleet are reported as usual.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeTempDir, removeTemp } from '../../src/platform/process.js';
import { parseReport } from '../../src/report/validate.js';
import { jsonOf, runCli } from '../helpers/cli.js';
import { makeReport } from '../helpers/dashboard-reports.js';
import { requireComponent } from '../helpers/env.js';
import { recordFigures } from '../helpers/figures.js';
import { type Sshd, sshdAvailable, startSshd } from '../helpers/sshd.js';
import { writeTestProfiles } from '../helpers/test-profiles.js';

const skip = requireComponent(sshdAvailable(), "root and Debian's openssh-server", 'scripts/install-test-deps.sh as root');

let sshd: Sshd;
const work = makeTempDir('ssh-faults');
const profiles = writeTestProfiles(work);

/** Kills the sshd process serving this session (the nearest "(sshd)" ancestor) with the given signal. */
function dropSession(signal: 'KILL' | 'TERM'): string {
  return `p=$PPID\nwhile [ "$p" -gt 1 ]; do read -r _pid comm _state pp _rest </proc/$p/stat; case "$comm" in "(sshd)"|"(sshd-session)") kill -${signal} "$p"; break ;; esac; p=$pp; done\nsleep 5`;
}

/** What each faulty host's fake node does with the streamed agent: the bytes it sends, then how it drops. */
const FAULTS: Record<string, { send: (full: string, half: string) => string; drop: 'KILL' | 'TERM' }> = {
  'whole-then-kill': { send: (full) => `cat ${full}`, drop: 'KILL' },
  'half-then-kill': { send: (_full, half) => `cat ${half}`, drop: 'KILL' },
  'half-then-term': { send: (_full, half) => `cat ${half}`, drop: 'TERM' },
  'whole-then-term': { send: (full) => `cat ${full}`, drop: 'TERM' },
  'drip-then-kill': { send: (full) => `head -c 300 ${full}\nsleep 1\nhead -c 900 ${full} | tail -c 600`, drop: 'KILL' },
};
const HEALTHY = ['healthy-a', 'healthy-b'];

before(async () => {
  if (skip) return;
  sshd = await startSshd();
  const healthy = sshd.addUser({ label: 'healthy' });
  for (const name of HEALTHY) sshd.alias(name, healthy);
  // A complete, valid report (and its first half) as the faulty devices' output.
  const text = `${JSON.stringify(makeReport({ hostname: 'dropped-device' }), null, 2)}\n`;
  assert.ok(parseReport(text).ok);
  const full = join(sshd.dir, 'report-full.json');
  const half = join(sshd.dir, 'report-half.json');
  writeFileSync(full, text);
  writeFileSync(half, text.slice(0, Math.floor(text.length / 2)));
  for (const file of [full, half]) chmodSync(file, 0o644);
  for (const [name, fault] of Object.entries(FAULTS)) {
    const dir = join(sshd.dir, `fake-${name}`);
    mkdirSync(dir);
    // Answers the bootstrap's version check like a real node >= 18, then misbehaves when given the agent.
    writeFileSync(
      join(dir, 'node'),
      `#!/bin/sh\ncase "$1" in -e|-v|--version) exec /usr/bin/node "$@" ;; esac\ncat >/dev/null\n${fault.send(full, half)}\n${dropSession(fault.drop)}\n`,
    );
    chmodSync(join(dir, 'node'), 0o755);
    chmodSync(dir, 0o755);
    sshd.alias(name, sshd.addUser({ label: name.replace(/-/g, '').slice(0, 10), path: `${dir}:/usr/bin:/bin` }));
  }
});

after(async () => {
  await sshd?.stop();
  removeTemp(work);
});

test('hosts that drop the connection while sending their report: never taken as a report, classified, nothing saved, other hosts unaffected', {
  skip,
  timeout: 150_000,
}, async () => {
  const problems: string[] = [];
  let faults = 0;
  let lost = 0;
  let leftovers = 0;
  const faulty = Object.keys(FAULTS);
  for (const round of [1, 2]) {
    const out = join(work, `out-${round}`);
    const result = await runCli(
      [
        'ssh',
        '--ssh-config',
        sshd.sshConfig,
        '--profile',
        profiles.lenient,
        ...HEALTHY,
        ...faulty,
        '--quick',
        '--out',
        out,
        '--format',
        'json',
        '--timeout',
        '60',
        '--connect-timeout',
        '5',
        '--concurrency',
        String(HEALTHY.length + faulty.length),
      ],
      { timeoutMs: 120_000 },
    );
    faults += faulty.length;
    if (result.code !== 3) problems.push(`round ${round}: exit ${String(result.code)}, expected 3 (the worst host is unknown)`);
    const hosts = jsonOf(result)['hosts'] as Record<string, unknown>[];
    const host = (name: string): Record<string, unknown> => hosts.find((h) => h['name'] === name) ?? {};
    const saved = readdirSync(out).sort();
    for (const name of HEALTHY) {
      if (host(name)['status'] !== 'ok') {
        lost++;
        problems.push(`round ${round}: ${name} not reported: ${JSON.stringify(host(name))}`);
        continue;
      }
      const check = parseReport(readFileSync(join(out, `${name}.json`), 'utf8'));
      if (!check.ok) {
        lost++;
        problems.push(`round ${round}: ${name}.json is not a valid report`);
      }
    }
    for (const name of faulty) {
      const h = host(name);
      if (h['status'] === 'ok' || h['failure'] !== 'killed') problems.push(`round ${round}: ${name}: ${JSON.stringify(h)}`);
      if (!/partial output discarded/.test(String(h['message'])))
        problems.push(`round ${round}: ${name}: message does not say the partial output was discarded: ${String(h['message'])}`);
      if (h['exitCode'] !== 3) problems.push(`round ${round}: ${name}: exit code ${String(h['exitCode'])}`);
      if (JSON.stringify(h).includes('dropped-device')) problems.push(`round ${round}: ${name}: the partial report's content shows up in the summary`);
    }
    const unexpected = saved.filter((f) => f !== 'summary.json' && !HEALTHY.some((n) => f === `${n}.json`));
    leftovers += unexpected.length;
    if (unexpected.length > 0) problems.push(`round ${round}: unexpected files under --out: ${unexpected.join(', ')}`);
    if (result.stdout.includes('dropped-device')) problems.push(`round ${round}: the partial report's content reached stdout`);
  }
  recordFigures('ssh faults', { trials: 2, faultsInjected: faults, reportsLost: lost, leftovers });
  assert.deepEqual(problems, []);
});
