// supervision: what would restart the Django app after a crash and start it at boot.
// pid 1, systemd (state, version, user manager, lingering), supervisord, runit, s6, OpenRC, docker/podman,
// and whether we run inside a container. With --active-supervision, a throwaway process is started under the
// supervisor found (a transient systemd unit with Restart=always, or a supervisord program), killed, watched
// coming back, and removed again: nothing is left behind, also when the run is interrupted.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { unlinkSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { findExecutable, listProcesses, NO_PROGRAM_DIRS, processNamed, programsVisible, readLink, type ProcessInfo } from './lib/executables.js';
import {
  classifyInit, globToRegExp, parseSupervisorctlPid, parseSystemdVersion, parseSystemState, SUPERVISORD_DEFAULT_CONFIGS,
  supervisordConfigArg, supervisordIncludes, type InitKind,
} from './lib/parsers/supervision.js';
import type { ProbeContext, ProbeDefinition, ProbeOutput } from '../src/engine/probe.js';
import { metricIdsOf } from '../src/report/metrics.js';
import { registerCleanup } from '../src/platform/process.js';
import type { Metrics } from '../src/report/types.js';
import { detectContainer } from './host.js';

const CMD_TIMEOUT_MS = 8_000;
/** How long a killed process may take to come back before the test says it did not. */
const RESTART_WAIT_MS = 15_000;

interface Supervisor {
  name: string;
  /** Can restart a crashed process now. */
  usable: boolean;
  /** Will itself be running after a reboot. */
  startsAtBoot: boolean | null;
  evidence: string[];
}

interface SupervisordInstance {
  pid: number;
  config: string | null;
  usable: boolean;
  error: string | null;
  includes: string[];
  startsAtBoot: boolean | null;
  bootEvidence: string | null;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function pid1(ctx: ProbeContext, inContainer: boolean): Promise<{ kind: InitKind; name: string; exe: string | null; argv: string[] }> {
  const comm = (await ctx.readText('/proc/1/comm'))?.trim() ?? '';
  const exe = await readLink(ctx, '/proc/1/exe');
  const argv = ((await ctx.readText('/proc/1/cmdline')) ?? '').split('\0').filter((a) => a.length > 0);
  const openrcRunning = await ctx.exists('/run/openrc/softlevel');
  const kind = classifyInit({ comm, exe, argv, openrcRunning, inContainer });
  return { kind, name: comm || (exe?.split('/').pop() ?? 'unknown'), exe, argv };
}

async function checkSystemd(ctx: ProbeContext, initKind: InitKind): Promise<{ supervisor: Supervisor | null; metrics: Metrics; unmeasured: Record<string, string>; details: Record<string, unknown> }> {
  const metrics: Metrics = {};
  const unmeasured: Record<string, string> = {};
  const details: Record<string, unknown> = {};
  const systemctl = await findExecutable(ctx, ['systemctl']);
  const user = userInfo();
  const linger = await ctx.exists(`/var/lib/systemd/linger/${user.username}`);
  const userManager = await ctx.exists(`/run/user/${user.uid}/systemd/private`);
  if (!systemctl) {
    const reason = (await programsVisible(ctx)) ? 'systemd is not installed (no systemctl)' : NO_PROGRAM_DIRS;
    for (const id of ['supervision.systemd_state', 'supervision.systemd_version', 'supervision.user_manager_running', 'supervision.linger_enabled']) unmeasured[id] = reason;
    return { supervisor: null, metrics, unmeasured, details };
  }
  details['systemctl'] = systemctl;
  let state: string | null = null;
  let version: number | null = null;
  if (ctx.live) {
    const running = await ctx.exec(systemctl, ['is-system-running'], { timeoutMs: CMD_TIMEOUT_MS });
    state = running.timedOut ? null : parseSystemState(running.stdout);
    if (state === null) unmeasured['supervision.systemd_state'] = running.timedOut ? 'systemctl is-system-running did not answer' : `systemctl is-system-running said "${(running.stdout + running.stderr).trim().slice(0, 120)}"`;
    const ver = await ctx.exec(systemctl, ['--version'], { timeoutMs: CMD_TIMEOUT_MS });
    version = parseSystemdVersion(ver.stdout);
    if (version === null) unmeasured['supervision.systemd_version'] = 'systemctl --version printed no version';
  } else {
    unmeasured['supervision.systemd_state'] = 'recorded tree: systemctl cannot be asked';
    unmeasured['supervision.systemd_version'] = 'recorded tree: systemctl cannot be asked';
  }
  metrics['supervision.systemd_state'] = state;
  metrics['supervision.systemd_version'] = version;
  metrics['supervision.linger_enabled'] = linger;
  metrics['supervision.user_manager_running'] = initKind === 'systemd' ? userManager : false;
  const isInit = initKind === 'systemd';
  const usable = isInit && (state === null ? ctx.live === false : ['running', 'degraded', 'starting', 'initializing'].includes(state));
  const evidence = [isInit ? 'systemd is pid 1' : 'systemd is installed but is not pid 1, so it supervises nothing'];
  if (state) evidence.push(`is-system-running: ${state}`);
  if (isInit && !linger) evidence.push(`lingering is off for ${user.username}: user services stop at logout (loginctl enable-linger ${user.username})`);
  return { supervisor: { name: 'systemd', usable, startsAtBoot: isInit, evidence }, metrics, unmeasured, details };
}

async function supervisordBootEvidence(ctx: ProbeContext, initKind: InitKind, pid: number): Promise<{ startsAtBoot: boolean | null; evidence: string | null }> {
  if (pid === 1) return { startsAtBoot: true, evidence: 'supervisord is pid 1' };
  const byInit: Record<string, string[]> = {
    systemd: ['/etc/systemd/system/multi-user.target.wants/supervisor.service', '/etc/systemd/system/multi-user.target.wants/supervisord.service'],
    sysvinit: ['/etc/rc2.d', '/etc/rc3.d', '/etc/rc5.d'],
    openrc: ['/etc/runlevels/default/supervisord', '/etc/runlevels/default/supervisor'],
    runit: ['/etc/service/supervisor', '/etc/service/supervisord', '/var/service/supervisord'],
  };
  const paths = byInit[initKind];
  if (!paths) return { startsAtBoot: false, evidence: `nothing starts supervisord at boot: pid 1 is not an init system` };
  for (const path of paths) {
    if (path.startsWith('/etc/rc')) {
      const links = ((await ctx.listDir(path)) ?? []).filter((n) => /^S\d*supervisor/.test(n));
      if (links.length > 0) return { startsAtBoot: true, evidence: `${path}/${links[0] ?? ''}` };
    } else if (await ctx.exists(path)) {
      return { startsAtBoot: true, evidence: `${path} exists` };
    }
  }
  return { startsAtBoot: false, evidence: `supervisord is not enabled in ${initKind} (${paths.join(', ')})` };
}

async function findSupervisords(ctx: ProbeContext, processes: ProcessInfo[], initKind: InitKind, supervisorctl: string | null): Promise<SupervisordInstance[]> {
  const instances: SupervisordInstance[] = [];
  const running = processes.filter((p) => p.comm === 'supervisord' || processNamed(p, ['supervisord']) || (p.argv[1] ?? '').endsWith('/supervisord'));
  // A daemonised supervisord may show up twice (parent and child while forking); keep the ones whose parent is not one of them.
  const pids = new Set(running.map((p) => p.pid));
  for (const p of running.filter((q) => q.ppid === null || !pids.has(q.ppid))) {
    const cwd = (await readLink(ctx, `/proc/${p.pid}/cwd`)) ?? '/';
    const arg = supervisordConfigArg(p.argv);
    let config: string | null = arg ? resolve(cwd, arg) : null;
    if (!config) {
      for (const candidate of SUPERVISORD_DEFAULT_CONFIGS) {
        const path = resolve(cwd, candidate);
        if (await ctx.exists(path)) {
          config = path;
          break;
        }
      }
    }
    if (ctx.options.supervisordConf && config !== ctx.options.supervisordConf) continue;
    const boot = await supervisordBootEvidence(ctx, initKind, p.pid);
    const instance: SupervisordInstance = { pid: p.pid, config, usable: false, error: null, includes: [], startsAtBoot: boot.startsAtBoot, bootEvidence: boot.evidence };
    if (config) {
      const text = await ctx.readText(config);
      if (text !== null) instance.includes = supervisordIncludes(text, dirname(config));
    }
    if (!ctx.live) instance.error = 'recorded tree: supervisorctl cannot be asked';
    else if (!supervisorctl) instance.error = 'supervisorctl is not installed';
    else if (!config) instance.error = 'its config file could not be found';
    else {
      const answer = await ctx.exec(supervisorctl, ['-c', config, 'pid'], { timeoutMs: CMD_TIMEOUT_MS });
      const pid = parseSupervisorctlPid(answer.stdout);
      if (pid === p.pid) instance.usable = true;
      else instance.error = answer.timedOut ? 'supervisorctl did not answer' : `supervisorctl -c ${config} pid said "${(answer.stdout + answer.stderr).trim().slice(0, 160)}"`;
    }
    instances.push(instance);
  }
  return instances;
}

interface ActiveResult {
  verified: boolean | null;
  reason: string | null;
  details: Record<string, unknown>;
}

async function waitFor<T>(ctx: ProbeContext, timeoutMs: number, poll: () => Promise<T | null>): Promise<T | null> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until && !ctx.signal.aborted) {
    const value = await poll();
    if (value !== null) return value;
    await sleep(200);
  }
  return null;
}

async function activeSystemd(ctx: ProbeContext, systemctl: string, sleepBin: string): Promise<ActiveResult> {
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
    const started = await ctx.exec(systemdRun, [...scope, `--unit=${unit}`, '--property=Restart=always', '--property=RestartSec=200ms', '--collect', '--quiet', '--', sleepBin, '600'], { timeoutMs: CMD_TIMEOUT_MS });
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

function includeTarget(includes: string[], name: string): string | null {
  for (const pattern of includes) {
    const dir = dirname(pattern);
    const glob = pattern.slice(dir.length + 1);
    if (/[*?[]/.test(dir)) continue;
    for (const ext of ['conf', 'ini']) {
      const file = `${name}.${ext}`;
      if (globToRegExp(glob).test(file)) return `${dir}/${file}`;
    }
  }
  return null;
}

async function activeSupervisord(ctx: ProbeContext, instance: SupervisordInstance, supervisorctl: string, sleepBin: string): Promise<ActiveResult> {
  const config = instance.config as string;
  const name = `edgeprobe-restart-${randomBytes(4).toString('hex')}`;
  const details: Record<string, unknown> = { supervisor: 'supervisord', config, program: name };
  const file = includeTarget(instance.includes, name);
  if (!file) {
    return { verified: null, reason: `${config} has no [include] directory to add a program to (edgeprobe does not edit the main config)`, details };
  }
  details['programFile'] = file;
  const ctl = (args: string[]): Promise<{ out: string; code: number | null }> =>
    ctx.exec(supervisorctl, ['-c', config, ...args], { timeoutMs: CMD_TIMEOUT_MS }).then((r) => ({ out: `${r.stdout}${r.stderr}`.trim(), code: r.code }));
  const undo = (): void => {
    spawnSync(supervisorctl, ['-c', config, 'stop', name], { timeout: 5_000, stdio: 'ignore' });
    spawnSync(supervisorctl, ['-c', config, 'remove', name], { timeout: 5_000, stdio: 'ignore' });
    try {
      unlinkSync(file);
    } catch {
      // already gone
    }
    spawnSync(supervisorctl, ['-c', config, 'reread'], { timeout: 5_000, stdio: 'ignore' });
  };
  const unregister = registerCleanup(undo);
  const pids: number[] = [];
  try {
    writeFileSync(file, [
      `; written by edgeprobe --active-supervision; removed when the test ends`,
      `[program:${name}]`,
      `command=${sleepBin} 600`,
      'autostart=true', 'autorestart=true', 'startsecs=0', 'startretries=5',
      'stopsignal=KILL', 'stopasgroup=true', 'killasgroup=true',
      'stdout_logfile=NONE', 'stderr_logfile=NONE', '',
    ].join('\n'), { flag: 'wx', mode: 0o644 });
    const reread = await ctl(['reread']);
    const added = await ctl(['add', name]);
    if (!/added process group/i.test(added.out)) {
      return { verified: false, reason: `supervisorctl add ${name} failed: ${added.out.slice(0, 200) || reread.out.slice(0, 200)}`, details };
    }
    const pidOf = async (): Promise<number | null> => parseSupervisorctlPid((await ctl(['pid', name])).out);
    const first = await waitFor(ctx, 8_000, pidOf);
    if (first === null) return { verified: false, reason: 'the program did not start', details };
    pids.push(first);
    process.kill(first, 'SIGKILL');
    const t0 = performance.now();
    const second = await waitFor(ctx, RESTART_WAIT_MS, async () => {
      const pid = await pidOf();
      return pid !== null && pid !== first ? pid : null;
    });
    if (second !== null) pids.push(second);
    Object.assign(details, { firstPid: first, secondPid: second, restartMs: second === null ? null : Math.round(performance.now() - t0) });
    return second === null
      ? { verified: false, reason: `the killed process did not come back within ${RESTART_WAIT_MS / 1000} s`, details }
      : { verified: true, reason: null, details };
  } catch (err) {
    return { verified: false, reason: `could not set up the test program: ${(err as Error).message}`, details };
  } finally {
    await ctl(['stop', name]);
    await ctl(['remove', name]);
    try {
      unlinkSync(file);
    } catch {
      // never written, or already gone
    }
    await ctl(['reread']);
    unregister();
    const status = await ctl(['status', name]);
    const leftovers: string[] = [];
    if (!/no such process/i.test(status.out)) leftovers.push(`supervisord still knows ${name}: ${status.out.slice(0, 120)}`);
    for (const pid of pids) if (pidAlive(pid)) leftovers.push(`process ${pid} is still running`);
    if (await ctx.exists(file)) leftovers.push(`${file} still exists`);
    details['leftBehind'] = leftovers.length > 0 ? leftovers.join('; ') : null;
  }
}

export const supervisionProbe: ProbeDefinition = {
  id: 'supervision',
  title: 'Process supervision',
  metrics: metricIdsOf('supervision'),
  budgetMs: (options) => (options.activeSupervision ? 60_000 : 20_000),
  async run(ctx): Promise<ProbeOutput> {
    const metrics: Metrics = {};
    const unmeasured: Record<string, string> = {};
    const details: Record<string, unknown> = {};
    const container = await detectContainer(ctx);
    if (!ctx.live && !(await ctx.exists('/proc/1/comm'))) {
      // Nothing to judge from: a recorded tree without pid 1 says nothing about supervision.
      const reason = 'the recorded tree has no /proc/1 (pid 1 was not recorded)';
      for (const id of supervisionProbe.metrics) unmeasured[id] = reason;
      metrics['supervision.in_container'] = container.inContainer;
      return { metrics, details: { containerEvidence: container.evidence }, unmeasured };
    }
    const init = await pid1(ctx, container.inContainer);
    metrics['supervision.init'] = init.kind;
    metrics['supervision.pid1'] = init.name || null;
    if (!init.name) unmeasured['supervision.pid1'] = 'no /proc/1/comm';
    metrics['supervision.in_container'] = container.inContainer;
    details['pid1'] = { kind: init.kind, name: init.name, exe: init.exe, argv: init.argv.slice(0, 8) };
    if (container.evidence.length > 0) details['containerEvidence'] = container.evidence;

    const processes = await listProcesses(ctx);
    const supervisors: Supervisor[] = [];

    const systemd = await checkSystemd(ctx, init.kind);
    Object.assign(metrics, systemd.metrics);
    Object.assign(unmeasured, systemd.unmeasured);
    Object.assign(details, systemd.details);
    if (systemd.supervisor) supervisors.push(systemd.supervisor);

    const supervisorctl = await findExecutable(ctx, ['supervisorctl']);
    const supervisord = await findExecutable(ctx, ['supervisord']);
    const instances = await findSupervisords(ctx, processes, init.kind, supervisorctl);
    details['supervisord'] = { installed: supervisord, supervisorctl, instances };
    if (supervisord || instances.length > 0) {
      const usable = instances.filter((i) => i.usable);
      const evidence = instances.length === 0
        ? ['installed but not running']
        : instances.map((i) => `pid ${i.pid} (${i.config ?? 'no config'}): ${i.usable ? 'answers supervisorctl' : i.error ?? 'not usable'}; ${i.bootEvidence ?? ''}`);
      supervisors.push({
        name: 'supervisord',
        usable: usable.length > 0,
        startsAtBoot: usable.some((i) => i.startsAtBoot === true) ? true : usable.length > 0 ? false : null,
        evidence,
      });
    }

    const runsvdir = processes.find((p) => processNamed(p, ['runsvdir']));
    if (runsvdir || (await findExecutable(ctx, ['runsvdir', 'sv']))) {
      supervisors.push({
        name: 'runit',
        usable: runsvdir !== undefined,
        startsAtBoot: runsvdir ? init.kind === 'runit' || init.kind === 'systemd' : null,
        evidence: [runsvdir ? `runsvdir is running (pid ${runsvdir.pid})` : 'installed, runsvdir not running'],
      });
    }
    const svscan = processes.find((p) => processNamed(p, ['s6-svscan']));
    if (svscan || (await findExecutable(ctx, ['s6-svscan']))) {
      supervisors.push({
        name: 's6',
        usable: svscan !== undefined,
        startsAtBoot: svscan ? svscan.pid === 1 || init.kind === 's6' || init.kind === 'systemd' : null,
        evidence: [svscan ? `s6-svscan is running (pid ${svscan.pid})` : 'installed, s6-svscan not running'],
      });
    }
    const openrcRunning = await ctx.exists('/run/openrc/softlevel');
    if (openrcRunning || (await findExecutable(ctx, ['openrc', 'rc-status']))) {
      supervisors.push({
        name: 'openrc',
        usable: openrcRunning && (await findExecutable(ctx, ['supervise-daemon'])) !== null,
        startsAtBoot: openrcRunning,
        evidence: [openrcRunning ? 'OpenRC is the running rc system (/run/openrc/softlevel); services restart under supervise-daemon' : 'installed, not running'],
      });
    }

    const dockerd = processes.find((p) => processNamed(p, ['dockerd']));
    const dockerCli = await findExecutable(ctx, ['docker']);
    const podman = await findExecutable(ctx, ['podman']);
    details['containerEngines'] = { docker: dockerCli, dockerDaemonRunning: dockerd !== undefined, podman };
    if (dockerd) {
      supervisors.push({
        name: 'docker',
        usable: true,
        startsAtBoot: init.kind === 'systemd' ? await ctx.exists('/etc/systemd/system/multi-user.target.wants/docker.service') : null,
        evidence: [`dockerd is running (pid ${dockerd.pid}): containers started with --restart=always are supervised`],
      });
    }
    if (podman && systemd.supervisor?.usable) {
      supervisors.push({ name: 'podman', usable: true, startsAtBoot: true, evidence: ['podman with systemd: containers run as systemd units (quadlet)'] });
    }

    const usable = supervisors.filter((s) => s.usable);
    metrics['supervision.supervisors'] = usable.map((s) => s.name).join(',');
    const available = usable.some((s) => s.startsAtBoot === true);
    metrics['supervision.available'] = available;
    details['supervisorsFound'] = supervisors;
    if (!available) {
      const reasons: string[] = [];
      const initSystems: InitKind[] = ['systemd', 'openrc', 'runit', 's6', 'sysvinit', 'busybox'];
      if (!initSystems.includes(init.kind)) reasons.push(`pid 1 is "${init.name}"${init.exe ? ` (${init.exe})` : ''}, not an init system, so nothing starts services at boot`);
      if (container.inContainer) reasons.push('inside a container: a restart policy (docker run --restart, compose restart:) is set on the host and is not visible from inside');
      for (const s of usable) reasons.push(`${s.name} is running but nothing starts it at boot`);
      if (usable.length === 0) reasons.push('no supervisor that can restart a crashed process is running');
      details['availableReason'] = reasons.join('; ');
      details['supervisionWarning'] = `no supervision that survives a reboot: ${reasons.join('; ')}`;
    }

    if (!ctx.options.activeSupervision) {
      metrics['supervision.restart_verified'] = null;
      unmeasured['supervision.restart_verified'] = 'opt-in test: run with --active-supervision';
    } else if (!ctx.live) {
      metrics['supervision.restart_verified'] = null;
      unmeasured['supervision.restart_verified'] = 'recorded tree: nothing can be started';
    } else {
      const sleepBin = await findExecutable(ctx, ['sleep']);
      const systemctl = typeof details['systemctl'] === 'string' ? details['systemctl'] : null;
      const instance = instances.filter((i) => i.usable).sort((a, b) => Number(b.config === '/etc/supervisor/supervisord.conf') - Number(a.config === '/etc/supervisor/supervisord.conf'))[0];
      let result: ActiveResult;
      if (!sleepBin) result = { verified: null, reason: 'no sleep program to supervise', details: {} };
      else if (systemd.supervisor?.usable && systemctl) {
        result = userInfo().uid !== 0 && metrics['supervision.user_manager_running'] !== true
          ? { verified: null, reason: 'a transient systemd unit needs root, or a running systemd user manager for this user', details: {} }
          : await activeSystemd(ctx, systemctl, sleepBin);
      }
      else if (instance && supervisorctl) result = await activeSupervisord(ctx, instance, supervisorctl, sleepBin);
      else result = { verified: null, reason: 'no usable systemd or supervisord to test with (the active test supports those two)', details: {} };
      metrics['supervision.restart_verified'] = result.verified;
      if (result.verified === null) unmeasured['supervision.restart_verified'] = result.reason ?? 'not tested';
      details['activeTest'] = { ...result.details, verified: result.verified, reason: result.reason };
      if (result.details['leftBehind']) details['activeTestWarning'] = `the active test could not clean up: ${String(result.details['leftBehind'])}`;
    }
    return { metrics, details, unmeasured };
  },
};
