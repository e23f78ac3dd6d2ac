// --unit and --cgroup: the group whose limits matter is the deployment's service, not the ssh login session
// the agent runs in. Resolved once, before any probe runs, so that a name that does not exist is a usage
// error (exit 2) and not a report about some other group.
import { posix } from 'node:path';
import type { ProbeContext, TargetGroup } from '../../src/engine/probe.js';
import { UsageError } from '../../src/platform/errors.js';
import { groupDirsInAllHierarchies, parseMountinfo } from './parsers/cgroup.js';

const UNIT_NAME = /^[A-Za-z0-9:_.\\@-]+$/;
const UNIT_WITH_CGROUP = /\.(service|scope|slice)$/;

/** "myapp" -> "myapp.service" (as systemctl reads it); a unit type without a cgroup of its own is refused. */
export function normaliseUnitName(name: string): string {
  if (!UNIT_NAME.test(name) || (name.startsWith('-') && name !== '-.slice')) {
    throw new UsageError(`--unit ${name}: not a systemd unit name (letters, digits and : _ . \\ @ -, e.g. myapp.service)`);
  }
  if (UNIT_WITH_CGROUP.test(name)) return name;
  if (/\.[a-z]+$/.test(name)) throw new UsageError(`--unit ${name}: only a .service, .scope or .slice has a cgroup; name the service it starts`);
  return `${name}.service`;
}

/** A cgroup path from the cgroup root: "/system.slice/myapp.service"; ".." and empty parts are refused. */
export function normaliseCgroupPath(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (path.trim() === '' || parts.includes('..') || /[\0\n]/.test(path)) {
    throw new UsageError(`--cgroup ${JSON.stringify(path)}: expected a path from the cgroup root, e.g. system.slice/myapp.service (no "..")`);
  }
  return posix.join('/', ...parts);
}

/** Where systemd puts a unit's group: slices nest by their dashes (a-b.slice in a.slice), the rest go in system.slice. */
export function systemUnitCgroupPath(unit: string): string {
  if (unit === '-.slice') return '/';
  if (!unit.endsWith('.slice')) return `/system.slice/${unit}`;
  const parts = unit.slice(0, -'.slice'.length).split('-');
  return posix.join('/', ...parts.map((_p, i) => `${parts.slice(0, i + 1).join('-')}.slice`));
}

async function unitCgroupLive(ctx: ProbeContext, unit: string): Promise<string> {
  const result = await ctx.exec('systemctl', ['show', '--property=LoadState,ActiveState,ControlGroup', '--', unit], { timeoutMs: 10_000 });
  if (result.spawnError === 'ENOENT') throw new UsageError(`--unit ${unit}: no systemctl on this host (not systemd?); give the group with --cgroup PATH`);
  if (result.code !== 0) {
    const why = result.stderr.trim().split('\n')[0] || result.spawnError || `exit ${String(result.code)}`;
    throw new UsageError(`--unit ${unit}: systemctl show failed (${why}); give the group with --cgroup PATH`);
  }
  const props = new Map(result.stdout.split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1).trim()]));
  if (props.get('LoadState') === 'not-found') throw new UsageError(`--unit ${unit}: no such unit on this host (systemctl: LoadState=not-found)`);
  const group = props.get('ControlGroup') ?? '';
  if (group === '') {
    throw new UsageError(
      `--unit ${unit}: it is ${props.get('ActiveState') || 'not running'}, and systemd gives a unit a cgroup only while it runs; start it, or name its slice with --cgroup`,
    );
  }
  return group;
}

/** Resolves --unit / --cgroup to a group that exists in at least one cgroup hierarchy; UsageError otherwise. */
export async function resolveTargetGroup(ctx: ProbeContext, request: { unit?: string; cgroup?: string }): Promise<TargetGroup | undefined> {
  if (request.unit !== undefined && request.cgroup !== undefined) throw new UsageError('--unit and --cgroup both name the group to measure: give one of them');
  let target: TargetGroup;
  let flag: string;
  if (request.unit !== undefined) {
    const unit = normaliseUnitName(request.unit);
    flag = `--unit ${unit}`;
    target = ctx.live
      ? { path: normaliseCgroupPath(await unitCgroupLive(ctx, unit)), source: `unit ${unit} (systemctl show -p ControlGroup)` }
      : { path: systemUnitCgroupPath(unit), source: `unit ${unit} (where systemd puts it in the recorded tree)` };
  } else if (request.cgroup !== undefined) {
    target = { path: normaliseCgroupPath(request.cgroup), source: '--cgroup' };
    flag = `--cgroup ${request.cgroup}`;
  } else {
    return undefined;
  }
  const mountinfo = await ctx.readText('/proc/self/mountinfo');
  if (mountinfo === null) throw new UsageError(`${flag}: cannot read ${ctx.rootPath('/proc/self/mountinfo')} to find the cgroup hierarchies`);
  const dirs = groupDirsInAllHierarchies(target.path, parseMountinfo(mountinfo));
  if (dirs.length === 0) throw new UsageError(`${flag}: no cgroup hierarchy is mounted (${ctx.rootPath('/proc/self/mountinfo')} lists none)`);
  for (const dir of dirs) if (await ctx.exists(dir)) return target;
  throw new UsageError(`${flag}: no cgroup ${target.path} (looked for ${dirs.map((d) => ctx.rootPath(d)).join(', ')})`);
}
