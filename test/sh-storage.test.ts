// The POSIX-sh probe's storage identity (probes/posix-sh/parts/storage.sh) under dash and busybox ash: on every
// device tree, through the LUKS volume of the USB tree, and on this machine, the same figures as the agent's.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { execCommand } from '../src/platform/process.js';
import { METRIC_CATALOGUE } from '../src/report/metrics.js';
import type { Metrics } from '../src/report/types.js';
import { parseReport } from '../src/report/validate.js';
import { fixtureRoot, jsonOf, REPO_ROOT, runCli } from './helpers/cli.js';

const PROBE = join(REPO_ROOT, 'dist', 'edgeprobe-probe.sh');
const SHELLS: Array<[string, string[]]> = [
  ['dash', ['/usr/bin/dash']],
  ['busybox ash', ['/usr/bin/busybox', 'sh']],
];
const BOARDS = readdirSync(join(REPO_ROOT, 'test', 'fixtures', 'devices')).sort();
/** What the sh probe reads: the identity, not the write test or the projection. */
const IDENTITY = METRIC_CATALOGUE.filter((m) => m.probe === 'storage' && !/random_write|bytes_written|card_endurance|card_life/.test(m.id)).map((m) => m.id);

async function shStorage(shell: string[], args: string[]): Promise<Metrics> {
  const result = await execCommand(shell[0] ?? 'sh', [...shell.slice(1), PROBE, '--quick', ...args], { timeoutMs: 60_000 });
  assert.equal(result.code, 0, result.stderr);
  const check = parseReport(result.stdout);
  assert.ok(check.ok, check.ok ? '' : check.errors.join('; '));
  return check.report.metrics;
}

async function agentStorage(args: string[]): Promise<Metrics> {
  return jsonOf(await runCli(['run', '--quick', '--only', 'storage', '--format', 'json', ...args]))['metrics'] as Metrics;
}

function same(sh: Metrics, agent: Metrics, where: string): void {
  assert.ok(IDENTITY.length >= 18, 'the identity metrics');
  for (const id of IDENTITY) assert.deepEqual(sh[id], agent[id], `${where}: ${id}`);
}

for (const [name, shell] of SHELLS) {
  test(`${name}: storage identity on every device tree is the agent's`, async () => {
    for (const board of BOARDS) {
      const root = fixtureRoot(board);
      const [sh, agent] = await Promise.all([shStorage(shell, ['--root', root]), agentStorage(['--root', root])]);
      same(sh, agent, `${name} ${board}`);
    }
  });

  test(`${name}: through the USB tree's LUKS volume, and on this machine`, async () => {
    const root = fixtureRoot('constructed-pi-4b-usb-stick');
    const volume = ['--root', root, '--path', '/var/lib/app/media'];
    same(await shStorage(shell, volume), await agentStorage(volume), `${name} dm-0`);
    const [sh, agent] = await Promise.all([shStorage(shell, []), agentStorage([])]);
    same(sh, agent, `${name} live`);
    assert.equal(typeof sh['storage.kind'], 'string', 'this machine has a disk');
  });
}
