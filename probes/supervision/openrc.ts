// OpenRC: the running rc system leaves /run/openrc/softlevel; services restart under supervise-daemon.
import { findExecutable } from '../lib/executables.js';
import type { SupervisionScene, Supervisor } from './common.js';

export async function checkOpenrc(scene: SupervisionScene): Promise<Supervisor | null> {
  const { ctx } = scene;
  const openrcRunning = await ctx.exists('/run/openrc/softlevel');
  if (!openrcRunning && !(await findExecutable(ctx, ['openrc', 'rc-status']))) return null;
  return {
    name: 'openrc',
    usable: openrcRunning && (await findExecutable(ctx, ['supervise-daemon'])) !== null,
    startsAtBoot: openrcRunning,
    evidence: [openrcRunning ? 'OpenRC is the running rc system (/run/openrc/softlevel); services restart under supervise-daemon' : 'installed, not running'],
  };
}
