// s6: s6-svscan supervises its scan directory; it starts at boot as pid 1, under s6-rc, or from systemd.
import { findExecutable, processNamed } from '../lib/executables.js';
import type { SupervisionScene, Supervisor } from './common.js';

export async function checkS6(scene: SupervisionScene): Promise<Supervisor | null> {
  const svscan = scene.processes.find((p) => processNamed(p, ['s6-svscan']));
  if (!svscan && !(await findExecutable(scene.ctx, ['s6-svscan']))) return null;
  return {
    name: 's6',
    usable: svscan !== undefined,
    startsAtBoot: svscan ? svscan.pid === 1 || scene.init.kind === 's6' || scene.init.kind === 'systemd' : null,
    evidence: [svscan ? `s6-svscan is running (pid ${svscan.pid})` : 'installed, s6-svscan not running'],
  };
}
