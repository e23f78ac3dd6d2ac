// cpu: the kernel's machine and the userland's ABI, cores, what the measured cgroup really allows, clocks,
// Raspberry Pi throttling, and a short benchmark.
import type { ProbeContext, ProbeDefinition, ProbeOutput } from '../src/engine/probe.js';
import { MetricSink } from '../src/engine/sink.js';
import { metricIdsOf } from '../src/report/metrics.js';
import { findCgroup, groupDetails } from './lib/cgroups.js';
import { DEFAULT_PLAN, runCpuBenchmark } from './lib/cpu-benchmark.js';
import { cfsQuota, effectiveCpuset, processAffinity } from './lib/cpu-limits.js';
import { findExecutable } from './lib/executables.js';
import { THROTTLED_DURING_LOAD, watchThrottling } from './lib/load-conditions.js';
import { minOrNull } from './lib/parsers/cgroup.js';
import { type Cpuinfo, countCpuList, cpuinfoMhz, cpuModelFromCpuinfo, parseCpuinfo, processorCount } from './lib/parsers/cpuinfo.js';
import { loadSystemInformation } from './lib/sysinfo.js';
import { findArch } from './lib/userland.js';

/** Raspberry Pi firmware get_throttled bits (documented with `vcgencmd get_throttled`). */
export function decodeThrottled(value: number): { now: boolean; sinceBoot: boolean; undervoltageSinceBoot: boolean; flags: string[] } {
  const names: Array<[number, string]> = [
    [0, 'under-voltage now'],
    [1, 'ARM frequency capped now'],
    [2, 'throttled now'],
    [3, 'soft temperature limit now'],
    [16, 'under-voltage since boot'],
    [17, 'ARM frequency capped since boot'],
    [18, 'throttled since boot'],
    [19, 'soft temperature limit since boot'],
  ];
  return {
    now: (value & 0xf) !== 0,
    sinceBoot: (value & 0xf0000) !== 0,
    undervoltageSinceBoot: (value & 0x10000) !== 0,
    flags: names.filter(([bit]) => (value & (1 << bit)) !== 0).map(([, name]) => name),
  };
}

export function parseThrottledText(text: string): number | null {
  // sysfs prints bare hex ("50000"), vcgencmd prints "throttled=0x50000": both are hexadecimal.
  const match = /^(?:throttled=)?(?:0x)?([0-9a-f]+)$/i.exec(text.trim());
  if (!match || match[1] === undefined) return null;
  return parseInt(match[1], 16);
}

export async function readThrottled(ctx: ProbeContext): Promise<{ value: number; source: string } | null> {
  const platform = (await ctx.listDir('/sys/devices/platform')) ?? [];
  const candidates = ['/sys/devices/platform/soc/soc:firmware/get_throttled'];
  for (const entry of platform.filter((e) => e.startsWith('soc'))) {
    for (const child of (await ctx.listDir(`/sys/devices/platform/${entry}`)) ?? []) {
      if (child.endsWith('firmware')) candidates.push(`/sys/devices/platform/${entry}/${child}/get_throttled`);
    }
  }
  for (const path of candidates) {
    const text = await ctx.readText(path);
    const value = text === null ? null : parseThrottledText(text);
    if (value !== null) return { value, source: path };
  }
  // Looked up first: a spawn that fails still forks the agent, and most devices that are not Pis lack it.
  const vcgencmd = ctx.live ? await findExecutable(ctx, ['vcgencmd']) : null;
  if (vcgencmd !== null) {
    const result = await ctx.exec(vcgencmd, ['get_throttled'], { timeoutMs: 3_000 });
    const value = result.code === 0 ? parseThrottledText(result.stdout) : null;
    if (value !== null) return { value, source: 'vcgencmd get_throttled' };
  }
  return null;
}

export async function readTemperature(ctx: ProbeContext): Promise<{ celsius: number; zone: string } | null> {
  const zones = ((await ctx.listDir('/sys/class/thermal')) ?? []).filter((z) => z.startsWith('thermal_zone')).sort();
  const readings: Array<{ celsius: number; zone: string; type: string }> = [];
  for (const zone of zones) {
    const raw = await ctx.readText(`/sys/class/thermal/${zone}/temp`);
    const value = raw === null ? Number.NaN : Number(raw.trim());
    if (!Number.isFinite(value)) continue;
    const type = (await ctx.readText(`/sys/class/thermal/${zone}/type`))?.trim() ?? '';
    readings.push({ celsius: Math.round(value / 100) / 10, zone, type });
  }
  const preferred = readings.find((r) => /cpu|soc|x86_pkg|bcm2835/i.test(r.type)) ?? readings[0];
  if (preferred) return { celsius: preferred.celsius, zone: `${preferred.zone} (${preferred.type || 'untyped'})` };
  if (ctx.live && process.platform !== 'linux') {
    const temp = await (await loadSystemInformation())?.cpuTemperature();
    if (typeof temp?.main === 'number' && Number.isFinite(temp.main)) return { celsius: temp.main, zone: 'systeminformation' };
  }
  return null;
}

async function archMetrics(ctx: ProbeContext, sink: MetricSink, cpuinfo: Cpuinfo): Promise<void> {
  const found = await findArch(ctx, cpuinfo);
  sink.put('cpu.arch', found.kernelArch, ctx.live ? 'uname -m failed' : 'recorded /proc/cpuinfo names no known architecture');
  sink.put('cpu.kernel_arch', found.kernelArch, ctx.live ? 'uname -m failed' : 'recorded /proc/cpuinfo names no known architecture');
  sink.put('cpu.userland_arch', found.userlandArch, found.userlandSource);
  sink.put(
    'cpu.userland_bits',
    found.userlandBits,
    found.kernelArch === 'x86_64' && !ctx.live
      ? "recorded /proc/cpuinfo does not show the reader's bitness (x86 looks the same to 32- and 64-bit tasks)"
      : found.userlandSource,
  );
  sink.details['archSource'] = { kernel: found.kernelSource, userland: found.userlandSource };
}

/** cpuset, affinity and quota of the measured group; returns the effective CPUs. */
async function limitMetrics(ctx: ProbeContext, sink: MetricSink, cores: number | null): Promise<number | null> {
  const cpusetGroup = await findCgroup(ctx, 'cpuset');
  const cpuset = cpusetGroup ? await effectiveCpuset(ctx, cpusetGroup) : null;
  sink.put('cpu.cpuset_cpus', cpuset?.cpus, cpusetGroup ? `no cpuset file in ${cpusetGroup.dir} or its ancestors` : 'no cpuset cgroup');
  if (cpuset) sink.details['cpuset'] = { file: cpuset.source, cpus: cpuset.list };

  const cpuGroup = await findCgroup(ctx, 'cpu');
  const quota = cpuGroup ? await cfsQuota(ctx, cpuGroup) : null;
  if (cpuGroup) sink.details['cpuCgroup'] = groupDetails(ctx, cpuGroup);
  sink.put('cpu.quota_cpus', quota === null ? null : Math.round(quota * 100) / 100, cpuGroup ? 'unlimited' : 'no cpu cgroup');
  const measured = cpuGroup ?? cpusetGroup;
  sink.put('cpu.cgroup_path', measured?.path, 'no cpu or cpuset cgroup found in /proc/self/cgroup and /proc/self/mountinfo');

  const affinity = await processAffinity(ctx, measured);
  sink.put('cpu.affinity_cpus', 'cpus' in affinity ? affinity.cpus : null, 'why' in affinity ? affinity.why : '');
  if ('cpus' in affinity) sink.details['affinity'] = { file: affinity.source, cpus: affinity.list };

  const effective = minOrNull([cores, cpuset?.cpus ?? null, 'cpus' in affinity ? affinity.cpus : null, quota]);
  sink.put('cpu.effective_cpus', effective === null ? null : Math.round(effective * 100) / 100, 'core count unknown');
  return effective;
}

async function clockMetrics(ctx: ProbeContext, sink: MetricSink, cpuinfo: Cpuinfo): Promise<void> {
  let model = cpuModelFromCpuinfo(cpuinfo);
  if (!model && ctx.live) {
    const info = await (await loadSystemInformation())?.cpu();
    model = info ? [info.manufacturer, info.brand].filter(Boolean).join(' ') || null : null;
  }
  sink.put('cpu.model', model || null, 'no model in /proc/cpuinfo');
  const maxKhz = Number((await ctx.readText('/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq'))?.trim() ?? Number.NaN);
  if (Number.isFinite(maxKhz) && maxKhz > 0) {
    sink.put('cpu.max_mhz', Math.round(maxKhz / 1000), '');
  } else {
    const mhz = cpuinfoMhz(cpuinfo);
    sink.put('cpu.max_mhz', mhz, 'no cpufreq in sysfs and no clock in /proc/cpuinfo');
    if (mhz !== null) sink.details['maxMhzSource'] = 'cpuinfo "cpu MHz" (no cpufreq; may be the current clock)';
  }
  const governor = (await ctx.readText('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor'))?.trim() || null;
  sink.put('cpu.governor', governor, 'no cpufreq governor in sysfs');
  const loadavg = (await ctx.readText('/proc/loadavg'))?.trim().split(/\s+/);
  const load1 = loadavg?.[0] === undefined ? Number.NaN : Number(loadavg[0]);
  sink.put('cpu.load_average_1m', Number.isFinite(load1) ? load1 : null, 'no /proc/loadavg');
  if (loadavg) sink.details['loadAverage'] = loadavg.slice(0, 3).map(Number);
}

async function healthMetrics(ctx: ProbeContext, sink: MetricSink): Promise<void> {
  const throttled = await readThrottled(ctx);
  if (throttled) {
    const decoded = decodeThrottled(throttled.value);
    sink.put('cpu.throttled_now', decoded.now, '');
    sink.put('cpu.throttled_since_boot', decoded.sinceBoot, '');
    sink.put('cpu.undervoltage_since_boot', decoded.undervoltageSinceBoot, '');
    sink.details['throttled'] = { raw: `0x${throttled.value.toString(16)}`, source: throttled.source, flags: decoded.flags };
  } else {
    const why = `not a Raspberry Pi: no get_throttled in sysfs${ctx.live ? ' and no vcgencmd' : ' (recorded tree)'}`;
    sink.putAllNull(['cpu.throttled_now', 'cpu.throttled_since_boot', 'cpu.undervoltage_since_boot'], why);
  }
  const temperature = await readTemperature(ctx);
  sink.put('cpu.temperature_celsius', temperature?.celsius, 'no thermal zone in sysfs');
  if (temperature) sink.details['temperatureSource'] = temperature.zone;
}

/** The single- and multi-thread scores (probes/lib/cpu-benchmark.ts says how they are measured). */
async function benchmarkMetrics(ctx: ProbeContext, sink: MetricSink, effective: number | null): Promise<void> {
  if (!ctx.live || ctx.options.quick) {
    const why = !ctx.live ? 'needs the live system (--root points at a recorded tree)' : 'skipped by --quick';
    sink.putAllNull(['cpu.single_thread_score', 'cpu.multi_thread_score'], why);
    return;
  }
  const watch = await watchThrottling(ctx);
  const single = await runCpuBenchmark(1, DEFAULT_PLAN, ctx.signal);
  const threads = Math.max(1, Math.ceil(effective ?? 1));
  const multi = await runCpuBenchmark(threads, DEFAULT_PLAN, ctx.signal);
  const throttled = await watch.finish();
  if (throttled) sink.details[THROTTLED_DURING_LOAD] = throttled;
  sink.put('cpu.single_thread_score', single.operationsPerSecond, '');
  sink.put('cpu.multi_thread_score', multi.operationsPerSecond, '');
  sink.details['benchmark'] = {
    windowMs: DEFAULT_PLAN.windowMs,
    windows: DEFAULT_PLAN.windows,
    threads,
    perThread: multi.perWorker,
    singlePerWindow: single.perWindow,
    multiPerWindow: multi.perWindow,
    cpuWaitShare: { single: single.cpuWaitShare, multi: multi.cpuWaitShare },
  };
  // Under a quota the threads also wait out the quota, which the score is meant to show.
  const waited = Math.max(single.cpuWaitShare ?? 0, multi.cpuWaitShare ?? 0);
  if (sink.metrics['cpu.quota_cpus'] == null && waited > 0.05) {
    sink.details['benchmarkWarning'] =
      `the benchmark threads waited ${Math.round(waited * 100)} % of the time for a CPU that other work held: the scores are lower than this CPU gives an idle system`;
  }
}

export const cpuProbe: ProbeDefinition = {
  id: 'cpu',
  title: 'CPU',
  metrics: metricIdsOf('cpu'),
  // Worker start-up under emulation or a small quota is slow; the benchmark itself takes about 1 s.
  budgetMs: (options) => (options.quick ? 8_000 : 30_000),
  exclusive: true,
  async run(ctx): Promise<ProbeOutput> {
    const sink = new MetricSink();
    const cpuinfo = parseCpuinfo((await ctx.readText('/proc/cpuinfo')) ?? '');
    await archMetrics(ctx, sink, cpuinfo);
    const online = await ctx.readText('/sys/devices/system/cpu/online');
    const cores = (online === null ? null : countCpuList(online)) ?? (processorCount(cpuinfo) || null);
    sink.put('cpu.cores', cores, 'neither /sys/devices/system/cpu/online nor /proc/cpuinfo lists CPUs');
    const effective = await limitMetrics(ctx, sink, cores);
    await clockMetrics(ctx, sink, cpuinfo);
    await healthMetrics(ctx, sink);
    await benchmarkMetrics(ctx, sink, effective);
    return sink.output();
  },
};
