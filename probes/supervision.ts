// supervision: what would restart the Django app after a crash and start it at boot.
// pid 1, then one backend per file in probes/supervision/: systemd (state, version, user manager, lingering),
// supervisord, runit, s6, OpenRC, docker/podman; and whether we run inside a container. With
// --active-supervision, a throwaway process is started under the supervisor found (a transient systemd unit
// with Restart=always, or a supervisord program), killed, watched coming back, and removed again: nothing is
// left behind, also when the run is interrupted.
import { userInfo } from 'node:os';
import type { ProbeContext, ProbeDefinition, ProbeOutput } from '../src/engine/probe.js';
import { MetricSink } from '../src/engine/sink.js';
import { metricIdsOf } from '../src/report/metrics.js';
import { detectContainer } from './host.js';
import { findExecutable, listProcesses, readLink } from './lib/executables.js';
import { classifyInit, type InitKind } from './lib/parsers/supervision.js';
import type { ActiveResult, SupervisionScene, Supervisor } from './supervision/common.js';
import { checkContainerEngines } from './supervision/containers.js';
import { checkOpenrc } from './supervision/openrc.js';
import { checkRunit } from './supervision/runit.js';
import { checkS6 } from './supervision/s6.js';
import { activeSupervisord, checkSupervisord, preferredInstance, type SupervisordFindings } from './supervision/supervisord.js';
import { activeSystemd, checkSystemd } from './supervision/systemd.js';

const INIT_SYSTEMS: readonly InitKind[] = ['systemd', 'openrc', 'runit', 's6', 'sysvinit', 'busybox'];

async function pid1(ctx: ProbeContext, inContainer: boolean): Promise<SupervisionScene['init']> {
  const comm = (await ctx.readText('/proc/1/comm'))?.trim() ?? '';
  const exe = await readLink(ctx, '/proc/1/exe');
  const argv = ((await ctx.readText('/proc/1/cmdline')) ?? '').split('\0').filter((a) => a.length > 0);
  const openrcRunning = await ctx.exists('/run/openrc/softlevel');
  const kind = classifyInit({ comm, exe, argv, openrcRunning, inContainer });
  return { kind, name: comm || (exe?.split('/').pop() ?? 'unknown'), exe, argv };
}

/** Why no supervision survives a reboot, in words a user can act on. */
function unavailableReasons(init: SupervisionScene['init'], inContainer: boolean, usable: readonly Supervisor[]): string[] {
  const reasons: string[] = [];
  if (!INIT_SYSTEMS.includes(init.kind))
    reasons.push(`pid 1 is "${init.name}"${init.exe ? ` (${init.exe})` : ''}, not an init system, so nothing starts services at boot`);
  if (inContainer)
    reasons.push('inside a container: a restart policy (docker run --restart, compose restart:) is set on the host and is not visible from inside');
  for (const s of usable) reasons.push(`${s.name} is running but nothing starts it at boot`);
  if (usable.length === 0) reasons.push('no supervisor that can restart a crashed process is running');
  return reasons;
}

/** The opt-in restart test, under systemd when it supervises, else under supervisord. */
async function activeTest(
  ctx: ProbeContext,
  sink: MetricSink,
  systemd: { supervisor: Supervisor | null; systemctl: string | null },
  supervisord: SupervisordFindings,
): Promise<ActiveResult> {
  const sleepBin = await findExecutable(ctx, ['sleep']);
  if (!sleepBin) return { verified: null, reason: 'no sleep program to supervise', details: {} };
  if (systemd.supervisor?.usable && systemd.systemctl) {
    return userInfo().uid !== 0 && sink.metrics['supervision.user_manager_running'] !== true
      ? { verified: null, reason: 'a transient systemd unit needs root, or a running systemd user manager for this user', details: {} }
      : activeSystemd(ctx, systemd.systemctl, sleepBin);
  }
  const instance = preferredInstance(supervisord.instances);
  if (instance && supervisord.supervisorctl) return activeSupervisord(ctx, instance, supervisord.supervisorctl, sleepBin);
  return { verified: null, reason: 'no usable systemd or supervisord to test with (the active test supports those two)', details: {} };
}

export const supervisionProbe: ProbeDefinition = {
  id: 'supervision',
  title: 'Process supervision',
  metrics: metricIdsOf('supervision'),
  budgetMs: (options) => (options.activeSupervision ? 60_000 : 20_000),
  async run(ctx): Promise<ProbeOutput> {
    const sink = new MetricSink();
    const { details } = sink;
    const container = await detectContainer(ctx);
    if (!ctx.live && !(await ctx.exists('/proc/1/comm'))) {
      // Nothing to judge from: a recorded tree without pid 1 says nothing about supervision.
      sink.putAllNull(supervisionProbe.metrics, 'the recorded tree has no /proc/1 (pid 1 was not recorded)');
      sink.put('supervision.in_container', container.inContainer, 'container detection failed');
      details['containerEvidence'] = container.evidence;
      return sink.output();
    }
    const init = await pid1(ctx, container.inContainer);
    sink.put('supervision.init', init.kind, 'no /proc/1');
    sink.put('supervision.pid1', init.name || null, 'no /proc/1/comm');
    sink.put('supervision.in_container', container.inContainer, 'container detection failed');
    details['pid1'] = { kind: init.kind, name: init.name, exe: init.exe, argv: init.argv.slice(0, 8) };
    if (container.evidence.length > 0) details['containerEvidence'] = container.evidence;

    const scene: SupervisionScene = { ctx, init, processes: await listProcesses(ctx) };
    const systemd = await checkSystemd(ctx, init.kind, sink);
    const supervisord = await checkSupervisord(scene);
    details['supervisord'] = {
      installed: await findExecutable(ctx, ['supervisord']),
      supervisorctl: supervisord.supervisorctl,
      instances: supervisord.instances,
    };
    const engines = await checkContainerEngines(scene, systemd.supervisor?.usable === true);
    details['containerEngines'] = engines.details;
    const found = [systemd.supervisor, supervisord.supervisor, await checkRunit(scene), await checkS6(scene), await checkOpenrc(scene), ...engines.supervisors];
    const supervisors = found.filter((s): s is Supervisor => s !== null);

    const usable = supervisors.filter((s) => s.usable);
    sink.put('supervision.supervisors', usable.map((s) => s.name).join(','), 'not checked');
    const available = usable.some((s) => s.startsAtBoot === true);
    sink.put('supervision.available', available, 'not checked');
    details['supervisorsFound'] = supervisors;
    if (!available) {
      const reasons = unavailableReasons(init, container.inContainer, usable);
      details['availableReason'] = reasons.join('; ');
      details['supervisionWarning'] = `no supervision that survives a reboot: ${reasons.join('; ')}`;
    }

    if (!ctx.options.activeSupervision) sink.put('supervision.restart_verified', null, 'opt-in test: run with --active-supervision');
    else if (!ctx.live) sink.put('supervision.restart_verified', null, 'recorded tree: nothing can be started');
    else {
      const result = await activeTest(ctx, sink, systemd, supervisord);
      sink.put('supervision.restart_verified', result.verified, result.reason ?? 'not tested');
      details['activeTest'] = { ...result.details, verified: result.verified, reason: result.reason };
      if (result.details['leftBehind']) details['activeTestWarning'] = `the active test could not clean up: ${String(result.details['leftBehind'])}`;
    }
    return sink.output();
  },
};
