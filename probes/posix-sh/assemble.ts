// Assembles the POSIX-sh probe as it is streamed to a device (and written to dist/edgeprobe-probe.sh by the
// build): the version, the metric catalogue's ids per probe and the lookup tables of src/facts/ (each written
// once, in TypeScript) as shell variables, the Python helpers as here-documents, then the probe's parts.
// The sh and Python sources keep no copy of any of these; test/sh-tables.test.ts checks that they do not.

import { ARM_IMPLEMENTER, ARM_PARTS } from '../../src/facts/arm-parts.js';
import { CURRENT_DJANGO_LTS, DJANGO_PYTHON_SUPPORT } from '../../src/facts/django-support.js';
import { DMI_PLACEHOLDER_REPEATED_CHARS, DMI_PLACEHOLDER_VALUES } from '../../src/facts/dmi-placeholders.js';
import { PI_NEW_STYLE_MEMORY_MIB, PI_NEW_STYLE_TYPES, PI_OLD_STYLE_CODES } from '../../src/facts/pi-revisions.js';
import { readPackageFile } from '../../src/platform/package-files.js';
import { shellQuote } from '../../src/platform/shell-quote.js';
import { VERSION } from '../../src/platform/version.js';
import { METRIC_CATALOGUE } from '../../src/report/metrics.js';
import { djangoProjectFiles } from '../lib/django/project.js';
import { SYSTEM_BIN_DIRS } from '../lib/executables.js';
import { channelsProjectFiles } from '../lib/streaming/setup.js';

/** The probe's parts under probes/posix-sh/parts/, in the order the assembled script runs them. */
export const SH_PROBE_PARTS = [
  'options',
  'helpers',
  'cgroups',
  'cgroup-target',
  'cpuinfo',
  'arch',
  'facts',
  'host',
  'memory',
  'cpu',
  'disk',
  'storage',
  'python',
  'programs',
  'supervision',
  'stack',
  'streaming',
  'django',
  'run',
] as const;

export type ShProbePart = (typeof SH_PROBE_PARTS)[number];

/**
 * The POSIX-sh probe as streamed: its variables (so that the report covers every metric of the catalogue, null
 * with a reason where the sh probe cannot measure it, and decodes with the agent's tables), the Python
 * helpers, then the probe itself.
 */
export function shProbePayload(): string {
  const python =
    shellAssignFile('EDGEPROBE_SH_PYTHON_SRC', readPackageFile('probes/posix-sh/sh_python.py')) +
    shellAssignFile('EDGEPROBE_INSPECT_PY', readPackageFile('probes/assets/inspect_python.py'));
  return `${shProbeVariables()}${python}${shStreamingHelpers()}${shDjangoHelpers()}${SH_PROBE_PARTS.map(shProbePart).join('')}`;
}

/** One part's source, e.g. "facts" -> probes/posix-sh/parts/facts.sh. */
export function shProbePart(part: ShProbePart): string {
  return readPackageFile(`probes/posix-sh/parts/${part}.sh`);
}

/** The version, the catalogue's metric ids and the lookup tables, one shell assignment per line or table. */
export function shProbeVariables(): string {
  const assignments = [...metricIdVariables(), ...factVariables()].map(([name, value]) => `${name}=${shellQuote(value)}`);
  return `${assignments.join('\n')}\n`;
}

type Variable = [name: string, value: string];

function metricIdVariables(): Variable[] {
  const byProbe = new Map<string, string[]>();
  for (const spec of METRIC_CATALOGUE) {
    const probe = spec.id.split('.')[0] ?? '';
    byProbe.set(probe, [...(byProbe.get(probe) ?? []), spec.id]);
  }
  return [
    ['EDGEPROBE_VERSION', VERSION],
    ['EDGEPROBE_PROBES', [...byProbe.keys()].join(' ')],
    ...[...byProbe].map(([probe, ids]): Variable => [`EDGEPROBE_METRICS_${probe}`, ids.join(' ')]),
  ];
}

/** src/facts/ and the system program directories in the shapes probes/posix-sh/parts/facts.sh and sh_python.py read. */
function factVariables(): Variable[] {
  return [
    ['EDGEPROBE_DJANGO_SUPPORT', JSON.stringify(DJANGO_PYTHON_SUPPORT)],
    ['EDGEPROBE_DJANGO_CURRENT_LTS', CURRENT_DJANGO_LTS],
    ['EDGEPROBE_PI_TYPES', shTable([...PI_NEW_STYLE_TYPES].map(([code, type]) => [decimal(code), type]))],
    ['EDGEPROBE_PI_MEMORY_MIB', shTable([...PI_NEW_STYLE_MEMORY_MIB].map(([code, mib]) => [decimal(code), String(mib)]))],
    // The board type goes last: it may hold spaces ("Compute Module 1").
    ['EDGEPROBE_PI_OLD_CODES', shTable([...PI_OLD_STYLE_CODES].map(([code, old]) => [decimal(code), `${old.mib} ${old.rev} ${old.type}`]))],
    ['EDGEPROBE_ARM_IMPLEMENTER', ARM_IMPLEMENTER],
    ['EDGEPROBE_ARM_PARTS', shTable(Object.entries(ARM_PARTS).map(([part, core]) => [part.toLowerCase(), core]))],
    ['EDGEPROBE_DMI_PLACEHOLDERS', shLines(DMI_PLACEHOLDER_VALUES.map((value) => value.toLowerCase()))],
    ['EDGEPROBE_DMI_PLACEHOLDER_REPEATED', DMI_PLACEHOLDER_REPEATED_CHARS.map(singleCharacter).join(' ')],
    // Colon-separated like PATH: the sh probe walks "$PATH" and these with IFS=:.
    ['EDGEPROBE_SYSTEM_BIN_DIRS', SYSTEM_BIN_DIRS.map((dir) => noneOf(dir, ':\n', 'a system program directory')).join(':')],
  ];
}

/** "key=value" lines, the shape table_get (parts/facts.sh) reads: keys without "=", nothing with a newline. */
function shTable(entries: Array<[key: string, value: string]>): string {
  return shLines(entries.map(([key, value]) => `${noneOf(key, '=', 'a table key')}=${value}`));
}

function shLines(lines: string[]): string {
  return lines.map((line) => noneOf(line, '\n', 'a table line')).join('\n');
}

function noneOf(text: string, forbidden: string, what: string): string {
  if (text === '' || [...forbidden].some((char) => text.includes(char)))
    throw new Error(`${what} is empty or holds one of ${JSON.stringify(forbidden)}: ${JSON.stringify(text)}`);
  return text;
}

/** The sh probe computes its keys in decimal ($(( ... )) prints decimal). */
function decimal(code: number): string {
  if (!Number.isInteger(code) || code < 0) throw new Error(`not a table code: ${code}`);
  return String(code);
}

function singleCharacter(char: string): string {
  if (char.length !== 1 || !/^[0-9a-z]$/.test(char))
    throw new Error(`a repeated DMI placeholder character must be one lower-case letter or digit: ${JSON.stringify(char)}`);
  return char;
}

const SERVER_ASSET = 'probes/assets/streaming/ws_echo_server.py';
const CLIENT_ASSET = 'probes/posix-sh/sh_ws_client.py';
const DRIVER_ASSET = 'probes/posix-sh/sh_ws_driver.py';
const VALIDITY_ASSET = 'probes/posix-sh/sh_ws_validity.py';

const SERVER_GROUP_ASSET = 'probes/posix-sh/sh_server_group.py';

/** A Python helper that starts servers, after the LifelineServer class they share (sh_server_group.py). */
function withServerGroup(path: string): string {
  return `${readPackageFile(SERVER_GROUP_ASSET)}\n\n${readPackageFile(path)}`;
}

/** A shell assignment of a file's text through a quoted here-document (no expansion inside). */
function shellAssignFile(variable: string, text: string): string {
  const terminator = `__EDGEPROBE_${variable}_END__`;
  if (text.includes(terminator)) throw new Error(`${variable}: the text contains its here-document terminator`);
  return `${variable}=$(cat <<'${terminator}'\n${text}\n${terminator}\n)\n`;
}

/**
 * The streaming tiers' servers (the asyncio echo server, and the Channels project the Node agent serves, as JSON
 * path -> text), the tier runner and its load driver, as variables for the sh probe, when this build has them.
 */
function shStreamingHelpers(): string {
  let server: string;
  try {
    server = readPackageFile(SERVER_ASSET);
  } catch {
    return '';
  }
  return (
    shellAssignFile('EDGEPROBE_WS_SERVER_SRC', server) +
    shellAssignFile('EDGEPROBE_CHANNELS_PROJECT', JSON.stringify(channelsProjectFiles())) +
    shellAssignFile('EDGEPROBE_WS_CLIENT_SRC', withServerGroup(CLIENT_ASSET)) +
    shellAssignFile('EDGEPROBE_WS_DRIVER_SRC', readPackageFile(DRIVER_ASSET)) +
    shellAssignFile('EDGEPROBE_WS_VALIDITY_SRC', readPackageFile(VALIDITY_ASSET))
  );
}

/** The django probe's Python helper, the project it serves (JSON: path -> text) and the CPython benchmark. */
function shDjangoHelpers(): string {
  return (
    shellAssignFile('EDGEPROBE_DJANGO_SRC', withServerGroup('probes/posix-sh/sh_django.py')) +
    shellAssignFile('EDGEPROBE_DJANGO_PROJECT', JSON.stringify(djangoProjectFiles())) +
    shellAssignFile('EDGEPROBE_CPYTHON_BENCH_SRC', readPackageFile('probes/assets/cpython_bench.py'))
  );
}
