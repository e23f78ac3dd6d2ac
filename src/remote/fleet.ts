// Many hosts at once: bounded concurrency, a live progress line per host on a terminal, each report saved
// under --out (atomically), and a final table. One bad host never stops the others.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../judge/exit-codes.js';
import { writeFileAtomic } from '../platform/fs-atomic.js';
import type { Style } from '../render/style.js';
import { formatBytes } from '../report/display.js';
import type { Report } from '../report/types.js';
import { type HostJudgement, hostVerdict, type VerdictSettings, worstExitCode } from './host-verdict.js';
import type { RemoteDevice } from './inventory.js';
import { FAILURE_TEXT, type HostOutcome, type RemoteOptions, runRemote } from './ssh.js';
import { DEFAULT_UPLOAD_OPTIONS, describeOutcome, sendOrSpool, type UploadOutcome } from './upload.js';

export interface FleetOptions extends Omit<RemoteOptions, 'onPhase' | 'signal' | 'runArgs'> {
  /** Run options for every host; a --label is added per host unless given here. */
  runArgs: string[];
  concurrency: number;
  outDir?: string;
  judge: VerdictSettings;
  /** Send each report to a dashboard (spooled when it cannot be reached), one upload at a time. */
  upload?: { url: string; token: string; spoolDir: string; ca?: string };
  /** Where progress goes (stderr), and whether it is a terminal that can redraw lines. */
  progress?: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  verbose?: boolean;
  signal?: AbortSignal;
}

export interface HostUpload {
  status: UploadOutcome['kind'];
  message: string;
  spooledTo: string | null;
}

export interface HostResult {
  device: RemoteDevice;
  outcome: HostOutcome;
  judgement: HostJudgement;
  reportFile?: string;
  upload?: HostUpload;
  exitCode: number;
}

export interface FleetResult {
  hosts: HostResult[];
  exitCode: number;
  durationMs: number;
  summaryFile?: string;
}

/** A file name for a host's report: letters, digits, dot, dash and underscore only. */
export function reportFileName(name: string): string {
  const safe = name
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^\.+/, '_')
    .slice(0, 200);
  return `${safe || 'host'}.json`;
}

class ProgressBoard {
  private readonly lines: string[];
  private drawn = 0;
  private readonly started: number[];
  private readonly timer: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: NonNullable<FleetOptions['progress']>,
    private readonly names: string[],
  ) {
    this.lines = names.map(() => 'waiting');
    this.started = names.map(() => 0);
    if (out.isTTY) {
      this.timer = setInterval(() => this.draw(), 1000);
      this.timer.unref();
      this.draw();
    }
  }

  set(index: number, text: string, start = false): void {
    if (start) this.started[index] = performance.now();
    this.lines[index] = text;
    // Redraw at most ten times a second, however many hosts change.
    if (this.out.isTTY && !this.pending) {
      this.pending = setTimeout(() => {
        this.pending = undefined;
        this.draw();
      }, 100);
    }
  }

  private draw(): void {
    const width = Math.max(...this.names.map((n) => n.length), 4);
    const columns = this.out.columns !== undefined && this.out.columns > 0 ? this.out.columns : 120;
    let text = this.drawn > 0 ? `\u001b[${this.drawn}A` : '';
    this.names.forEach((name, i) => {
      const running = this.started[i] !== 0 && !/^(ok|failed|done)/.test(this.lines[i] ?? '');
      const seconds = running ? ` ${Math.round((performance.now() - (this.started[i] ?? 0)) / 1000)} s` : '';
      const line = `${name.padEnd(width)}  ${this.lines[i] ?? ''}${seconds}`;
      text += `\u001b[2K${line.slice(0, Math.max(20, columns - 1))}\n`;
    });
    this.drawn = this.names.length;
    this.out.write(text);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.pending) clearTimeout(this.pending);
    if (this.out.isTTY) this.draw();
  }
}

function withLabel(runArgs: readonly string[], device: RemoteDevice): string[] {
  return runArgs.includes('--label') ? [...runArgs] : [...runArgs, '--label', device.name];
}

function remoteOptionsFor(device: RemoteDevice, options: FleetOptions, onPhase: (phase: string) => void): RemoteOptions {
  const remote: RemoteOptions = {
    runArgs: withLabel(options.runArgs, device),
    timeoutMs: options.timeoutMs,
    connectTimeoutS: options.connectTimeoutS,
    sshOptions: options.sshOptions,
    mode: options.mode,
    onPhase,
  };
  if (options.sshConfig) remote.sshConfig = options.sshConfig;
  if (options.ssh) remote.ssh = options.ssh;
  if (options.signal) remote.signal = options.signal;
  return remote;
}

/** Uploads go one at a time: each may also flush the spool, which must not run twice at once. */
class UploadQueue {
  private tail: Promise<void> = Promise.resolve();

  async deliver(upload: NonNullable<FleetOptions['upload']>, report: Report): Promise<HostUpload> {
    const sending = this.tail.then(() =>
      sendOrSpool({ url: upload.url, token: upload.token }, report, upload.spoolDir, {
        ...DEFAULT_UPLOAD_OPTIONS,
        ...(upload.ca ? { ca: upload.ca } : {}),
      }),
    );
    this.tail = sending.then(
      () => undefined,
      () => undefined,
    );
    try {
      const sent = await sending;
      return { status: sent.outcome.kind, message: describeOutcome(sent.outcome), spooledTo: sent.spooledTo };
    } catch (err) {
      return { status: 'unreachable', message: `not delivered: ${(err as Error).message}`, spooledTo: null };
    }
  }
}

/** Probes every device, at most `concurrency` at a time. */
export async function runFleet(devices: readonly RemoteDevice[], options: FleetOptions): Promise<FleetResult> {
  const started = performance.now();
  if (options.outDir) mkdirSync(options.outDir, { recursive: true });
  const board = options.progress?.isTTY
    ? new ProgressBoard(
        options.progress,
        devices.map((t) => t.name),
      )
    : undefined;
  const log = !board && options.verbose && options.progress ? options.progress : undefined;
  const results: HostResult[] = new Array<HostResult>(devices.length);
  let next = 0;
  const uploads = new UploadQueue();

  const work = async (): Promise<void> => {
    for (;;) {
      const index = next++;
      const device = devices[index];
      if (device === undefined) return;
      board?.set(index, 'connecting', true);
      const outcome = await runRemote(
        device,
        remoteOptionsFor(device, options, (phase) => board?.set(index, phase)),
      );
      const result = settle(device, outcome, options);
      if (options.upload && outcome.ok) {
        board?.set(index, 'uploading');
        result.upload = await uploads.deliver(options.upload, outcome.report);
        // As for `run`: a report the dashboard will never take makes the run incomplete.
        if (result.upload.status === 'rejected' && result.exitCode === EXIT.ok) result.exitCode = EXIT.unknown;
      }
      results[index] = result;
      const seconds = (outcome.durationMs / 1000).toFixed(1);
      const line = outcome.ok
        ? `ok  ${outcome.mode}  ${result.judgement.headline}  ${seconds} s`
        : `failed  ${FAILURE_TEXT[outcome.failure]}: ${outcome.message}  ${seconds} s`;
      board?.set(index, line);
      log?.write(`${device.name}: ${line}\n`);
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(options.concurrency, devices.length)) }, () => work());
  await Promise.all(workers);
  board?.stop();

  const fleet: FleetResult = {
    hosts: results,
    exitCode: worstExitCode(results.map((r) => r.exitCode)),
    durationMs: Math.round(performance.now() - started),
  };
  if (options.outDir) {
    const summaryFile = join(options.outDir, 'summary.json');
    writeFileAtomic(summaryFile, `${JSON.stringify(fleetSummary(fleet), null, 2)}\n`);
    fleet.summaryFile = summaryFile;
  }
  return fleet;
}

function settle(device: RemoteDevice, outcome: HostOutcome, options: FleetOptions): HostResult {
  if (!outcome.ok) {
    return {
      device,
      outcome,
      judgement: { verdict: 'unknown', headline: 'unknown', exitCode: EXIT.unknown, reason: FAILURE_TEXT[outcome.failure] },
      exitCode: EXIT.unknown,
    };
  }
  const judgement = hostVerdict(outcome.report, options.judge);
  const result: HostResult = { device, outcome, judgement, exitCode: judgement.exitCode };
  if (options.outDir) {
    const file = join(options.outDir, reportFileName(device.name));
    writeFileAtomic(file, `${JSON.stringify(outcome.report, null, 2)}\n`);
    result.reportFile = file;
  }
  return result;
}

/** The machine-readable run: one entry per host, failures included. */
export function fleetSummary(fleet: FleetResult, profile?: string): Record<string, unknown> {
  return {
    ...(profile ? { profile } : {}),
    exitCode: fleet.exitCode,
    durationMs: fleet.durationMs,
    hosts: fleet.hosts.map((r) => ({
      name: r.device.name,
      host: r.device.host,
      ...(r.device.user ? { user: r.device.user } : {}),
      ...(r.device.port ? { port: r.device.port } : {}),
      groups: r.device.groups,
      status: r.outcome.ok ? 'ok' : 'failed',
      ...(r.outcome.ok
        ? { mode: r.outcome.mode, reportId: r.outcome.report.id, board: r.outcome.report.metrics['host.board'] ?? null }
        : { failure: r.outcome.failure, failureText: FAILURE_TEXT[r.outcome.failure], message: r.outcome.message }),
      verdict: r.judgement.verdict,
      headline: r.judgement.headline,
      ...(r.judgement.reason ? { reason: r.judgement.reason } : {}),
      ...(r.judgement.detail
        ? {
            capacity: {
              workers: r.judgement.detail.capacity.workers,
              websocketClients: r.judgement.detail.capacity.websocketClients,
              binding: r.judgement.detail.capacity.binding,
            },
            counts: r.judgement.detail.counts,
          }
        : {}),
      exitCode: r.exitCode,
      durationMs: r.outcome.durationMs,
      ...(r.reportFile ? { reportFile: r.reportFile } : {}),
      ...(r.upload ? { upload: r.upload } : {}),
    })),
  };
}

function metricText(report: Report, id: string, format: (v: number) => string): string {
  const value = report.metrics[id];
  if (typeof value === 'number') return format(value);
  if (typeof value === 'string') return value;
  return '?';
}

/** The final table: host, mode, board, verdict and key figures; failures listed under it with their class. */
export function renderFleetTable(fleet: FleetResult, style: Style, profile?: string): string {
  const header = ['HOST', 'MODE', 'BOARD', 'ARCH', 'MEMORY', 'CPUS', 'PYTHON', 'WORKERS', 'WS CLIENTS', 'VERDICT'];
  const count = (value: number | null | undefined): string => (value === null || value === undefined ? '?' : String(value));
  const rows: string[][] = fleet.hosts.map((r) => {
    if (!r.outcome.ok) return [r.device.name, '-', '-', '-', '-', '-', '-', '-', '-', FAILURE_TEXT[r.outcome.failure]];
    const capacity = r.judgement.detail?.capacity;
    const report = r.outcome.report;
    const board = typeof report.metrics['host.board'] === 'string' ? (report.metrics['host.board'] as string) : '?';
    return [
      r.device.name,
      report.agent.mode,
      board.length > 34 ? `${board.slice(0, 33)}…` : board,
      // What pip and apt install for; reports from before cpu.userland_arch have only the kernel's machine.
      metricText(report, report.metrics['cpu.userland_arch'] === undefined ? 'cpu.arch' : 'cpu.userland_arch', String),
      metricText(report, 'memory.effective_total_bytes', formatBytes),
      metricText(report, 'cpu.effective_cpus', (v) => (Number.isInteger(v) ? String(v) : v.toFixed(2))),
      metricText(report, 'python.version', String),
      count(capacity?.workers),
      capacity?.server === 'asgi' ? count(capacity.websocketClients) : '-',
      r.judgement.headline,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const paint = (text: string, r: HostResult): string => {
    if (!r.outcome.ok || r.exitCode === EXIT.notViable) return style.red(text);
    if (r.exitCode === EXIT.unknown) return style.yellow(text);
    return style.green(text);
  };
  const lines = [
    style.bold(
      header
        .map((h, i) => h.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    ),
  ];
  if (profile) lines.unshift(style.dim(`profile: ${profile}`));
  rows.forEach((row, index) => {
    const result = fleet.hosts[index];
    const last = row.length - 1;
    const cells = row.map((cell, i) => (i === last ? cell : cell.padEnd(widths[i] ?? 0)));
    if (result) cells[last] = paint(cells[last] ?? '', result);
    lines.push(cells.join('  ').trimEnd());
  });
  const failures = fleet.hosts.filter((r) => !r.outcome.ok || r.judgement.reason || (r.upload && r.upload.status !== 'delivered'));
  if (failures.length > 0) lines.push('');
  for (const r of failures) {
    const text = r.outcome.ok ? (r.judgement.reason ?? '') : `${FAILURE_TEXT[r.outcome.failure]}: ${r.outcome.message}`;
    if (text) lines.push(`${style.bold(r.device.name)}: ${text}`);
    if (r.upload && r.upload.status !== 'delivered') {
      lines.push(
        `${style.bold(r.device.name)}: upload: ${r.upload.message}${r.upload.spooledTo ? `; spooled to ${r.upload.spooledTo} (\`edgeprobe upload --flush\` sends it)` : ''}`,
      );
    }
  }
  const uploaded = fleet.hosts.filter((r) => r.upload?.status === 'delivered').length;
  const ok = fleet.hosts.filter((r) => r.outcome.ok).length;
  const uploadNote = fleet.hosts.some((r) => r.upload) ? `; ${uploaded} uploaded` : '';
  lines.push(
    '',
    style.dim(
      `${ok} of ${fleet.hosts.length} host${fleet.hosts.length === 1 ? '' : 's'} reported in ${(fleet.durationMs / 1000).toFixed(1)} s${uploadNote}${fleet.summaryFile ? `; reports and summary.json in ${fleet.summaryFile.replace(/\/summary\.json$/, '')}` : ''}`,
    ),
  );
  return `${lines.join('\n')}\n`;
}
