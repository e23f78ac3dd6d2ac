// Finding programs and processes on the probed system: through the probe context's root, so a recorded
// device tree answers the same questions as the live system (as far as it was recorded).
import { accessSync, constants, readlinkSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { isKernelFile, type ProbeContext, type RunOptions } from '../../src/engine/probe.js';
import { parseCmdline, parseProcStatus } from './parsers/proc.js';

/** Where programs live on the Linux systems we probe, in PATH order. */
export const SYSTEM_BIN_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'] as const;

/** Directories to search: the live PATH (live system only) followed by the standard ones. */
export function searchDirs(ctx: ProbeContext): string[] {
  const fromPath = ctx.live ? (process.env['PATH'] ?? '').split(':').filter((d) => d.startsWith('/')) : [];
  return [...new Set([...fromPath, ...SYSTEM_BIN_DIRS])];
}

export async function isExecutable(ctx: ProbeContext, devicePath: string): Promise<boolean> {
  try {
    // access(2) answers from the kernel's directory cache in microseconds; the probes ask it hundreds of
    // times (each program name in each PATH directory), which through the thread pool cost tens of ms.
    accessSync(ctx.rootPath(devicePath), ctx.live ? constants.X_OK : constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/** The device path of the first of `names` found in the search directories, or null. */
export async function findExecutable(ctx: ProbeContext, names: readonly string[], dirs: readonly string[] = searchDirs(ctx)): Promise<string | null> {
  for (const dir of dirs) {
    for (const name of names) {
      const path = `${dir}/${name}`;
      if (await isExecutable(ctx, path)) return path;
    }
  }
  return null;
}

export interface ProcessInfo {
  pid: number;
  ppid: number | null;
  /** Kernel's short name (/proc/PID/comm, at most 15 characters). */
  comm: string;
  argv: string[];
  uid: number | null;
}

const processLists = new WeakMap<RunOptions, Promise<ProcessInfo[]>>();

/**
 * Every process visible under the root's /proc (a recorded tree usually has none), read once per run: the
 * probes that look at processes (stack, supervision) start together and would each read the same three
 * files of every process. A run's probes share its options object, which keys the list. Callers must not
 * change the list.
 */
export function listProcesses(ctx: ProbeContext): Promise<ProcessInfo[]> {
  let list = processLists.get(ctx.options);
  if (!list) {
    list = readProcesses(ctx);
    processLists.set(ctx.options, list);
  }
  return list;
}

async function readProcesses(ctx: ProbeContext): Promise<ProcessInfo[]> {
  const entries = (await ctx.listDir('/proc')) ?? [];
  const out: ProcessInfo[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const comm = (await ctx.readText(`/proc/${entry}/comm`))?.trim();
    if (comm === undefined) continue;
    const status = parseProcStatus((await ctx.readText(`/proc/${entry}/status`)) ?? '');
    out.push({ pid: Number(entry), ppid: status.ppid, comm, argv: parseCmdline((await ctx.readText(`/proc/${entry}/cmdline`)) ?? ''), uid: status.uid });
  }
  return out.sort((a, b) => a.pid - b.pid);
}

/** The program a process runs, by its kernel name or the base name of argv[0]. */
export function processNamed(p: ProcessInfo, names: readonly string[]): boolean {
  const argv0 = (p.argv[0] ?? '').split('/').pop() ?? '';
  return names.includes(p.comm) || names.includes(argv0);
}

/** Socket inodes a process holds open (from /proc/PID/fd links; needs the same user or root). */
export async function socketInodes(ctx: ProbeContext, pid: number): Promise<Set<number>> {
  const inodes = new Set<number>();
  const fds = (await ctx.listDir(`/proc/${pid}/fd`)) ?? [];
  for (const fd of fds) {
    try {
      const target = readlinkSync(ctx.rootPath(`/proc/${pid}/fd/${fd}`));
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match?.[1]) inodes.add(Number(match[1]));
    } catch {
      // closed meanwhile or not ours to read
    }
  }
  return inodes;
}

/** Where a symlink under the root points, or null. */
export async function readLink(ctx: ProbeContext, devicePath: string): Promise<string | null> {
  try {
    return isKernelFile(devicePath) ? readlinkSync(ctx.rootPath(devicePath)) : await readlink(ctx.rootPath(devicePath));
  } catch {
    return null;
  }
}

/** First line of a program's version output (stdout or stderr), or the reason there is none. */
export async function versionLine(ctx: ProbeContext, file: string, args: readonly string[], timeoutMs = 5_000): Promise<{ text: string | null; reason: string | null }> {
  const result = await ctx.exec(file, args, { timeoutMs, maxBytes: 64 * 1024 });
  if (result.spawnError) return { text: null, reason: `${file} could not be started (${result.spawnError})` };
  if (result.timedOut) return { text: null, reason: `${file} ${args.join(' ')} did not answer within ${Math.round(timeoutMs / 1000)} s` };
  const text = `${result.stdout}\n${result.stderr}`.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? null;
  if (text === null) return { text: null, reason: `${file} ${args.join(' ')} printed nothing (exit ${result.code ?? result.signal ?? '?'})` };
  return { text: text.slice(0, 300), reason: null };
}

/** Can this root show which programs are installed? Always on a live system; a recorded tree may hold no program folders. */
export async function programsVisible(ctx: ProbeContext): Promise<boolean> {
  if (ctx.live) return true;
  for (const dir of SYSTEM_BIN_DIRS) if ((await ctx.listDir(dir)) !== null) return true;
  return false;
}

export const NO_PROGRAM_DIRS = 'the recorded tree holds no program folders (/usr/bin, /usr/sbin ...)';
