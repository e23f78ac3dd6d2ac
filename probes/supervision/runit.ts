// runit: runsvdir supervises every service directory; it starts at boot when runit or systemd runs it.
import { findExecutable, processNamed } from '../lib/executables.js';
import type { SupervisionScene, Supervisor } from './common.js';

export async function checkRunit(scene: SupervisionScene): Promise<Supervisor | null> {
  const runsvdir = scene.processes.find((p) => processNamed(p, ['runsvdir']));
  if (!runsvdir && !(await findExecutable(scene.ctx, ['runsvdir', 'sv']))) return null;
  return {
    name: 'runit',
    usable: runsvdir !== undefined,
    startsAtBoot: runsvdir ? scene.init.kind === 'runit' || scene.init.kind === 'systemd' : null,
    evidence: [runsvdir ? `runsvdir is running (pid ${runsvdir.pid})` : 'installed, runsvdir not running'],
  };
}
