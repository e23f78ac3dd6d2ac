// The django probe in the bench: its wall time and peak memory as the agent runs it, and its one-worker HTTP
// figures beside a plain `python3 -m http.server` driven by the same load generator on the same machine, run
// after run, so that background load hits both alike.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { djangoProbe } from '../../probes/django.js';
import { runStep, type StepResult } from '../../probes/lib/django/http-load.js';
import { stopChild, trackChild } from '../../src/platform/process.js';
import { repoRoot } from '../lab/userland.js';
import type { BenchOptions, Figure } from './figures.js';
import { measure, median, type Sample } from './measure.js';

const PYTHON = '/usr/bin/python3';
/** The same body size as the django project's /json/ answer. */
const BODY_BYTES = 3149;
const STEPS = [1, 2, 4, 8] as const;

interface OneWorker {
  server: string;
  ladder: StepResult[];
}

interface DjangoSample {
  sample: Sample;
  wsgi: OneWorker | null;
  asgi: OneWorker | null;
  stepMs: number;
}

export function haveDjangoProbe(): boolean {
  try {
    readFileSync(join(repoRoot(), 'dist', 'probes', 'django.js'));
    return true;
  } catch {
    return false;
  }
}

async function probeOnce(bundle: Buffer): Promise<DjangoSample> {
  const sample = await measure('django probe', process.execPath, ['-', 'run', '--only', 'django', '--python', PYTHON, '--format', 'json'], {
    timeoutMs: djangoProbe.budgetMs({ root: '/', quick: false, verbose: false }) + 60_000,
    input: bundle,
    okCodes: [0, 1, 3],
  });
  const report = JSON.parse(sample.result.stdout) as { probes: Array<{ id: string; details: Record<string, unknown> }> };
  const details = report.probes.find((p) => p.id === 'django')?.details ?? {};
  const one = (kind: string): OneWorker | null => {
    const run = (details[kind] as { server?: string; one?: { ladder?: StepResult[] } } | undefined) ?? {};
    return run.server && run.one?.ladder ? { server: run.server, ladder: run.one.ladder } : null;
  };
  const stepMs = (details['setup'] as { stepMs?: number } | undefined)?.stepMs ?? 800;
  return { sample, wsgi: one('wsgi'), asgi: one('asgi'), stepMs };
}

/** `python3 -m http.server` on a free loopback port, serving one file of the /json/ body's size. */
async function httpServerLadder(stepMs: number): Promise<StepResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-bench-http-'));
  writeFileSync(join(dir, 'payload.json'), `{"pad":"${'x'.repeat(BODY_BYTES - 10)}"}`);
  const child = spawn(PYTHON, ['-u', '-m', 'http.server', '--bind', '127.0.0.1', '0'], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  trackChild(child);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('http.server did not start within 10 s')), 10_000);
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        const match = / port (\d+) /.exec(out);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
    });
    const steps: StepResult[] = [];
    for (const concurrency of STEPS) {
      steps.push(await runStep({ port, concurrency, paths: ['/payload.json'], durationMs: stepMs, requestTimeoutMs: 10_000 }, new AbortController().signal));
    }
    return steps;
  } finally {
    await stopChild(child, 1000);
    rmSync(dir, { recursive: true, force: true });
  }
}

const peak = (steps: readonly StepResult[]): number =>
  Math.max(0, ...steps.filter((s) => s.errors === 0 && s.concurrency <= 8).map((s) => s.requestsPerSecond));
const p50AtOne = (steps: readonly StepResult[]): number | null => steps.find((s) => s.concurrency === 1)?.p50Ms ?? null;

function httpFigures(kind: 'wsgi' | 'asgi', runs: OneWorker[], baselines: StepResult[][]): Figure[] {
  const server = runs[0]?.server ?? kind;
  const rps = median(runs.map((r) => peak(r.ladder)));
  const baseRps = median(baselines.map(peak));
  const p50 = median(runs.map((r) => p50AtOne(r.ladder) ?? Number.NaN));
  const baseP50 = median(baselines.map((b) => p50AtOne(b) ?? Number.NaN));
  const note = `one worker, best error-free step of 1-8 keep-alive clients cycling /page/, /orm/, /json/ (the probe's own ladder); http.server serves one ${BODY_BYTES} B file (HTTP/1.0, a connection per request); medians of ${runs.length} runs, run after run`;
  return [
    {
      id: `django_${kind}_one_worker_rps`,
      title: `${server}, one worker: requests/s`,
      value: rps,
      unit: 'req/s',
      reference: '`python3 -m http.server`, same driver',
      referenceValue: baseRps,
      ratio: rps / baseRps,
      target: '—',
      met: null,
      note,
      samples: { django: runs.map((r) => peak(r.ladder)), httpServer: baselines.map(peak) },
    },
    {
      id: `django_${kind}_one_worker_p50`,
      title: `${server}, one worker: p50 at 1 client`,
      value: p50,
      unit: 'ms',
      reference: '`python3 -m http.server`, same driver',
      referenceValue: baseP50,
      ratio: p50 / baseP50,
      target: '—',
      met: null,
      note: 'p50 latency with one client in flight',
    },
  ];
}

/** The django probe's wall time and peak RSS, and its one-worker HTTP figures against http.server. */
export async function djangoFigures(options: BenchOptions): Promise<Figure[]> {
  const bundle = readFileSync(join(repoRoot(), 'dist', 'edgeprobe-agent.js'));
  const runs = Math.min(options.runs, 3);
  const samples: DjangoSample[] = [];
  const baselines: StepResult[][] = [];
  for (let i = 0; i < runs; i++) {
    options.log(`django probe vs http.server: run ${i + 1}/${runs}`);
    const sample = await probeOnce(bundle);
    samples.push(sample);
    baselines.push(await httpServerLadder(sample.stepMs));
  }
  const wall = median(samples.map((s) => s.sample.wallMs));
  const budget = djangoProbe.budgetMs({ root: '/', quick: false, verbose: false });
  const rss = median(samples.map((s) => s.sample.peakRssBytes));
  const bareSamples: Sample[] = [];
  for (let i = 0; i < 3; i++) bareSamples.push(await measure('bare node', process.execPath, ['-e', '0'], { timeoutMs: 30_000 }));
  const bare = median(bareSamples.map((s) => s.peakRssBytes));
  const figures: Figure[] = [
    {
      id: 'django_probe_wall',
      title: 'django probe wall time',
      value: wall,
      unit: 'ms',
      reference: 'its time budget',
      referenceValue: budget,
      ratio: wall / budget,
      target: '≤ 1.0×',
      met: wall <= budget,
      note: `\`run --only django\` with the defaults (--django-duration 24), the agent bundle on stdin; median of ${runs}`,
      samples: { wallMs: samples.map((s) => s.sample.wallMs) },
    },
    {
      id: 'django_probe_peak_rss',
      title: 'django probe peak RSS',
      value: rss,
      unit: 'bytes',
      reference: 'bare `node -e 0`',
      referenceValue: bare,
      ratio: rss / bare,
      target: '—',
      met: null,
      note: 'ru_maxrss via GNU time: the largest single process among the agent and the servers it waited for, not their sum',
      samples: { peakRssBytes: samples.map((s) => s.sample.peakRssBytes) },
    },
  ];
  for (const kind of ['wsgi', 'asgi'] as const) {
    const measured = samples.map((s) => s[kind]).filter((r): r is OneWorker => r !== null);
    if (measured.length > 0) figures.push(...httpFigures(kind, measured, baselines));
  }
  return figures;
}
