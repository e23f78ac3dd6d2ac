// host: which board, which OS, which kernel, and whether we are inside a container.
import { release } from 'node:os';
import type { ProbeContext, ProbeDefinition, ProbeOutput } from '../src/engine/probe.js';
import { metricIdsOf } from '../src/report/metrics.js';
import { loadSystemInformation } from './lib/sysinfo.js';
import { parseCpuinfo, trailerValue } from './lib/parsers/cpuinfo.js';
import { parseOsRelease } from './lib/parsers/os-release.js';
import { decodePiRevision } from './lib/parsers/pi-revision.js';
import type { Metrics } from '../src/report/types.js';

// DMI strings that vendors leave unfilled; they name nothing.
const DMI_PLACEHOLDERS = /^(to be filled by o\.?e\.?m\.?|system product name|default string|not applicable|none|not specified|0+|x+)$/i;

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
    const unmeasured: Record<string, string> = {};
    const details: Record<string, unknown> = {};
    const metrics: Metrics = {};

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
    metrics['host.board'] = board;
    if (board) details['boardSource'] = boardSource;
    else unmeasured['host.board'] = 'no device-tree model, cpuinfo Model, Raspberry Pi revision code or DMI product name';

    metrics['host.board_ram_bytes'] = revision ? revision.ramBytes : null;
    if (!revision) unmeasured['host.board_ram_bytes'] = 'only known for Raspberry Pi boards (decoded from the revision code)';

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
    metrics['host.os'] = os;
    if (!os) unmeasured['host.os'] = 'no /etc/os-release';

    let kernel = (await ctx.readText('/proc/sys/kernel/osrelease'))?.trim() || null;
    if (!kernel && ctx.live) kernel = release();
    metrics['host.kernel'] = kernel;
    if (!kernel) unmeasured['host.kernel'] = 'no /proc/sys/kernel/osrelease in the recorded tree';
    // /proc/sys/kernel/osrelease exists only under Linux; a live agent elsewhere knows its own platform.
    const linux = (await ctx.exists('/proc/sys/kernel/osrelease')) ? true : ctx.live ? process.platform === 'linux' : null;
    metrics['host.linux'] = linux;
    if (linux === null) unmeasured['host.linux'] = 'no /proc/sys/kernel/osrelease in the recorded tree';

    const container = await detectContainer(ctx);
    metrics['host.in_container'] = container.inContainer;
    if (container.evidence.length > 0) details['containerEvidence'] = container.evidence;

    return { metrics, details, unmeasured };
  },
};
