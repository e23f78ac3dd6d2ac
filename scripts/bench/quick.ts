// The quick probe against Ansible's fact gathering, the agent's peak memory against a bare node, and the
// POSIX-sh probe beside them: one loop of alternating runs so that background load hits all alike.
import { QUICK_NODE_FLAGS } from '../../src/remote/ssh.js';
import { agentBundle, type BenchOptions, type Figure, NODE, round, shProbePath } from './figures.js';
import { measure, median, type Sample } from './measure.js';

const MiB = 1024 * 1024;
const AGENT_ARGS = ['-', 'run', '--quick', '--format', 'json'];

interface QuickSamples {
  /** The agent as `edgeprobe ssh` starts it for a quick run: node with QUICK_NODE_FLAGS. */
  quick: Sample[];
  /** The same agent under V8's defaults (`node - run --quick`, as someone would type it). */
  plain: Sample[];
  ansible: Sample[];
  bare: Sample[];
  sh: Sample[];
}

async function collect(options: BenchOptions): Promise<QuickSamples> {
  const bundle = agentBundle();
  const env = {
    ...process.env,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_HOST_KEY_CHECKING: 'False',
    ANSIBLE_LOCALHOST_WARNING: 'False',
    ANSIBLE_INVENTORY_UNPARSED_WARNING: 'False',
  };
  const agent = { timeoutMs: 60_000, input: bundle, okCodes: [0, 1, 3] };
  const shPath = shProbePath();
  const run = {
    quick: (): Promise<Sample> => measure('quick probe', NODE, [...QUICK_NODE_FLAGS, ...AGENT_ARGS], agent),
    plain: (): Promise<Sample> => measure('quick probe, V8 defaults', NODE, AGENT_ARGS, agent),
    ansible: (): Promise<Sample> => measure('ansible setup', 'ansible', ['localhost', '-c', 'local', '-m', 'setup'], { timeoutMs: 120_000, env, cwd: '/' }),
    bare: (): Promise<Sample> => measure('bare node', NODE, ['-e', '0'], { timeoutMs: 30_000 }),
    sh: (): Promise<Sample | null> =>
      shPath ? measure('sh probe', '/bin/sh', [shPath, '--quick'], { timeoutMs: 60_000, okCodes: [0, 1, 3] }) : Promise.resolve(null),
  };
  // One unmeasured warm-up each (page cache, Python bytecode).
  for (const warm of Object.values(run)) await warm();
  const samples: QuickSamples = { quick: [], plain: [], ansible: [], bare: [], sh: [] };
  for (let i = 0; i < options.runs; i++) {
    options.log(`quick probe vs ansible: run ${i + 1}/${options.runs}`);
    samples.quick.push(await run.quick());
    samples.ansible.push(await run.ansible());
    samples.bare.push(await run.bare());
    samples.plain.push(await run.plain());
    const sh = await run.sh();
    if (sh) samples.sh.push(sh);
  }
  return samples;
}

/** Where the quick probe's time goes: each probe's median duration as its report gives it. */
function slowestProbes(samples: readonly Sample[]): string {
  const perProbe = new Map<string, number[]>();
  for (const sample of samples) {
    const report = JSON.parse(sample.result.stdout) as { probes: Array<{ id: string; durationMs: number }> };
    for (const probe of report.probes) perProbe.set(probe.id, [...(perProbe.get(probe.id) ?? []), probe.durationMs]);
  }
  return [...perProbe]
    .map(([id, values]) => [id, median(values)] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([id, ms]) => `${id} ${Math.round(ms)} ms`)
    .join(', ');
}

const med = (samples: readonly Sample[], key: 'wallMs' | 'cpuMs' | 'peakRssBytes'): number => median(samples.map((s) => s[key]));

/**
 * Quick probe wall time vs Ansible fact gathering, and the agent's peak RSS vs bare node: the quick probe is
 * the agent as `edgeprobe ssh` deploys it (the bundle streamed to `node <QUICK_NODE_FLAGS> -` on stdin),
 * Ansible is Debian's ansible-core running its setup module against localhost with the local connection.
 * The same agent under V8's defaults is measured too, so that what the flags save is on record.
 */
export async function quickProbeFigures(options: BenchOptions): Promise<Figure[]> {
  const s = await collect(options);
  const flags = QUICK_NODE_FLAGS.join(' ');
  const [quickWall, ansibleWall, bareRss] = [med(s.quick, 'wallMs'), med(s.ansible, 'wallMs'), med(s.bare, 'peakRssBytes')];
  const [agentRss, plainRss] = [med(s.quick, 'peakRssBytes'), med(s.plain, 'peakRssBytes')];
  const figures: Figure[] = [
    {
      id: 'quick_probe_wall',
      title: 'quick probe wall time',
      value: quickWall,
      unit: 'ms',
      reference: '`ansible localhost -c local -m setup`',
      referenceValue: ansibleWall,
      ratio: quickWall / ansibleWall,
      target: '≤ 0.25×',
      met: quickWall / ansibleWall <= 0.25,
      note:
        `\`node ${flags} - run --quick\`, as \`edgeprobe ssh\` starts it; median of ${options.runs} alternating runs; CPU time (user + system, children included) ` +
        `${Math.round(med(s.quick, 'cpuMs'))} ms against Ansible's ${Math.round(med(s.ansible, 'cpuMs'))} ms; under V8's defaults ${Math.round(med(s.plain, 'wallMs'))} ms wall; ` +
        `slowest probes (median; all but cpu run concurrently): ${slowestProbes(s.quick)}; Ansible's own peak RSS ${Math.round(med(s.ansible, 'peakRssBytes') / MiB)} MiB`,
      samples: {
        quickMs: s.quick.map((x) => round(x.wallMs)),
        ansibleMs: s.ansible.map((x) => round(x.wallMs)),
        quickCpuMs: s.quick.map((x) => round(x.cpuMs)),
        ansibleCpuMs: s.ansible.map((x) => round(x.cpuMs)),
      },
    },
    {
      id: 'agent_peak_rss',
      title: 'agent peak RSS (quick probe)',
      value: agentRss,
      unit: 'bytes',
      reference: `bare \`node -e 0\` (Node ${process.versions.node})`,
      referenceValue: bareRss,
      ratio: agentRss / bareRss,
      target: '≤ 1.3×',
      met: agentRss / bareRss <= 1.3,
      note: `\`node ${flags} - run --quick\`, as \`edgeprobe ssh\` starts it; ru_maxrss via GNU time, median of ${options.runs} runs each`,
      samples: { agentBytes: s.quick.map((x) => x.peakRssBytes), bareNodeBytes: s.bare.map((x) => x.peakRssBytes) },
    },
    {
      id: 'agent_peak_rss_v8_defaults',
      title: 'agent peak RSS (quick probe, V8 defaults)',
      value: plainRss,
      unit: 'bytes',
      reference: 'bare `node -e 0` (above)',
      referenceValue: bareRss,
      ratio: plainRss / bareRss,
      target: '—',
      met: null,
      note: `\`node - run --quick\` without ${flags}; median of ${options.runs} runs alternating with the others`,
      samples: { agentBytes: s.plain.map((x) => x.peakRssBytes), wallMs: s.plain.map((x) => round(x.wallMs)) },
    },
  ];
  if (s.sh.length > 0) figures.push(...shFigures(s.sh, ansibleWall, bareRss, options.runs));
  return figures;
}

function shFigures(sh: readonly Sample[], ansibleWall: number, bareRss: number, runs: number): Figure[] {
  const shWall = med(sh, 'wallMs');
  const shRss = med(sh, 'peakRssBytes');
  return [
    {
      id: 'sh_probe_wall',
      title: 'sh probe wall time',
      value: shWall,
      unit: 'ms',
      reference: 'Ansible fact gathering (above)',
      referenceValue: ansibleWall,
      ratio: shWall / ansibleWall,
      target: '—',
      met: null,
      note: `\`sh dist/edgeprobe-probe.sh --quick\` (the assembled probe with its Python helpers, as \`edgeprobe ssh\` sends it) with Debian's dash; median of ${runs} runs alternating with the others`,
      samples: { shMs: sh.map((s) => round(s.wallMs)) },
    },
    {
      id: 'sh_probe_peak_rss',
      title: 'sh probe peak RSS',
      value: shRss,
      unit: 'bytes',
      reference: 'bare `node -e 0` (above)',
      referenceValue: bareRss,
      ratio: shRss / bareRss,
      target: '—',
      met: null,
      note: 'ru_maxrss is the largest single process among the shell and the children it waited for (python3 for the python metrics), not their sum',
      samples: { shBytes: sh.map((s) => s.peakRssBytes) },
    },
  ];
}
