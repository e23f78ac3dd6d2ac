// One host over SSH: the system OpenSSH client (so ~/.ssh/config, agents, ProxyJump and known_hosts work),
// started with an argument array, BatchMode and ConnectTimeout. A small POSIX-sh bootstrap on the device
// looks for node >= 18 and says which mode it chose; we then stream the agent bundle to `node -`, or the
// POSIX-sh probe to sh. Nothing is written on the device. Every outcome is classified; partial output is
// never taken as a report: only what src/report/validate.ts accepts is.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { shProbePayload } from '../../probes/posix-sh/assemble.js';
import { packageRoot } from '../platform/package-files.js';
import { stopChild, trackChild } from '../platform/process.js';
import { shellQuote } from '../platform/shell-quote.js';
import type { Report } from '../report/types.js';
import { parseReport } from '../report/validate.js';
import type { RemoteDevice } from './inventory.js';

export type FailureClass =
  | 'unreachable'
  | 'auth-failed'
  | 'host-key-mismatch'
  | 'host-key-unknown'
  | 'no-shell'
  | 'no-node'
  | 'timeout'
  | 'killed'
  | 'invalid-report'
  | 'options-refused'
  | 'ssh-error';

export const FAILURE_TEXT: Record<FailureClass, string> = {
  unreachable: 'unreachable',
  'auth-failed': 'authentication failed',
  'host-key-mismatch': 'host key mismatch',
  'host-key-unknown': 'host key unknown',
  'no-shell': 'neither node nor sh',
  'no-node': 'no node >= 18 (--mode node)',
  timeout: 'timed out',
  killed: 'killed mid-run',
  'invalid-report': 'invalid report',
  'options-refused': 'options refused by the device',
  'ssh-error': 'ssh failed',
};

export type AgentModeChoice = 'auto' | 'node' | 'sh';

export interface RemoteOptions {
  /** Options for `run` on the device: --quick, --label, --only ... (not --format/--timeout: set here). */
  runArgs: string[];
  /** Whole-host bound in ms: connection, probing and transfer. */
  timeoutMs: number;
  connectTimeoutS: number;
  /** -o K=V for every connection. */
  sshOptions: string[];
  /** -F FILE */
  sshConfig?: string;
  mode: AgentModeChoice;
  /** ssh program (default "ssh"). */
  ssh?: string;
  signal?: AbortSignal;
  onPhase?: (phase: string) => void;
}

export type HostOutcome =
  | { ok: true; report: Report; mode: 'node' | 'posix-sh'; agentExit: number; durationMs: number; stderr: string; nodeVersion?: string }
  | { ok: false; failure: FailureClass; message: string; durationMs: number; stderr: string; mode?: 'node' | 'posix-sh' };

const MODE_MARKER = 'EDGEPROBE-MODE ';
const EXIT_MARKER = 'EDGEPROBE-EXIT ';
const MAX_OUTPUT = 16 * 1024 * 1024;
const MAX_STDERR = 64 * 1024;

/**
 * Runs on the device under `sh -c`, with $1 = auto|node|sh, $2 = node's own options (words, may be empty)
 * and the run options after them. Prints which mode it chose, runs the agent from stdin, and ends with the
 * exit status, so that a run cut short (killed, connection lost) is told apart from a finished one.
 * Node's version comes from `node -v`, matched by the shell against 18 and later: starting node once more
 * only to compare versions would cost a Pi Zero a second. A node that rejects one of node's own options
 * (exit 9, "bad option", before it reads anything) is started again without them, the agent still unread
 * on stdin: a later Node may drop a V8 flag.
 */
export const BOOTSTRAP = [
  'pref=$1; nodeflags=$2; shift 2',
  'nodebin=; nodever=',
  'if [ "$pref" != sh ]; then',
  '  for n in node nodejs; do',
  '    command -v "$n" >/dev/null 2>&1 || continue',
  '    v=$("$n" -v </dev/null 2>/dev/null) || continue',
  '    case $v in v1[89].*|v[2-9][0-9].*|v[1-9][0-9][0-9]*) nodebin=$n; nodever=$v; break ;; esac',
  '  done',
  'fi',
  'if [ -n "$nodebin" ]; then',
  '  printf "EDGEPROBE-MODE node %s\\n" "$nodever"',
  '  "$nodebin" $nodeflags - "$@"; rc=$?',
  '  if [ "$rc" = 9 ] && [ -n "$nodeflags" ]; then "$nodebin" - "$@"; rc=$?; fi',
  'elif [ "$pref" = node ]; then',
  '  printf "EDGEPROBE-MODE none\\n"; exit 0',
  'else',
  '  printf "EDGEPROBE-MODE sh\\n"',
  '  if command -v cat >/dev/null 2>&1; then script=$(cat); else script=; while IFS= read -r l; do script="$script$l',
  '"; done; fi',
  '  (eval "$script") </dev/null; rc=$?',
  'fi',
  'printf "\\nEDGEPROBE-EXIT %s\\n" "$rc"',
].join('\n');

/**
 * V8 options for an agent run that measures no speed (--quick): a 1 MiB young generation instead of up to
 * 16 MiB, and neither the optimising compiler nor the baseline one (their code alone is 3.5 and 1.2 MiB of
 * a run's resident memory, and nothing in a quick run is hot enough to gain from them; its CPU time does
 * not change). A full run keeps V8's defaults: its CPU benchmark and streaming load test measure optimised
 * code. docs/bench.md gives the quick agent's peak RSS with and without them.
 */
export const QUICK_NODE_FLAGS = ['--max-semi-space-size=1', '--no-opt', '--no-sparkplug'] as const;

export function nodeFlagsFor(runArgs: readonly string[]): readonly string[] {
  return runArgs.includes('--quick') ? QUICK_NODE_FLAGS : [];
}

export function remoteCommand(mode: AgentModeChoice, runArgs: readonly string[]): string {
  return ['sh', '-c', BOOTSTRAP, 'edgeprobe', mode, nodeFlagsFor(runArgs).join(' '), ...runArgs].map(shellQuote).join(' ');
}

/** ssh's argument array for one device. */
export function sshArgs(device: RemoteDevice, options: Pick<RemoteOptions, 'connectTimeoutS' | 'sshOptions' | 'sshConfig'>, command: string): string[] {
  const args: string[] = [];
  if (options.sshConfig) args.push('-F', options.sshConfig);
  args.push(
    '-T', // no terminal: the agent's output is data
    '-e',
    'none', // no escape character on stdin, which carries the agent
    '-o',
    'BatchMode=yes', // never prompt: a password or passphrase prompt would hang a fleet run
    '-o',
    `ConnectTimeout=${Math.max(1, Math.round(options.connectTimeoutS))}`,
    '-o',
    'ServerAliveInterval=10',
    '-o',
    'ServerAliveCountMax=3',
  );
  for (const option of options.sshOptions) args.push('-o', option);
  if (device.port !== undefined) args.push('-p', String(device.port));
  if (device.user !== undefined) args.push('-l', device.user);
  if (device.identityFile !== undefined) args.push('-i', device.identityFile, '-o', 'IdentitiesOnly=yes');
  // From the inventory (ansible_ssh_common_args / ansible_ssh_extra_args), as Ansible passes them.
  if (device.sshArgs) args.push(...device.sshArgs);
  args.push('--', device.host, command);
  return args;
}

/** Classifies a connection that never reached our bootstrap, from ssh's exit status and messages. */
export function classifySshFailure(stderr: string, exitCode: number | null): { failure: FailureClass; message: string } {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const pick = (pattern: RegExp): string => lines.find((l) => pattern.test(l)) ?? lines[lines.length - 1] ?? `ssh exited with ${String(exitCode)}`;
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed|host key mismatch/i.test(stderr)) {
    return {
      failure: 'host-key-mismatch',
      message: 'the host key differs from the one in known_hosts (possible man-in-the-middle, or the device was reinstalled)',
    };
  }
  if (/No .* host key is known for|Host key verification failed/i.test(stderr)) {
    return { failure: 'host-key-unknown', message: `${pick(/host key/i)} (BatchMode never asks; add the key with ssh-keyscan or connect once by hand)` };
  }
  if (/Permission denied|Too many authentication failures|no supported authentication methods|Authentication failed/i.test(stderr)) {
    return { failure: 'auth-failed', message: pick(/Permission denied|authentication/i) };
  }
  if (/Connection timed out during banner exchange|banner exchange/i.test(stderr)) {
    return { failure: 'timeout', message: `${pick(/banner/i)} (the server accepted the connection but never answered)` };
  }
  if (
    /Could not resolve hostname|Name or service not known|nodename nor servname|Connection refused|No route to host|Network is unreachable|Connection timed out|Operation timed out|kex_exchange_identification|Connection reset by peer|Connection closed by .* port|Host is down/i.test(
      stderr,
    )
  ) {
    return { failure: 'unreachable', message: pick(/resolve|refused|route|unreachable|timed out|kex_exchange|reset|closed|down/i) };
  }
  return { failure: 'ssh-error', message: lines[lines.length - 1] ?? `ssh exited with ${String(exitCode)}` };
}

let agentBundleCache: string | undefined;

/** The one-file agent that is streamed to `node -`. */
export function agentBundle(): string {
  agentBundleCache ??= readFileSync(join(packageRoot(), 'dist', 'edgeprobe-agent.js'), 'utf8');
  return agentBundleCache;
}

/** Cuts the agent's output out of the stream: after the mode line, up to the exit line. */
export function splitOutput(stdout: string): { mode: string | null; body: string; exit: number | null } {
  const modeAt = stdout.indexOf(MODE_MARKER);
  if (modeAt < 0 || (modeAt > 0 && stdout[modeAt - 1] !== '\n')) return { mode: null, body: '', exit: null };
  const modeEnd = stdout.indexOf('\n', modeAt);
  if (modeEnd < 0) return { mode: stdout.slice(modeAt + MODE_MARKER.length).trim(), body: '', exit: null };
  const mode = stdout.slice(modeAt + MODE_MARKER.length, modeEnd).trim();
  const rest = stdout.slice(modeEnd + 1);
  const exitAt = rest.lastIndexOf(`\n${EXIT_MARKER}`);
  if (exitAt < 0) return { mode, body: rest, exit: null };
  const exitText = rest.slice(exitAt + 1 + EXIT_MARKER.length).trim();
  const exit = /^\d+$/.test(exitText) ? Number(exitText) : null;
  return { mode, body: rest.slice(0, exitAt), exit };
}

/** What the ssh session left behind once it ended: the input to classifyOutcome. */
interface SessionEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: string;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  aborted: boolean;
  overflow: boolean;
  timeoutMs: number;
}

type FailWith = (failure: FailureClass, message: string) => HostOutcome;

/** Probes one host. Never rejects: every failure comes back classified. */
export function runRemote(device: RemoteDevice, options: RemoteOptions): Promise<HostOutcome> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  // The device gets most of the budget for its own --timeout, so it finishes (and reports) before we give up.
  const deviceTimeoutS = Math.max(5, Math.floor((options.timeoutMs / 1000) * 0.85) - options.connectTimeoutS);
  const runArgs = ['run', '--format', 'json', '--timeout', String(deviceTimeoutS), ...options.runArgs];
  if (device.python && !runArgs.includes('--python')) runArgs.push('--python', device.python);
  const args = sshArgs(device, options, remoteCommand(options.mode, runArgs));

  return new Promise<HostOutcome>((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(options.ssh ?? 'ssh', args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: process.env });
    } catch (err) {
      resolve({ ok: false, failure: 'ssh-error', message: `cannot start ssh: ${(err as Error).message}`, durationMs: elapsed(), stderr: '' });
      return;
    }
    superviseSession(child, options, (end) => resolve(classifyOutcome({ ...end, durationMs: elapsed() })));
  });
}

/** Watches one started ssh child: sends the payload once the device chose a mode, bounds output and time. */
function superviseSession(child: ChildProcess, options: RemoteOptions, onEnd: (end: Omit<SessionEnd, 'durationMs'>) => void): void {
  trackChild(child);
  options.onPhase?.('connecting');
  const out: Buffer[] = [];
  let outBytes = 0;
  let stderr = '';
  let chosen: string | null = null;
  let timedOut = false;
  let aborted = false;
  let overflow = false;
  let settled = false;

  child.stdin?.on('error', () => undefined);
  child.stdout?.on('data', (chunk: Buffer) => {
    outBytes += chunk.length;
    if (outBytes > MAX_OUTPUT) {
      overflow = true;
      void stopChild(child, 500);
      return;
    }
    out.push(chunk);
    if (chosen === null) {
      const text = Buffer.concat(out).toString('utf8');
      const { mode } = splitOutput(text);
      if (mode !== null && text.indexOf('\n', text.indexOf(MODE_MARKER)) >= 0) {
        chosen = mode;
        sendPayload(child, mode, options);
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < MAX_STDERR) stderr += chunk.toString('utf8');
  });
  const timer = setTimeout(() => {
    timedOut = true;
    void stopChild(child, 500);
  }, options.timeoutMs);
  const onAbort = (): void => {
    aborted = true;
    void stopChild(child, 500);
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: string): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    const stdout = Buffer.concat(out).toString('utf8');
    onEnd({ code, signal, stdout, stderr, timedOut, aborted, overflow, timeoutMs: options.timeoutMs, ...(spawnError ? { spawnError } : {}) });
  };
  child.once('error', (err: NodeJS.ErrnoException) => finish(null, null, err.code ?? err.message));
  child.once('close', (code, signal) => finish(code, signal));
}

/** Streams what the device's chosen mode runs: the agent bundle to node, the POSIX-sh probe to sh, else nothing. */
function sendPayload(child: ChildProcess, mode: string, options: RemoteOptions): void {
  if (!child.stdin) return;
  if (mode.startsWith('node')) {
    options.onPhase?.(`probing (node ${mode.slice(4).trim()})`);
    child.stdin.end(agentBundle());
  } else if (mode === 'sh') {
    options.onPhase?.('probing (posix-sh)');
    child.stdin.end(shProbePayload());
  } else {
    child.stdin.end();
  }
}

/** Turns an ended session into a report or a classified failure; partial output is never a report. */
function classifyOutcome(end: SessionEnd): HostOutcome {
  const { mode, body, exit } = splitOutput(end.stdout);
  const agentMode = mode === null ? undefined : mode.startsWith('node') ? ('node' as const) : mode === 'sh' ? ('posix-sh' as const) : undefined;
  const fail: FailWith = (failure, message) => ({
    ok: false,
    failure,
    message,
    durationMs: end.durationMs,
    stderr: end.stderr,
    ...(agentMode ? { mode: agentMode } : {}),
  });
  if (end.spawnError) return fail('ssh-error', `cannot start ssh: ${end.spawnError}`);
  if (end.overflow) return fail('invalid-report', `the device sent more than ${MAX_OUTPUT} bytes; not a report`);
  if (mode === null) return classifyBeforeMode(end, fail);
  if (mode === 'none') return fail('no-node', 'no node >= 18 on the device and --mode node forbids the sh probe');
  const runner = agentMode === 'node' ? 'agent' : 'sh probe';
  if (end.timedOut) return fail('timeout', `the ${runner} did not finish within ${Math.round(end.timeoutMs / 1000)} s; partial output discarded`);
  if (end.aborted) return fail('killed', 'interrupted; partial output discarded');
  if (exit === null) {
    const why =
      end.code === 255 ? lastLine(end.stderr) || 'connection lost' : `ssh ended (${end.signal ?? `exit ${String(end.code)}`}) before the agent finished`;
    return fail('killed', `${why}; partial output discarded`);
  }
  if (exit > 128) {
    const sigkill = exit - 128 === 9 ? ' (SIGKILL: out of memory?)' : '';
    return fail('killed', `the ${runner} was killed by signal ${exit - 128}${sigkill}; partial output discarded`);
  }
  const check = parseReport(body.trim());
  // Exit 2 is a usage error on the device: e.g. --unit names a unit this host does not have.
  if (!check.ok && exit === 2) return fail('options-refused', lastLine(end.stderr) || 'the device exited with 2 (usage error) and gave no reason');
  if (!check.ok) {
    const detail =
      exit === 0 || exit === 3 ? check.errors.slice(0, 3).join('; ') : `agent exited with ${exit}: ${lastLine(end.stderr) || check.errors[0] || ''}`;
    return fail('invalid-report', detail);
  }
  const nodeVersion = agentMode === 'node' ? mode.slice(4).trim() : '';
  return {
    ok: true,
    report: check.report,
    mode: check.report.agent.mode,
    agentExit: exit,
    durationMs: end.durationMs,
    stderr: end.stderr,
    ...(nodeVersion ? { nodeVersion } : {}),
  };
}

/** The device never said which mode it chose: ssh itself failed, or the bootstrap never ran. */
function classifyBeforeMode(end: SessionEnd, fail: FailWith): HostOutcome {
  if (end.timedOut) return fail('timeout', `no answer within ${Math.round(end.timeoutMs / 1000)} s (${lastLine(end.stderr) || 'still connecting'})`);
  if (end.aborted) return fail('killed', 'interrupted before the device answered');
  if (end.code === 255 || end.signal !== null) return { ...fail('unreachable', ''), ...classifySshFailure(end.stderr, end.code) };
  // Authenticated, but our `sh -c` bootstrap never ran: no POSIX shell on the device (or a nologin shell).
  const reason = lastLine(end.stderr) ? `: ${lastLine(end.stderr)}` : '';
  return fail('no-shell', `the login shell could not run "sh -c" (exit ${String(end.code)}${reason})`);
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines[lines.length - 1]?.slice(0, 300) ?? '';
}
