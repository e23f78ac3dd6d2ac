// systemd: state, version, user manager and lingering; the active test is a transient unit with
// Restart=always whose process is killed and must come back, then the unit is stopped and collected.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import type { ProbeContext } from '../../src/engine/probe.js';
import type { MetricSink } from '../../src/engine/sink.js';
import { registerCleanup } from '../../src/platform/process.js';
import { findExecutable, NO_PROGRAM_DIRS, programsVisible } from '../lib/executables.js';
import { type InitKind, parseSupervisorctlPid, parseSystemdVersion, parseSystemState } from '../lib/parsers/supervision.js';
import { type ActiveResult, CMD_TIMEOUT_MS, RESTART_WAIT_MS, type Supervisor, waitFor } from './common.js';

/** Puts the systemd metrics; returns systemd as a supervisor when systemctl exists, and the systemctl path. */
export async function checkSystemd(
  ctx: ProbeContext,
  initKind: InitKind,
  sink: MetricSink,
): Promise<{ supervisor: Supervisor | null; systemctl: string | null }> {
  const systemctl = await findExecutable(ctx, ['systemctl']);
  const user = userInfo();
  const linger = await ctx.exists(`/var/lib/systemd/linger/${user.username}`);
  const userManager = await ctx.exists(`/run/user/${user.uid}/systemd/private`);
  if (!systemctl) {
    const reason = (await programsVisible(ctx)) ? 'systemd is not installed (no systemctl)' : NO_PROGRAM_DIRS;
    sink.putAllNull(['supervision.systemd_state', 'supervision.systemd_version', 'supervision.user_manager_running', 'supervision.linger_enabled'], reason);
    return { supervisor: null, systemctl: null };
  }
  sink.details['systemctl'] = systemctl;
  let state: string | null = null;
  let stateReason = 'recorded tree: systemctl cannot be asked';
  let version: number | null = null;
  let versionReason = 'recorded tree: systemctl cannot be asked';
  if (ctx.live) {
    const running = await ctx.exec(systemctl, ['is-system-running'], { timeoutMs: CMD_TIMEOUT_MS });
    state = running.timedOut ? null : parseSystemState(running.stdout);
    stateReason = running.timedOut
      ? 'systemctl is-system-running did not answer'
      : `systemctl is-system-running said "${(running.stdout + running.stderr).trim().slice(0, 120)}"`;
    const ver = await ctx.exec(systemctl, ['--version'], { timeoutMs: CMD_TIMEOUT_MS });
    version = parseSystemdVersion(ver.stdout);
    versionReason = 'systemctl --version printed no version';
  }
  sink.put('supervision.systemd_state', state, stateReason);
  sink.put('supervision.systemd_version', version, versionReason);
  sink.put('supervision.linger_enabled', linger, 'not readable');
  sink.put('supervision.user_manager_running', initKind === 'systemd' ? userManager : false, 'not readable');
  const isInit = initKind === 'systemd';
  const usable = isInit && (state === null ? ctx.live === false : ['running', 'degraded', 'starting', 'initializing'].includes(state));
  const evidence = [isInit ? 'systemd is pid 1' : 'systemd is installed but is not pid 1, so it supervises nothing'];
  if (state) evidence.push(`is-system-running: ${state}`);
  if (isInit && !linger) evidence.push(`lingering is off for ${user.username}: user services stop at logout (loginctl enable-linger ${user.username})`);
  return { supervisor: { name: 'systemd', usable, startsAtBoot: isInit, evidence }, systemctl };
}

export async function activeSystemd(ctx: ProbeContext, systemctl: string, sleepBin: string): Promise<ActiveResult> {
  const systemdRun = await findExecutable(ctx, ['systemd-run']);
  if (!systemdRun) return { verified: null, reason: 'systemd-run is not installed', details: {} };
  const unit = `edgeprobe-restart-${randomBytes(4).toString('hex')}.service`;
  const scope = userInfo().uid === 0 ? [] : ['--user'];
  const details: Record<string, unknown> = { supervisor: 'systemd', unit };
  const undo = (): void => {
    spawnSync(systemctl, [...scope, 'stop', unit], { timeout: 5_000, stdio: 'ignore' });
    spawnSync(systemctl, [...scope, 'reset-failed', unit], { timeout: 5_000, stdio: 'ignore' });
  };
  const unregister = registerCleanup(undo);
  try {
    const started = await ctx.exec(
      systemdRun,
      [...scope, `--unit=${unit}`, '--property=Restart=always', '--property=RestartSec=200ms', '--collect', '--quiet', '--', sleepBin, '600'],
      { timeoutMs: CMD_TIMEOUT_MS },
    );
    if (started.code !== 0) return { verified: false, reason: `systemd-run failed: ${(started.stderr || started.stdout).trim().slice(0, 200)}`, details };
    const mainPid = async (): Promise<number | null> => {
      const show = await ctx.exec(systemctl, [...scope, 'show', '-p', 'MainPID', '--value', unit], { timeoutMs: CMD_TIMEOUT_MS });
      return parseSupervisorctlPid(show.stdout);
    };
    const first = await waitFor(ctx, 5_000, mainPid);
    if (first === null) return { verified: false, reason: 'the transient unit did not start', details };
    process.kill(first, 'SIGKILL');
    const t0 = performance.now();
    const second = await waitFor(ctx, RESTART_WAIT_MS, async () => {
      const pid = await mainPid();
      return pid !== null && pid !== first ? pid : null;
    });
    Object.assign(details, { firstPid: first, secondPid: second, restartMs: second === null ? null : Math.round(performance.now() - t0) });
    return second === null
      ? { verified: false, reason: `the killed process did not come back within ${RESTART_WAIT_MS / 1000} s`, details }
      : { verified: true, reason: null, details };
  } finally {
    await ctx.exec(systemctl, [...scope, 'stop', unit], { timeoutMs: CMD_TIMEOUT_MS });
    await ctx.exec(systemctl, [...scope, 'reset-failed', unit], { timeoutMs: CMD_TIMEOUT_MS });
    const load = await ctx.exec(systemctl, [...scope, 'show', '-p', 'LoadState', '--value', unit], { timeoutMs: CMD_TIMEOUT_MS });
    details['leftBehind'] = load.stdout.trim() !== 'not-found' && load.stdout.trim() !== '' ? `unit ${unit} is still ${load.stdout.trim()}` : null;
    unregister();
  }
}
