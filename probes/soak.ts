// soak: `edgeprobe run --soak DURATION` holds the Django Channels load (the streaming probe's echo consumer,
// pipelined clients) for the whole duration and samples temperature, clock and throttling every second:
// the ratio of sustained to initial throughput, the peak temperature, the time to the first throttle, and
// whether the clock fell. The series goes into the report (at most 600 points) for the dashboard's chart.
//
// Beside it, the Django HTTP load the django probe measured in this run (probes/lib/soak-django.ts): the same
// server, workers and clients, counted second by second on their own.
import type { ProbeContext, ProbeDefinition, ProbeOutput } from '../src/engine/probe.js';
import { MetricSink } from '../src/engine/sink.js';
import { metricIdsOf } from '../src/report/metrics.js';
import { THROTTLED_DURING_LOAD } from '../src/report/types.js';
import { downsample, type SoakSample, summariseSoak } from './lib/parsers/soak.js';
import type { DjangoSoakLoad } from './lib/soak-django.js';
import { type OperationCounter, operationCounter, startSoakSampler } from './lib/soak-sampler.js';
import { DEFAULT_STREAM_MBIT, planLoad, type StreamingTier } from './lib/streaming/plan.js';
import { type RunningServer, startServer } from './lib/streaming/servers.js';
import { channelsProject, resolveTiers, serverSpec } from './lib/streaming/setup.js';
import { effectiveAvailable, openFileLimit } from './streaming.js';

export const SOAK_METRIC_IDS = metricIdsOf('soak');
/** The loads the soak prefers, best first: the Django Channels consumer is what a deployment runs. */
const SOAK_TIERS: readonly StreamingTier[] = ['channels', 'python', 'node'];
const LOAD_NAMES: Record<string, string> = {
  channels: 'Django Channels echo consumer',
  python: 'plain Python asyncio echo server',
  node: 'Node ws echo server',
};
/** Points of the series kept in the report: a chart needs no more, and a day's soak would be 86,400. */
export const SERIES_POINTS = 600;
/** Time to start the server and open the clients, on top of the soak itself. */
const SETUP_MS = 120_000;

function notRun(sink: MetricSink, reason: string): ProbeOutput {
  sink.putAllNull(SOAK_METRIC_IDS, reason);
  sink.details['skipped'] = reason;
  return sink.output();
}

interface Started {
  server: RunningServer;
  tier: StreamingTier;
  plan: ReturnType<typeof planLoad>;
}

/** The best load this device can run, started; null with the reason when none can. */
async function startLoadServer(ctx: ProbeContext, sink: MetricSink): Promise<Started | { reason: string }> {
  const memory = await effectiveAvailable(ctx);
  const plan = planLoad(memory.bytes, await openFileLimit(ctx), DEFAULT_STREAM_MBIT);
  if (plan.refuse) return { reason: plan.refuse };
  const { skipped, choice, asgi, redisUrl } = await resolveTiers(ctx, plan, sink.details);
  const tier = SOAK_TIERS.find((t) => !skipped.has(t));
  if (!tier) return { reason: `no load can run: ${SOAK_TIERS.map((t) => `${t}: ${skipped.get(t)}`).join('; ')}` };
  if (tier !== 'channels')
    sink.details['loadNote'] = `the Django Channels load cannot run here (${skipped.get('channels')}): the soak holds the ${LOAD_NAMES[tier]} instead`;
  const project = channelsProject(ctx);
  const spec = serverSpec(tier, { choice, asgi, redisUrl, startTimeoutMs: 60_000, projectDir: project });
  ctx.log(`starting the ${LOAD_NAMES[tier]}`);
  return { server: await startServer(spec, ctx.signal), tier, plan };
}

function putSummary(sink: MetricSink, samples: readonly SoakSample[], loads: string): void {
  const summary = summariseSoak(samples);
  const noThrottleBits = 'no get_throttled on this board (not a Raspberry Pi, or no firmware interface)';
  sink.put('soak.duration_seconds', summary.seconds, 'no sample');
  sink.put('soak.load', loads, '');
  sink.put('soak.initial_messages_per_second', summary.initialRate, 'no sample after the warm-up');
  sink.put('soak.sustained_messages_per_second', summary.sustainedRate, 'no sample after the warm-up');
  sink.put('soak.throughput_ratio', summary.ratio, 'no initial throughput to compare with');
  const noDjango = typeof sink.details['djangoLoad'] === 'string' ? (sink.details['djangoLoad'] as string) : 'no Django request answered';
  sink.put('soak.initial_requests_per_second', summary.initialRequestRate, noDjango);
  sink.put('soak.sustained_requests_per_second', summary.sustainedRequestRate, noDjango);
  sink.put('soak.requests_ratio', summary.requestRatio, noDjango);
  sink.put('soak.peak_temperature_celsius', summary.peakCelsius, 'no thermal zone in sysfs');
  sink.put(
    'soak.seconds_to_first_throttle',
    summary.firstThrottleSeconds,
    summary.throttled === false ? `the board did not throttle in ${summary.seconds} s` : noThrottleBits,
  );
  sink.put('soak.throttled', summary.throttled, noThrottleBits);
  sink.put('soak.undervoltage', summary.underVoltage, noThrottleBits);
  sink.put('soak.clock_fell', summary.clockFell, 'no cpufreq scaling_cur_freq for cpu0');
  sink.put('soak.min_clock_mhz', summary.minMhz, 'no cpufreq scaling_cur_freq for cpu0');
  sink.put('soak.max_clock_mhz', summary.maxMhz, 'no cpufreq scaling_cur_freq for cpu0');
  sink.details['summary'] = summary;
  sink.details['series'] = downsample(samples, SERIES_POINTS);
  if (summary.throttled || summary.underVoltage) {
    sink.details[THROTTLED_DURING_LOAD] =
      `the board ${summary.underVoltage ? 'under-volted' : 'throttled'} ${summary.firstThrottleSeconds ?? '?'} s into the ${summary.seconds} s soak`;
  }
  if (summary.ratio !== null && summary.ratio < 0.9) {
    sink.details['soakWarning'] = `throughput fell to ${Math.round(summary.ratio * 100)} % of its initial rate under sustained load`;
  }
}

/** The Channels load for the whole soak, with the sampler counting its echoes. */
async function channelsLoad(
  ctx: ProbeContext,
  sink: MetricSink,
  started: Started,
  seconds: number,
  counter: OperationCounter & { add(): void },
): Promise<void> {
  const { server, tier, plan } = started;
  // The load driver brings ws, and with it http, https, tls and zlib: loaded by the runs that soak.
  const { throughputPhase } = await import('./lib/streaming/driver.js');
  const result = await throughputPhase(
    server.url,
    {
      clients: plan.throughputClients,
      window: plan.smallWindow,
      payloadBytes: plan.smallPayloadBytes,
      durationMs: seconds * 1000,
      connectTimeoutMs: 10_000,
      onEcho: () => counter.add(),
    },
    ctx.signal,
  );
  sink.details['load'] = {
    tier,
    clients: result.clients,
    window: result.window,
    payloadBytes: result.payloadBytes,
    messagesPerSecond: result.messagesPerSecond,
  };
}

async function soak(ctx: ProbeContext, sink: MetricSink, seconds: number): Promise<ProbeOutput> {
  const started = await startLoadServer(ctx, sink);
  if ('reason' in started) return notRun(sink, started.reason);
  let django: DjangoSoakLoad | null = null;
  try {
    // The Django servers and the HTTP load generator (node:http) are loaded by the soaks that use them.
    const { startDjangoSoakLoad } = await import('./lib/soak-django.js');
    const djangoLoad = await startDjangoSoakLoad(ctx);
    if ('reason' in djangoLoad) sink.details['djangoLoad'] = `no Django HTTP load: ${djangoLoad.reason}`;
    else django = djangoLoad;
    const messages = operationCounter();
    const requests = django ? operationCounter() : null;
    const sampler = await startSoakSampler(ctx, messages, 1000, requests);
    let samples: SoakSample[] = [];
    try {
      ctx.log(`${seconds} s of load on 127.0.0.1:${started.server.port}${django ? ` and Django (${django.describe})` : ''}, sampling every second`);
      const http = django && requests ? django.run(seconds, () => requests.add()) : Promise.resolve(null);
      const [, answered] = await Promise.all([channelsLoad(ctx, sink, started, seconds, messages), http]);
      if (answered) sink.details['djangoLoad'] = { server: django?.describe, ...answered };
    } finally {
      samples = sampler.stop();
    }
    const loads = [LOAD_NAMES[started.tier] ?? started.tier, ...(django ? [`Django over HTTP (${django.describe})`] : [])].join(' + ');
    putSummary(sink, samples, loads);
    return sink.output();
  } finally {
    await django?.stop();
    await started.server.stop();
  }
}

export const soakProbe: ProbeDefinition = {
  id: 'soak',
  title: 'Sustained load and heat',
  metrics: SOAK_METRIC_IDS,
  exclusive: true,
  // Last: it heats the board, and nothing measured after it would be fair.
  after: ['memory', 'cpu', 'python', 'streaming', 'django', 'storage'],
  budgetMs: (options) => (options.soak ?? 0) * 1000 + SETUP_MS,
  fixedBudgetMs: (options) => (options.soak ?? 0) * 1000,
  async run(ctx): Promise<ProbeOutput> {
    const sink = new MetricSink();
    const seconds = ctx.options.soak;
    if (seconds === undefined) return notRun(sink, 'not requested: `edgeprobe run --soak DURATION` holds the load and samples the heat');
    if (!ctx.live) return notRun(sink, 'needs the live system (--root points at a recorded tree)');
    if (process.platform !== 'linux') return notRun(sink, 'the soak samples /sys and runs on Linux only');
    sink.details['requestedSeconds'] = seconds;
    return soak(ctx, sink, seconds);
  },
};
