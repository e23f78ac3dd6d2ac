// Runs probes within their budgets and assembles one edgeprobe.report/v1.
// A probe that throws, hangs, overruns or returns something malformed becomes an error envelope;
// the others still run and the report is always complete.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { VERSION } from '../platform/version.js';
import { metricValueProblem } from '../report/metrics.js';
import { type Metrics, type ProbeEnvelope, REPORT_SCHEMA, type Report } from '../report/types.js';
import { type BudgetScale, runBudgetScale, scaledBudgetMs } from './budget-scale.js';
import { createContext, type ProbeContext, type ProbeDefinition, type ProbeOutput, type RunOptions } from './probe.js';
import { markSuspectLoads } from './suspect.js';

export interface RunnerHooks {
  /** Progress lines (the CLI sends them to stderr on a TTY or with --verbose). */
  progress?: (line: string) => void;
  /** Aborted from outside, e.g. by SIGINT: running probes are stopped and the report is finished. */
  signal?: AbortSignal;
  /** The budget scale to use instead of measuring the device (tests pin it). */
  budgetScale?: BudgetScale;
}

class ProbeFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Test hook for the reliability suite: EDGEPROBE_FAULTS="memory=throw,cpu=hang" makes the named probes
 * misbehave in one of four ways (EDGEPROBE_FAULT_BUDGET_MS caps their budget). It only ever makes a probe
 * fail; it never changes a measurement.
 */
export type FaultMode = 'throw' | 'hang' | 'garbage' | 'slow';

export function parseFaults(spec: string | undefined): Map<string, FaultMode> {
  const faults = new Map<string, FaultMode>();
  for (const part of (spec ?? '').split(',')) {
    const [probe, mode] = part.split('=').map((s) => s.trim());
    if (probe && (mode === 'throw' || mode === 'hang' || mode === 'garbage' || mode === 'slow')) faults.set(probe, mode);
  }
  return faults;
}

async function runFault(mode: FaultMode, ctx: ProbeContext, budgetMs: number): Promise<ProbeOutput> {
  switch (mode) {
    case 'throw':
      throw new Error('injected fault: probe threw');
    case 'hang':
      // A realistic hang: a stuck child that ignores everything, and a promise that never settles.
      void ctx.exec('sleep', ['3600'], { timeoutMs: 3_600_000 });
      return new Promise<ProbeOutput>(() => undefined);
    case 'garbage':
      return { metrics: { 'bogus metric': Number.NaN, [`${'x'.repeat(3)}`]: {} } } as unknown as ProbeOutput;
    case 'slow':
      await new Promise((resolve) => setTimeout(resolve, budgetMs + 5_000));
      return { metrics: {} };
  }
}

function checkOutput(probe: ProbeDefinition, output: unknown): ProbeOutput {
  if (output === null || typeof output !== 'object' || Array.isArray(output)) {
    throw new ProbeFailure('invalid_output', 'probe returned no result object');
  }
  const { metrics, details, unmeasured } = output as Record<string, unknown>;
  if (metrics === null || typeof metrics !== 'object' || Array.isArray(metrics)) {
    throw new ProbeFailure('invalid_output', 'probe returned no metrics map');
  }
  const problems: string[] = [];
  const owned = new Set(probe.metrics);
  for (const [id, value] of Object.entries(metrics)) {
    if (!owned.has(id)) problems.push(`undeclared metric "${id.slice(0, 80)}"`);
    else {
      const problem = metricValueProblem(id, value);
      if (problem) problems.push(problem);
    }
  }
  if (problems.length > 0) throw new ProbeFailure('invalid_output', `probe returned invalid metrics: ${problems.slice(0, 3).join('; ')}`);
  const safeDetails = details !== null && typeof details === 'object' && !Array.isArray(details) ? (details as Record<string, unknown>) : {};
  const safeUnmeasured: Record<string, string> = {};
  if (unmeasured !== null && typeof unmeasured === 'object') {
    for (const [id, reason] of Object.entries(unmeasured)) if (typeof reason === 'string') safeUnmeasured[id] = reason;
  }
  return { metrics: metrics as Metrics, details: safeDetails, unmeasured: safeUnmeasured };
}

/** Round-trips details through JSON so that the report only ever holds plain data. */
function plainDetails(details: Record<string, unknown>): Record<string, unknown> {
  try {
    const copy: unknown = JSON.parse(JSON.stringify(details, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value)));
    return copy !== null && typeof copy === 'object' && !Array.isArray(copy) ? (copy as Record<string, unknown>) : {};
  } catch {
    return { note: 'details could not be serialised' };
  }
}

function selected(probe: ProbeDefinition, options: RunOptions): string | null {
  if (options.only && options.only.length > 0 && !options.only.includes(probe.id)) return 'not selected by --only';
  if (options.skip?.includes(probe.id)) return 'skipped by --skip';
  return null;
}

function errorEnvelope(probe: ProbeDefinition, started: number, code: string, message: string): ProbeEnvelope {
  return {
    id: probe.id,
    status: 'error',
    durationMs: Math.round(performance.now() - started),
    metrics: Object.fromEntries(probe.metrics.map((id) => [id, null])),
    details: {},
    error: { code, message: message.slice(0, 4000) },
  };
}

/** The budget a probe runs under: its own, scaled to the device's speed; a faulted probe's may be capped. */
export function effectiveBudgetMs(probe: ProbeDefinition, options: RunOptions, scale: BudgetScale, faulted: boolean): number {
  const scaled = scaledBudgetMs(probe.budgetMs(options), probe.fixedBudgetMs?.(options) ?? 0, scale.factor);
  // A faulted probe may be given a shorter budget so that fault trials do not wait out real budgets.
  const faultBudget = Number(process.env['EDGEPROBE_FAULT_BUDGET_MS']);
  return faulted && faultBudget > 0 ? Math.min(scaled, faultBudget) : scaled;
}

async function runOne(
  probe: ProbeDefinition,
  options: RunOptions,
  results: Map<string, ProbeEnvelope>,
  faults: Map<string, FaultMode>,
  hooks: RunnerHooks & { budgetScale: BudgetScale },
): Promise<ProbeEnvelope> {
  const started = performance.now();
  const notSelected = selected(probe, options);
  if (notSelected) {
    return {
      id: probe.id,
      status: 'skipped',
      durationMs: 0,
      metrics: Object.fromEntries(probe.metrics.map((id) => [id, null])),
      details: { skipReason: notSelected },
    };
  }
  const budgetMs = effectiveBudgetMs(probe, options, hooks.budgetScale, faults.has(probe.id));
  const controller = new AbortController();
  const outer = hooks.signal;
  const onOuterAbort = (): void => controller.abort();
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  const { ctx, dispose } = createContext(options, controller.signal, results, (message) => hooks.progress?.(`  ${probe.id}: ${message}`), {
    budgetMs,
    scale: hooks.budgetScale.factor,
  });
  hooks.progress?.(`› ${probe.title} …`);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new ProbeFailure('timeout', `probe exceeded its ${budgetMs} ms budget`)), budgetMs);
  });
  const abortFailure = (): ProbeFailure => new ProbeFailure('aborted', typeof outer?.reason === 'string' ? outer.reason : 'run was interrupted');
  // Removed in `finally`: one listener per probe left on the run's signal would pile up past Node's warning line.
  let onAbortedRun: () => void = () => undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    if (outer?.aborted) reject(abortFailure());
    onAbortedRun = () => reject(abortFailure());
    outer?.addEventListener('abort', onAbortedRun, { once: true });
  });
  // Only the first outcome counts; late rejections of the losers are expected.
  deadline.catch(() => undefined);
  aborted.catch(() => undefined);
  let envelope: ProbeEnvelope;
  try {
    const fault = faults.get(probe.id);
    const work = fault ? runFault(fault, ctx, budgetMs) : probe.run(ctx);
    work.catch(() => undefined);
    const raw = await Promise.race([work, deadline, aborted]);
    const output = checkOutput(probe, raw);
    const metrics: Metrics = {};
    for (const id of probe.metrics) metrics[id] = output.metrics[id] ?? null;
    const unmeasured: Record<string, string> = {};
    for (const id of probe.metrics) {
      if (metrics[id] === null) unmeasured[id] = output.unmeasured?.[id] ?? 'not measured';
    }
    const details = plainDetails(output.details ?? {});
    if (Object.keys(unmeasured).length > 0) details['unmeasured'] = unmeasured;
    envelope = { id: probe.id, status: 'ok', durationMs: Math.round(performance.now() - started), budgetMs, metrics, details };
  } catch (err) {
    const code = err instanceof ProbeFailure ? err.code : 'exception';
    const message = err instanceof Error ? err.message : String(err);
    envelope = { ...errorEnvelope(probe, started, code, message), budgetMs };
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
    outer?.removeEventListener('abort', onAbortedRun);
    controller.abort();
    dispose();
  }
  hooks.progress?.(
    `  ${probe.id}: ${envelope.status}${envelope.error ? ` (${envelope.error.code}: ${envelope.error.message})` : ''} ${envelope.durationMs} ms`,
  );
  return envelope;
}

export async function readHostname(options: RunOptions): Promise<string> {
  if (options.root !== '/') {
    const { readFile } = await import('node:fs/promises');
    try {
      const recorded = (await readFile(`${options.root}/etc/hostname`, 'utf8')).trim();
      if (recorded) return recorded.slice(0, 255);
    } catch {
      // fall through to the live hostname
    }
  }
  return hostname().slice(0, 255) || 'unknown';
}

/** The run's options as the report records them, with the budget scale its probes ran under. */
function optionsForReport(options: RunOptions, budgetScale: BudgetScale): Record<string, unknown> {
  const reportOptions: Record<string, unknown> = {
    root: options.root,
    quick: options.quick,
  };
  for (const key of [
    'only',
    'skip',
    'python',
    'pythonOnly',
    'pythonTimeout',
    'path',
    'activeSupervision',
    'supervisordConf',
    'duration',
    'djangoDuration',
    'latencyTargetMs',
    'cardEnduranceTbw',
    'soak',
    'timeout',
    'unit',
    'cgroup',
  ] as const) {
    if (options[key] !== undefined) reportOptions[key] = options[key];
  }
  if (options.targetGroup) reportOptions['measuredGroup'] = { ...options.targetGroup };
  reportOptions['budgetScale'] = { ...budgetScale };
  return reportOptions;
}

/** Runs the probes and returns a complete report. Never rejects because of a probe. */
export async function runProbes(probes: readonly ProbeDefinition[], options: RunOptions, hooks: RunnerHooks = {}): Promise<Report> {
  const faults = parseFaults(process.env['EDGEPROBE_FAULTS']);
  const budgetScale = hooks.budgetScale ?? (await runBudgetScale(options.root === '/'));
  hooks.progress?.(`budgets ×${budgetScale.factor}: ${budgetScale.reason}`);
  const runHooks = { ...hooks, budgetScale };
  const results = new Map<string, ProbeEnvelope>();
  const pending = new Map<string, Promise<ProbeEnvelope>>();

  const start = (probe: ProbeDefinition): Promise<ProbeEnvelope> => {
    const existing = pending.get(probe.id);
    if (existing) return existing;
    const promise = (async () => {
      for (const dep of probe.after ?? []) {
        const depPromise = pending.get(dep);
        if (depPromise) await depPromise;
      }
      const envelope = await runOne(probe, options, results, faults, runHooks);
      results.set(probe.id, envelope);
      return envelope;
    })();
    pending.set(probe.id, promise);
    return promise;
  };

  const concurrent = probes.filter((p) => !p.exclusive);
  const exclusive = probes.filter((p) => p.exclusive);
  await Promise.all(concurrent.map(start));
  for (const probe of exclusive) await start(probe);

  const envelopes = probes.map((p) => results.get(p.id)).filter((e): e is ProbeEnvelope => e !== undefined);
  markSuspectLoads(probes, envelopes);
  const metrics: Metrics = {};
  for (const envelope of envelopes) Object.assign(metrics, envelope.metrics);

  const reportOptions = optionsForReport(options, budgetScale);
  const host: Report['host'] = { hostname: await readHostname(options) };
  if (options.label) host.label = options.label;
  return {
    schema: REPORT_SCHEMA,
    id: randomUUID(),
    createdAt: new Date().toISOString(),
    agent: { version: VERSION, node: process.versions.node, mode: 'node' },
    host,
    metrics,
    probes: envelopes,
    options: reportOptions,
  };
}
