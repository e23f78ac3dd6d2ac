// Container engines as supervisors: dockerd restarts containers run with --restart=always; podman with
// systemd runs containers as units (quadlet), so systemd supervises them.
import { findExecutable, processNamed } from '../lib/executables.js';
import type { SupervisionScene, Supervisor } from './common.js';

export async function checkContainerEngines(
  scene: SupervisionScene,
  systemdUsable: boolean,
): Promise<{ supervisors: Supervisor[]; details: Record<string, unknown> }> {
  const { ctx } = scene;
  const dockerd = scene.processes.find((p) => processNamed(p, ['dockerd']));
  const dockerCli = await findExecutable(ctx, ['docker']);
  const podman = await findExecutable(ctx, ['podman']);
  const supervisors: Supervisor[] = [];
  if (dockerd) {
    supervisors.push({
      name: 'docker',
      usable: true,
      startsAtBoot: scene.init.kind === 'systemd' ? await ctx.exists('/etc/systemd/system/multi-user.target.wants/docker.service') : null,
      evidence: [`dockerd is running (pid ${dockerd.pid}): containers started with --restart=always are supervised`],
    });
  }
  if (podman && systemdUsable) {
    supervisors.push({ name: 'podman', usable: true, startsAtBoot: true, evidence: ['podman with systemd: containers run as systemd units (quadlet)'] });
  }
  return { supervisors, details: { docker: dockerCli, dockerDaemonRunning: dockerd !== undefined, podman } };
}
