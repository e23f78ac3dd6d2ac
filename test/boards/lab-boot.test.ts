// The lab's bootable boards under qemu-system-aarch64: systemd as PID 1, cgroup v2, four cores, and on
// pi-compat32 an armhf userland on the arm64 kernel. `edgeprobe ssh` probes each one with the agent streamed to
// Debian's node and with the POSIX-sh probe; the reports must carry the VM's cores, memory, init and limits.
// The images come from scripts/lab/build-boards.sh: from its cache, or built here on a cold machine.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, type TestContext, test } from 'node:test';
import { BOARD_NAMES, type BoardName, bootBoard, ensureBoardImages, type RunningBoard } from '../../scripts/lab/boards.js';
import { makeTempDir, removeTemp } from '../../src/platform/process.js';
import { type Report, unmeasuredReason } from '../../src/report/types.js';
import { parseReport } from '../../src/report/validate.js';
import { startTunnelledDashboard } from '../helpers/board-dashboard.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { executable, requireComponent } from '../helpers/env.js';
import { boardImagesObtainable, configureScopedSshd, leftoversSince, snapshotVm, type VmSnapshot } from '../helpers/lab-boards.js';
import { verifyScheduledRuns } from '../helpers/scheduled-runs.js';

const ready =
  process.getuid?.() === 0 &&
  executable('/usr/bin/qemu-system-aarch64') &&
  executable('/usr/sbin/debootstrap') &&
  executable('/usr/bin/qemu-aarch64-static') &&
  executable('/usr/bin/qemu-arm-static') &&
  executable('/usr/sbin/mkfs.ext4') &&
  executable('/usr/sbin/depmod') &&
  executable('/usr/bin/cpio') &&
  executable('/usr/bin/ssh') &&
  boardImagesObtainable(REPO_ROOT, BOARD_NAMES);
const skip = requireComponent(
  ready,
  'root, qemu-system-arm, debootstrap, qemu-user-static, e2fsprogs, kmod, cpio, OpenSSH, and the board images (cached, or a Debian mirror in the apt sources or EDGEPROBE_LAB_MIRROR to build them)',
  'scripts/install-test-deps.sh, run as root',
);

const MiB = 1024 * 1024;
const vms = new Map<BoardName, RunningBoard>();
const work = makeTempDir('lab-boot-test');

before(
  async () => {
    if (skip) return;
    const images = await ensureBoardImages();
    // Both boot at once: under TCG each VM is bound by its own emulation threads.
    await Promise.all(
      BOARD_NAMES.map(async (name) => {
        const image = images.get(name);
        assert.ok(image, `${name} image`);
        vms.set(name, await bootBoard(image, { instance: `test-${process.pid}-${name}` }));
      }),
    );
  },
  { timeout: 60 * 60_000 },
);

after(async () => {
  for (const vm of vms.values()) await vm.stop();
  removeTemp(work);
});

function vm(name: BoardName): RunningBoard {
  const found = vms.get(name);
  assert.ok(found, `${name} is running`);
  return found;
}

interface SshRun {
  report: Report;
  host: Record<string, unknown>;
  durationMs: number;
}

/** `edgeprobe ssh` against the VM (port given, or its SSH port), saving the report in the test's folder. */
async function edgeprobeSsh(board: RunningBoard, name: string, extra: string[], options: { port?: number; timeoutS?: number } = {}): Promise<SshRun> {
  const out = join(work, name);
  const timeoutS = options.timeoutS ?? 600;
  const port = options.port ?? board.port;
  const sshOptions = board.sshOptions.filter((o) => !o.startsWith('Port=')).flatMap((o) => ['--ssh-option', o]);
  const result = await runCli(['ssh', `root@127.0.0.1:${port}`, '--format', 'json', '--out', out, '--timeout', String(timeoutS), ...sshOptions, ...extra], {
    timeoutMs: (timeoutS + 60) * 1000,
  });
  assert.ok(result.code === 0 || result.code === 1 || result.code === 3, `edgeprobe ssh: exit ${String(result.code)}\n${result.stderr}`);
  const summary = JSON.parse(result.stdout) as { hosts: Array<Record<string, unknown>> };
  assert.equal(summary.hosts.length, 1);
  const host = summary.hosts[0] ?? {};
  assert.equal(host['status'], 'ok', `${JSON.stringify(host)}\n${result.stderr}`);
  const check = parseReport(readFileSync(String(host['reportFile']), 'utf8'));
  assert.ok(check.ok, `${name}: the report validates: ${check.ok ? '' : check.errors.join('; ')}`);
  return { report: check.report, host, durationMs: result.durationMs };
}

function assertMachine(report: Report, board: RunningBoard): void {
  const spec = board.image.spec;
  const m = report.metrics;
  assert.equal(m['cpu.arch'], spec.machine, "uname -m is the arm64 kernel's");
  assert.equal(m['cpu.userland_bits'], spec.userlandBits);
  // pi-compat32: every program is armhf, as under 32-bit Raspberry Pi OS on its 64-bit kernel.
  assert.equal(m['cpu.userland_arch'], spec.userlandBits === 32 ? 'armv7l' : 'aarch64');
  assert.equal(m['cpu.cores'], 4);
  assert.equal(m['cpu.effective_cpus'], 4);
  const total = m['memory.total_bytes'];
  assert.equal(typeof total, 'number');
  // MemTotal is the VM's RAM less what the kernel keeps for itself: within the VM's size, and most of it.
  assert.ok((total as number) <= spec.memoryMiB * MiB, `MemTotal ${String(total)} within ${spec.memoryMiB} MiB`);
  assert.ok((total as number) > 0.75 * spec.memoryMiB * MiB, `MemTotal ${String(total)} is most of ${spec.memoryMiB} MiB`);
}

/** Checks on the architecture (cpu.arch, cpu.userland_bits) as `edgeprobe check` judges the saved report. */
async function architectureChecks(reportFile: string): Promise<Array<Record<string, unknown>>> {
  const result = await runCli(['check', reportFile, '--format', 'json'], { timeoutMs: 60_000 });
  assert.ok(result.code === 0 || result.code === 1 || result.code === 3, `edgeprobe check: exit ${String(result.code)}\n${result.stderr}`);
  const judged = JSON.parse(result.stdout) as Record<string, unknown>;
  const verdicts = Array.isArray(judged['results']) ? (judged['results'] as Array<Record<string, unknown>>) : [judged];
  return verdicts
    .flatMap((v) => (v['checks'] ?? (v['verdict'] as Record<string, unknown> | undefined)?.['checks'] ?? []) as Array<Record<string, unknown>>)
    .filter((c) => c['metric'] === 'cpu.arch' || c['metric'] === 'cpu.userland_bits');
}

/** The probes ran under budgets scaled to the board's measured speed, and the report says by how much. */
function assertScaledBudgets(t: TestContext, report: Report): void {
  const scale = report.options['budgetScale'] as { factor?: number; reason?: string } | undefined;
  t.diagnostic(`budgets x${String(scale?.factor)}: ${String(scale?.reason)}`);
  assert.equal(typeof scale?.factor, 'number', 'options.budgetScale.factor');
  assert.ok((scale?.factor ?? 0) >= 1, 'never below the budgets as written');
  for (const probe of report.probes.filter((p) => p.status === 'ok')) {
    assert.equal(typeof probe.budgetMs, 'number', `${probe.id} says the budget it ran under`);
    assert.ok(probe.durationMs <= (probe.budgetMs ?? 0), `${probe.id}: ${probe.durationMs} ms within ${String(probe.budgetMs)} ms`);
  }
}

/** Django is in the image: the django probe served it over HTTP under both server kinds. */
function assertDjangoMeasured(report: Report): void {
  const django = report.probes.find((p) => p.id === 'django');
  assert.equal(django?.status, 'ok', JSON.stringify(django?.error ?? {}));
  for (const kind of ['wsgi', 'asgi']) {
    const measured = Object.keys(report.metrics).filter((id) => id.startsWith(`django.${kind}_`) && report.metrics[id] !== null);
    assert.ok(
      measured.length > 0,
      `the django probe measured the ${kind} server: ${Object.keys(report.metrics)
        .filter((id) => id.startsWith(`django.${kind}_`))
        .map((id) => `${id}: ${String(unmeasuredReason(report, id))}`)
        .join('; ')}`,
    );
  }
}

async function systemState(board: RunningBoard): Promise<string> {
  const state = await board.ssh('systemctl is-system-running; systemctl --failed --no-legend --plain', { timeoutMs: 60_000 });
  return state.stdout.trim();
}

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: it only declares the per-board tests, each of which is short; their shared state (the board, its scoped logins) lives in this closure
function boardTests(name: BoardName): void {
  const board = (): RunningBoard => vm(name);
  // Configured once per board: each reload restarts sshd.
  let scoped: Promise<void> | null = null;

  // One full run serves several checks: under emulation each run costs minutes, and CI has a time budget.
  test(`${name}: a full run of the agent streamed to Debian's node (streaming and --active-supervision included) reports 4 cores, the VM's memory and systemd, restarts a transient unit, finishes within its budget and leaves nothing behind`, {
    skip,
  }, async (t: TestContext) => {
    const before: VmSnapshot = await snapshotVm(board());
    const budgetS = 900;
    const { report, host, durationMs } = await edgeprobeSsh(board(), `${name}-full`, ['--mode', 'node', '--duration', '20', '--active-supervision'], {
      timeoutS: budgetS,
    });
    t.diagnostic(`full run: ${Math.round(durationMs / 1000)} s of a ${budgetS} s budget`);
    assertScaledBudgets(t, report);
    assert.equal(host['mode'], 'node');
    assert.ok(Number(host['durationMs']) < budgetS * 1000);
    const failedProbes = report.probes.filter((p) => p.status === 'error').map((p) => `${p.id}: ${p.error?.message ?? ''}`);
    assert.deepEqual(failedProbes, [], 'every probe finished within its own budget');
    assertMachine(report, board());
    assert.match(String(report.agent.node), /^v?18\./, "Debian bookworm's node 18");
    assert.equal(report.metrics['supervision.init'], 'systemd');
    assert.equal(report.metrics['supervision.pid1'], 'systemd');
    const state = await systemState(board());
    assert.equal(report.metrics['supervision.systemd_state'], state.split('\n')[0], 'the state systemctl gives');
    assert.equal(report.metrics['supervision.systemd_state'], 'running', `systemd state and failed units:\n${state}`);
    assert.equal(typeof report.metrics['supervision.systemd_version'], 'number');
    assert.equal(
      report.metrics['supervision.restart_verified'],
      true,
      `${String(unmeasuredReason(report, 'supervision.restart_verified'))} ${JSON.stringify(report.probes.find((p) => p.id === 'supervision')?.details ?? {})}`,
    );
    assertDjangoMeasured(report);
    const ran = Object.keys(report.metrics).filter((id) => id.startsWith('streaming.') && report.metrics[id] !== null);
    assert.ok(
      ran.length > 0,
      `streaming measured something: ${Object.keys(report.metrics)
        .filter((id) => id.startsWith('streaming.'))
        .map((id) => `${id}: ${String(unmeasuredReason(report, id))}`)
        .join('; ')}`,
    );
    if (board().image.spec.userlandBits === 32) {
      const failing = (await architectureChecks(String(host['reportFile']))).filter((c) => c['status'] === 'fail');
      assert.deepEqual(failing, [], 'no check fails on the architecture of a 32-bit userland on a 64-bit kernel');
    }
    const units = await board().ssh(
      "systemctl list-units --all --no-legend --plain 'edgeprobe-restart-*'; ls /run/systemd/transient | grep edgeprobe || true",
      { timeoutMs: 60_000 },
    );
    assert.equal(units.code, 0, units.stderr);
    assert.equal(units.stdout.trim(), '', 'no edgeprobe-restart unit is left, loaded or on disk');
    const left = await leftoversSince(board(), before);
    assert.deepEqual(left, { processes: [], tmp: [], units: [] }, 'nothing of the run is left in the VM');
  });

  // The full run's check that nothing is left needs the VM to itself: the other tests start units and logins.
  describe(`${name}: after the full run`, { concurrency: 2 }, () => {
    test(`${name}: the POSIX-sh probe reports 4 cores, the VM's memory and the userland's bitness`, { skip }, async (t: TestContext) => {
      const { report, host, durationMs } = await edgeprobeSsh(board(), `${name}-sh`, ['--quick', '--mode', 'sh']);
      t.diagnostic(`sh --quick: ${Math.round(durationMs / 1000)} s`);
      assert.equal(host['mode'], 'posix-sh');
      assert.equal(report.agent.mode, 'posix-sh');
      assertMachine(report, board());
      if (board().image.spec.userlandBits === 32) {
        const failing = (await architectureChecks(String(host['reportFile']))).filter((c) => c['status'] === 'fail');
        assert.deepEqual(failing, [], 'no check fails on the architecture of a 32-bit userland on a 64-bit kernel');
      }
    });

    for (const mode of ['node', 'sh'] as const) {
      test(`${name}: cgroup v2 limits of a systemd-run scope (MemoryMax=256M, CPUQuota=50%) are reported exactly (${mode})`, { skip }, async () => {
        // Logins on the spare port run in `systemd-run --scope -p MemoryMax=256M -p CPUQuota=50%`.
        scoped ??= configureScopedSshd(board(), ['MemoryMax=256M', 'CPUQuota=50%']);
        await scoped;
        // The limits are the memory and cpu probes' (the sh probe runs all of its parts whatever --only says).
        const only = mode === 'node' ? ['--only', 'memory,cpu'] : [];
        const { report } = await edgeprobeSsh(board(), `${name}-scope-${mode}`, ['--quick', '--mode', mode, ...only], { port: board().spare.hostPort });
        const m = report.metrics;
        assert.equal(m['memory.cgroup_limit_bytes'], 256 * MiB);
        assert.equal(m['memory.effective_total_bytes'], 256 * MiB);
        assert.equal(m['cpu.quota_cpus'], 0.5);
        assert.equal(m['cpu.effective_cpus'], 0.5);
        assert.equal(m['cpu.cores'], 4);
      });
    }

    test(`${name}: the limits of a named unit are reported with --unit`, { skip }, async () => {
      const unit = `edgeprobe-lab-app-${process.pid}.service`;
      const started = await board().ssh(`systemd-run --unit=${unit} -p MemoryMax=192M -p CPUQuota=25% --quiet /bin/sleep 900`, { timeoutMs: 60_000 });
      assert.equal(started.code, 0, started.stderr);
      try {
        const { report } = await edgeprobeSsh(board(), `${name}-unit`, ['--quick', '--mode', 'node', '--only', 'memory,cpu', '--unit', unit]);
        assert.equal(report.metrics['memory.cgroup_limit_bytes'], 192 * MiB);
        assert.equal(report.metrics['cpu.quota_cpus'], 0.25);
      } finally {
        await board().ssh(`systemctl stop ${unit}; systemctl reset-failed ${unit} 2>/dev/null || true`, { timeoutMs: 60_000 });
      }
    });

    // One board is enough for the scheduler: the timer and its service are the same units on both.
    if (name === 'pi3-arm64') {
      test(`${name}: --install-timer as root installs a systemd timer whose run uploads through the spool (dashboard down, then up), and --remove-timer leaves nothing`, {
        skip,
      }, async () => {
        const dir = join(work, `${name}-dashboard`);
        mkdirSync(dir);
        const dashboard = await startTunnelledDashboard(board(), dir);
        try {
          await verifyScheduledRuns({ device: { sshConfig: board().sshConfig, host: board().hostAlias }, dashboard, expectKind: 'systemd', runTimeoutS: 600 });
          const units = await board().ssh(
            'systemctl list-unit-files --no-legend --plain "edgeprobe-scheduled*"; ls /etc/systemd/system | grep edgeprobe || true',
            {
              timeoutMs: 60_000,
            },
          );
          assert.equal(units.stdout.trim(), '', 'no edgeprobe-scheduled unit file is left');
        } finally {
          await dashboard.close();
        }
      });
    }
  });
}

describe('lab boards under qemu-system-aarch64', { concurrency: 2 }, () => {
  for (const name of BOARD_NAMES) describe(name, { concurrency: 1 }, () => boardTests(name));
});
