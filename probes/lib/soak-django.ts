// The soak's Django HTTP load: the django probe's shipped project under the server, worker count and
// concurrency that probe measured in this run, driven with keep-alive clients for the whole soak, beside the
// Channels load. Each minute is one load step (runStep), so that a day's soak never holds a day of latencies.
import type { ProbeContext } from '../../src/engine/probe.js';
import type { ProbeEnvelope } from '../../src/report/types.js';
import { pythonEnv, runPython, writeProject } from '../django.js';
import { runStep } from './django/http-load.js';
import { DJANGO_SERVERS, type DjangoServerName, type RunningDjangoServer, startDjangoServer } from './django/server.js';
import { PATHS } from './django/server-run.js';

const STEP_MS = 60_000;
const REQUEST_TIMEOUT_MS = 10_000;

export interface DjangoSoakLoad {
  /** "gunicorn, 4 workers, 8 clients". */
  describe: string;
  /** Runs until `seconds` have passed (or the probe is aborted); every 200 answer calls onResponse. */
  run(seconds: number, onResponse: () => void): Promise<{ ok: number; errors: number }>;
  stop(): Promise<void>;
}

function metric(envelope: ProbeEnvelope | undefined, id: string): number | string | null {
  const value = envelope?.status === 'ok' ? envelope.metrics[id] : undefined;
  return typeof value === 'number' || typeof value === 'string' ? value : null;
}

/** The server the django probe measured (WSGI first, as a Django deployment serves pages), with its workers and clients. */
export function djangoSoakPlan(
  django: ProbeEnvelope | undefined,
): { server: DjangoServerName; workers: number; clients: number; python: string } | { reason: string } {
  if (!django) return { reason: 'the django probe did not run in this run: the soak needs its measured server' };
  const python = (django.details['python'] as { path?: unknown } | undefined)?.path;
  for (const kind of ['wsgi', 'asgi'] as const) {
    const server = metric(django, `django.${kind}_server`);
    if (typeof server !== 'string' || !(DJANGO_SERVERS as readonly string[]).includes(server) || typeof python !== 'string') continue;
    if (metric(django, `django.${kind}_requests_per_second`) === null) continue;
    const workers = metric(django, `django.${kind}_workers`);
    const clients = metric(django, `django.${kind}_concurrency`);
    return {
      server: server as DjangoServerName,
      workers: typeof workers === 'number' && workers >= 1 ? workers : 1,
      clients: typeof clients === 'number' && clients >= 1 ? clients : 4,
      python,
    };
  }
  const why = django.details['skipped'];
  return { reason: `the django probe measured no server in this run${typeof why === 'string' ? ` (${why})` : ''}` };
}

/** Sets up and starts the Django server for the soak; the reason when it cannot. */
export async function startDjangoSoakLoad(ctx: ProbeContext): Promise<DjangoSoakLoad | { reason: string }> {
  const plan = djangoSoakPlan(ctx.results.get('django'));
  if ('reason' in plan) return plan;
  const projectDir = ctx.tempDir('soak-django');
  writeProject(projectDir);
  const env = pythonEnv(projectDir);
  const migrated = await runPython(ctx, plan.python, ['serve.py', 'migrate'], { cwd: projectDir, env, timeoutMs: 120_000 });
  if (migrated.error) return { reason: `the Django project's migrations failed: ${migrated.error}` };
  let server: RunningDjangoServer;
  try {
    server = await startDjangoServer({ server: plan.server, workers: plan.workers, python: plan.python, projectDir, env, startTimeoutMs: 60_000 }, ctx.signal);
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return { reason: `${plan.server} did not start: ${(err as Error).message}` };
  }
  return {
    describe: `${plan.server}, ${plan.workers} worker${plan.workers === 1 ? '' : 's'}, ${plan.clients} clients`,
    async run(seconds, onResponse) {
      const end = performance.now() + seconds * 1000;
      const total = { ok: 0, errors: 0 };
      while (!ctx.signal.aborted && performance.now() < end - 100) {
        const durationMs = Math.min(STEP_MS, end - performance.now());
        const step = await runStep(
          { port: server.port, concurrency: plan.clients, paths: PATHS, durationMs, requestTimeoutMs: REQUEST_TIMEOUT_MS, onResponse },
          ctx.signal,
        );
        total.ok += step.ok;
        total.errors += step.errors;
        if (step.abandoned) break;
      }
      return total;
    },
    stop: () => server.stop(),
  };
}
