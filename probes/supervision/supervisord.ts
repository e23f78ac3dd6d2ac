// supervisord: every running instance, its config and whether supervisorctl answers; the active test adds a
// throwaway program through an [include] directory, kills it, watches it come back and removes it again.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { unlinkSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ProbeContext } from '../../src/engine/probe.js';
import { registerCleanup } from '../../src/platform/process.js';
import { findExecutable, type ProcessInfo, processNamed, readLink } from '../lib/executables.js';
import {
  globToRegExp,
  type InitKind,
  parseSupervisorctlPid,
  SUPERVISORD_DEFAULT_CONFIGS,
  supervisordConfigArg,
  supervisordIncludes,
} from '../lib/parsers/supervision.js';
import { type ActiveResult, CMD_TIMEOUT_MS, pidAlive, RESTART_WAIT_MS, type SupervisionScene, type Supervisor, waitFor } from './common.js';

export interface SupervisordInstance {
  pid: number;
  config: string | null;
  usable: boolean;
  error: string | null;
  includes: string[];
  startsAtBoot: boolean | null;
  bootEvidence: string | null;
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

async function findSupervisords(
  ctx: ProbeContext,
  processes: readonly ProcessInfo[],
  initKind: InitKind,
  supervisorctl: string | null,
): Promise<SupervisordInstance[]> {
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
    const instance: SupervisordInstance = {
      pid: p.pid,
      config,
      usable: false,
      error: null,
      includes: [],
      startsAtBoot: boot.startsAtBoot,
      bootEvidence: boot.evidence,
    };
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
      else
        instance.error = answer.timedOut
          ? 'supervisorctl did not answer'
          : `supervisorctl -c ${config} pid said "${(answer.stdout + answer.stderr).trim().slice(0, 160)}"`;
    }
    instances.push(instance);
  }
  return instances;
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

/** The test program: a sleep that supervisord restarts whenever it dies, killed with its group when stopped. */
function testProgramConfig(name: string, sleepBin: string): string {
  return [
    `; written by edgeprobe --active-supervision; removed when the test ends`,
    `[program:${name}]`,
    `command=${sleepBin} 600`,
    'autostart=true',
    'autorestart=true',
    'startsecs=0',
    'startretries=5',
    'stopsignal=KILL',
    'stopasgroup=true',
    'killasgroup=true',
    'stdout_logfile=NONE',
    'stderr_logfile=NONE',
    '',
  ].join('\n');
}

export async function activeSupervisord(ctx: ProbeContext, instance: SupervisordInstance, supervisorctl: string, sleepBin: string): Promise<ActiveResult> {
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
    writeFileSync(file, testProgramConfig(name, sleepBin), { flag: 'wx', mode: 0o644 });
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

export interface SupervisordFindings {
  supervisor: Supervisor | null;
  instances: SupervisordInstance[];
  supervisorctl: string | null;
}

export async function checkSupervisord(scene: SupervisionScene): Promise<SupervisordFindings> {
  const { ctx } = scene;
  const supervisorctl = await findExecutable(ctx, ['supervisorctl']);
  const supervisord = await findExecutable(ctx, ['supervisord']);
  const instances = await findSupervisords(ctx, scene.processes, scene.init.kind, supervisorctl);
  if (!supervisord && instances.length === 0) return { supervisor: null, instances, supervisorctl };
  const usable = instances.filter((i) => i.usable);
  const evidence =
    instances.length === 0
      ? ['installed but not running']
      : instances.map(
          (i) => `pid ${i.pid} (${i.config ?? 'no config'}): ${i.usable ? 'answers supervisorctl' : (i.error ?? 'not usable')}; ${i.bootEvidence ?? ''}`,
        );
  return {
    supervisor: {
      name: 'supervisord',
      usable: usable.length > 0,
      startsAtBoot: usable.some((i) => i.startsAtBoot === true) ? true : usable.length > 0 ? false : null,
      evidence,
    },
    instances,
    supervisorctl,
  };
}

/** The instance to run the active test under: a usable one, Debian's system-wide supervisord first. */
export function preferredInstance(instances: readonly SupervisordInstance[]): SupervisordInstance | undefined {
  const DEBIAN_CONFIG = '/etc/supervisor/supervisord.conf';
  return instances.filter((i) => i.usable).sort((a, b) => Number(b.config === DEBIAN_CONFIG) - Number(a.config === DEBIAN_CONFIG))[0];
}
