// host: which board, which OS, which kernel, and whether we are inside a container.
import { release } from 'node:os';
import type { ProbeContext, ProbeDefinition, ProbeOutput } from '../src/engine/probe.js';
import { MetricSink } from '../src/engine/sink.js';
import { DMI_PLACEHOLDERS } from '../src/facts/dmi-placeholders.js';
import { metricIdsOf } from '../src/report/metrics.js';
import { parseCpuinfo, trailerValue } from './lib/parsers/cpuinfo.js';
import { parseOsRelease } from './lib/parsers/os-release.js';
import { decodePiRevision } from './lib/parsers/pi-revision.js';
import { loadSystemInformation } from './lib/sysinfo.js';

async function readDeviceTreeModel(ctx: ProbeContext): Promise<string | null> {
  for (const path of ['/proc/device-tree/model', '/sys/firmware/devicetree/base/model']) {
    const text = await ctx.readText(path);
    // The device tree stores strings NUL-terminated.
    const model = text?.replace(/\0+$/g, '').replace(/\0/g, ' ').trim();
    if (model) return model;
  }
  return null;
}

async function readDmiProduct(ctx: ProbeContext): Promise<string | null> {
  const product = (await ctx.readText('/sys/class/dmi/id/product_name'))?.trim() ?? '';
  if (!product || DMI_PLACEHOLDERS.test(product)) return null;
  const vendor = (await ctx.readText('/sys/class/dmi/id/sys_vendor'))?.trim() ?? '';
  if (vendor && !DMI_PLACEHOLDERS.test(vendor) && !product.toLowerCase().includes(vendor.toLowerCase())) return `${vendor} ${product}`;
  return product;
}

export async function detectContainer(ctx: ProbeContext): Promise<{ inContainer: boolean; evidence: string[] }> {
  const evidence: string[] = [];
  if (await ctx.exists('/.dockerenv')) evidence.push('/.dockerenv exists');
  if (await ctx.exists('/run/.containerenv')) evidence.push('/run/.containerenv exists (podman)');
  const systemdContainer = (await ctx.readText('/run/systemd/container'))?.trim();
  if (systemdContainer) evidence.push(`/run/systemd/container says "${systemdContainer}"`);
  const pid1Cgroup = (await ctx.readText('/proc/1/cgroup')) ?? '';
  const match = /(docker|kubepods|libpod|lxc|containerd)/.exec(pid1Cgroup);
  if (match) evidence.push(`pid 1 cgroup mentions ${match[1]}`);
  return { inContainer: evidence.length > 0, evidence };
}

export const hostProbe: ProbeDefinition = {
  id: 'host',
  title: 'Host',
  metrics: metricIdsOf('host'),
  budgetMs: () => 5_000,
  async run(ctx): Promise<ProbeOutput> {
    const sink = new MetricSink();
    const details = sink.details;

    const cpuinfo = parseCpuinfo((await ctx.readText('/proc/cpuinfo')) ?? '');
    const revisionCode = trailerValue(cpuinfo, 'Revision');
    const revision = revisionCode ? decodePiRevision(revisionCode) : null;
    if (revision) details['piRevision'] = { code: revisionCode, ...revision };

    let board = await readDeviceTreeModel(ctx);
    let boardSource = 'device-tree model';
    if (!board) {
      board = trailerValue(cpuinfo, 'Model') ?? null;
      boardSource = 'cpuinfo Model line';
    }
    if (!board && revision) {
      board = revision.model;
      boardSource = `decoded Raspberry Pi revision code ${revisionCode ?? ''}`;
    }
    if (!board) {
      board = await readDmiProduct(ctx);
      boardSource = 'DMI product name';
    }
    sink.put('host.board', board, 'no device-tree model, cpuinfo Model, Raspberry Pi revision code or DMI product name');
    if (board) details['boardSource'] = boardSource;
    sink.put('host.board_ram_bytes', revision?.ramBytes, 'only known for Raspberry Pi boards (decoded from the revision code)');

    const osRelease = (await ctx.readText('/etc/os-release')) ?? (await ctx.readText('/usr/lib/os-release'));
    let os: string | null = null;
    if (osRelease) {
      const fields = parseOsRelease(osRelease);
      os = fields['PRETTY_NAME'] ?? ([fields['NAME'], fields['VERSION']].filter(Boolean).join(' ') || null);
      if (fields['VERSION_CODENAME']) details['osCodename'] = fields['VERSION_CODENAME'];
    } else if (ctx.live && process.platform !== 'linux') {
      const si = await loadSystemInformation();
      const info = si ? await si.osInfo() : null;
      os = info ? [info.distro, info.release].filter(Boolean).join(' ') || null : null;
    }
    sink.put('host.os', os, 'no /etc/os-release');

    let kernel = (await ctx.readText('/proc/sys/kernel/osrelease'))?.trim() || null;
    if (!kernel && ctx.live) kernel = release();
    sink.put('host.kernel', kernel, 'no /proc/sys/kernel/osrelease in the recorded tree');
    // /proc/sys/kernel/osrelease exists only under Linux; a live agent elsewhere knows its own platform.
    const linux = (await ctx.exists('/proc/sys/kernel/osrelease')) ? true : ctx.live ? process.platform === 'linux' : null;
    sink.put('host.linux', linux, 'no /proc/sys/kernel/osrelease in the recorded tree');

    const container = await detectContainer(ctx);
    sink.put('host.in_container', container.inContainer, 'container detection failed');
    if (container.evidence.length > 0) details['containerEvidence'] = container.evidence;

    return sink.output();
  },
};
