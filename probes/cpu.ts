// cpu: architecture, cores, what the cgroup really allows, clocks, Raspberry Pi throttling, and a short benchmark.
import { machine } from 'node:os';
import type { ProbeContext, ProbeDefinition, ProbeOutput } from '../src/engine/probe.js';
import { metricIdsOf } from '../src/report/metrics.js';
import { loadSystemInformation } from './lib/sysinfo.js';
import { findCgroup, readUpwards } from './lib/cgroups.js';
import { runCpuBenchmark } from './lib/cpu-benchmark.js';
import { THROTTLED_DURING_LOAD, watchThrottling } from './lib/load-conditions.js';
import { minOrNull, parseCfsQuota, parseCpuMax } from './lib/parsers/cgroup.js';
import { archFromCpuinfo, countCpuList, cpuinfoMhz, cpuModelFromCpuinfo, parseCpuinfo, processorCount } from './lib/parsers/cpuinfo.js';
import type { Metrics } from '../src/report/types.js';

/** Raspberry Pi firmware get_throttled bits (documented with `vcgencmd get_throttled`). */
export function decodeThrottled(value: number): { now: boolean; sinceBoot: boolean; undervoltageSinceBoot: boolean; flags: string[] } {
  const names: Array<[number, string]> = [
    [0, 'under-voltage now'], [1, 'ARM frequency capped now'], [2, 'throttled now'], [3, 'soft temperature limit now'],
    [16, 'under-voltage since boot'], [17, 'ARM frequency capped since boot'], [18, 'throttled since boot'], [19, 'soft temperature limit since boot'],
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
  if (ctx.live) {
    const result = await ctx.exec('vcgencmd', ['get_throttled'], { timeoutMs: 3_000 });
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

function userlandBitsOfNode(): 32 | 64 | null {
  if (['arm64', 'x64', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el'].includes(process.arch)) return 64;
  if (['arm', 'ia32', 'mips', 'mipsel', 'ppc', 's390'].includes(process.arch)) return 32;
  return null;
}

function benchmarkWindowMs(ctx: ProbeContext): number {
  return ctx.options.quick ? 0 : 450;
}

export const cpuProbe: ProbeDefinition = {
  id: 'cpu',
  title: 'CPU',
  metrics: metricIdsOf('cpu'),
  // Worker start-up under emulation or a small quota is slow; the benchmark itself takes about 1 s.
  budgetMs: (options) => (options.quick ? 8_000 : 30_000),
  exclusive: true,
  async run(ctx): Promise<ProbeOutput> {
    const metrics: Metrics = {};
    const unmeasured: Record<string, string> = {};
    const details: Record<string, unknown> = {};

    const cpuinfoText = await ctx.readText('/proc/cpuinfo');
    const cpuinfo = parseCpuinfo(cpuinfoText ?? '');
    const fromCpuinfo = archFromCpuinfo(cpuinfo);
    if (ctx.live) {
      metrics['cpu.arch'] = machine();
      metrics['cpu.userland_bits'] = userlandBitsOfNode();
      details['archSource'] = 'uname -m (live)';
    } else {
      metrics['cpu.arch'] = fromCpuinfo.arch;
      metrics['cpu.userland_bits'] = fromCpuinfo.userlandBits;
      details['archSource'] = 'recorded /proc/cpuinfo (uname cannot be recorded)';
      if (fromCpuinfo.arch === null) unmeasured['cpu.arch'] = 'recorded /proc/cpuinfo names no known architecture';
      if (fromCpuinfo.userlandBits === null) unmeasured['cpu.userland_bits'] = 'recorded /proc/cpuinfo does not show the reader\'s bitness (x86 looks the same to 32- and 64-bit tasks)';
    }

    const online = await ctx.readText('/sys/devices/system/cpu/online');
    const cores = (online === null ? null : countCpuList(online)) ?? (processorCount(cpuinfo) || null);
    metrics['cpu.cores'] = cores;
    if (cores === null) unmeasured['cpu.cores'] = 'neither /sys/devices/system/cpu/online nor /proc/cpuinfo lists CPUs';

    let cpusetCpus: number | null = null;
    const cpusetGroup = await findCgroup(ctx, 'cpuset');
    if (cpusetGroup) {
      const files = cpusetGroup.version === 2 ? ['cpuset.cpus.effective'] : ['cpuset.effective_cpus', 'cpuset.cpus'];
      for (const file of files) {
        const text = await ctx.readText(`${cpusetGroup.dir}/${file}`);
        if (text !== null && text.trim() !== '') {
          cpusetCpus = countCpuList(text);
          details['cpuset'] = { file: `${cpusetGroup.dir}/${file}`, cpus: text.trim() };
          break;
        }
      }
    }
    metrics['cpu.cpuset_cpus'] = cpusetCpus;
    if (cpusetCpus === null) unmeasured['cpu.cpuset_cpus'] = 'no cpuset cgroup file readable';

    let quota: number | null = null;
    const cpuGroup = await findCgroup(ctx, 'cpu');
    if (cpuGroup) {
      if (cpuGroup.version === 2) {
        quota = minOrNull((await readUpwards(ctx, cpuGroup, 'cpu.max')).map(({ text }) => parseCpuMax(text)));
      } else {
        const quotas = await readUpwards(ctx, cpuGroup, 'cpu.cfs_quota_us');
        const periods = await readUpwards(ctx, cpuGroup, 'cpu.cfs_period_us');
        quota = minOrNull(quotas.map(({ text }, i) => parseCfsQuota(text, periods[i]?.text ?? null)));
      }
      details['cpuCgroup'] = { version: cpuGroup.version, dir: cpuGroup.dir };
    }
    metrics['cpu.quota_cpus'] = quota === null ? null : Math.round(quota * 100) / 100;
    if (quota === null) unmeasured['cpu.quota_cpus'] = cpuGroup ? 'unlimited' : 'no cpu cgroup';
    const effective = minOrNull([cores, cpusetCpus, quota]);
    metrics['cpu.effective_cpus'] = effective === null ? null : Math.round(effective * 100) / 100;
    if (effective === null) unmeasured['cpu.effective_cpus'] = 'core count unknown';

    let model = cpuModelFromCpuinfo(cpuinfo);
    if (!model && ctx.live) {
      const info = await (await loadSystemInformation())?.cpu();
      model = info ? [info.manufacturer, info.brand].filter(Boolean).join(' ') || null : null;
    }
    metrics['cpu.model'] = model;
    if (!model) unmeasured['cpu.model'] = 'no model in /proc/cpuinfo';

    const maxKhz = Number((await ctx.readText('/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq'))?.trim() ?? Number.NaN);
    if (Number.isFinite(maxKhz) && maxKhz > 0) {
      metrics['cpu.max_mhz'] = Math.round(maxKhz / 1000);
    } else {
      metrics['cpu.max_mhz'] = cpuinfoMhz(cpuinfo);
      if (metrics['cpu.max_mhz'] !== null) details['maxMhzSource'] = 'cpuinfo "cpu MHz" (no cpufreq; may be the current clock)';
      else unmeasured['cpu.max_mhz'] = 'no cpufreq in sysfs and no clock in /proc/cpuinfo';
    }
    metrics['cpu.governor'] = (await ctx.readText('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor'))?.trim() || null;
    if (metrics['cpu.governor'] === null) unmeasured['cpu.governor'] = 'no cpufreq governor in sysfs';
    const loadavg = (await ctx.readText('/proc/loadavg'))?.trim().split(/\s+/);
    const load1 = loadavg?.[0] === undefined ? Number.NaN : Number(loadavg[0]);
    metrics['cpu.load_average_1m'] = Number.isFinite(load1) ? load1 : null;
    if (metrics['cpu.load_average_1m'] === null) unmeasured['cpu.load_average_1m'] = 'no /proc/loadavg';
    if (loadavg) details['loadAverage'] = loadavg.slice(0, 3).map(Number);

    const throttled = await readThrottled(ctx);
    if (throttled) {
      const decoded = decodeThrottled(throttled.value);
      metrics['cpu.throttled_now'] = decoded.now;
      metrics['cpu.throttled_since_boot'] = decoded.sinceBoot;
      metrics['cpu.undervoltage_since_boot'] = decoded.undervoltageSinceBoot;
      details['throttled'] = { raw: `0x${throttled.value.toString(16)}`, source: throttled.source, flags: decoded.flags };
    } else {
      const why = 'not a Raspberry Pi: no get_throttled in sysfs' + (ctx.live ? ' and no vcgencmd' : ' (recorded tree)');
      for (const id of ['cpu.throttled_now', 'cpu.throttled_since_boot', 'cpu.undervoltage_since_boot']) {
        metrics[id] = null;
        unmeasured[id] = why;
      }
    }
    const temperature = await readTemperature(ctx);
    metrics['cpu.temperature_celsius'] = temperature?.celsius ?? null;
    if (temperature) details['temperatureSource'] = temperature.zone;
    else unmeasured['cpu.temperature_celsius'] = 'no thermal zone in sysfs';

    const windowMs = benchmarkWindowMs(ctx);
    if (!ctx.live || windowMs === 0) {
      const why = !ctx.live ? 'needs the live system (--root points at a recorded tree)' : 'skipped by --quick';
      metrics['cpu.single_thread_score'] = null;
      metrics['cpu.multi_thread_score'] = null;
      unmeasured['cpu.single_thread_score'] = why;
      unmeasured['cpu.multi_thread_score'] = why;
    } else {
      const watch = await watchThrottling(ctx);
      const single = await runCpuBenchmark(1, windowMs, ctx.signal);
      const threads = Math.max(1, Math.ceil(effective ?? 1));
      const multi = await runCpuBenchmark(threads, windowMs, ctx.signal);
      const throttled = await watch.finish();
      if (throttled) details[THROTTLED_DURING_LOAD] = throttled;
      metrics['cpu.single_thread_score'] = single.operationsPerSecond;
      metrics['cpu.multi_thread_score'] = multi.operationsPerSecond;
      details['benchmark'] = { windowMs, threads, perThread: multi.perWorker };
    }
    return { metrics, details, unmeasured };
  },
};
