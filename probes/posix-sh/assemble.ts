// Assembles the POSIX-sh probe as it is streamed to a device: the version, the metric catalogue's ids per probe
// and the lookup tables (written once, in TypeScript), the Python helpers as here-documents, then the probe.
// docs/architecture.md, "The POSIX-sh probe", says what is generated and why.
import { METRIC_CATALOGUE } from '../../src/report/metrics.js';
import { DJANGO_PYTHON_SUPPORT } from '../../src/facts/django-support.js';
import { readPackageFile } from '../../src/platform/package-files.js';
import { shellQuote } from '../../src/platform/shell-quote.js';
import { VERSION } from '../../src/platform/version.js';

/**
 * The POSIX-sh probe as streamed: the version, the catalogue's metric ids per probe (so that the report
 * covers every metric, null with a reason where the sh probe cannot measure it), then the probe itself.
 */
export function shProbePayload(): string {
  const byProbe = new Map<string, string[]>();
  for (const spec of METRIC_CATALOGUE) {
    const probe = spec.id.split('.')[0] ?? '';
    byProbe.set(probe, [...(byProbe.get(probe) ?? []), spec.id]);
  }
  const lines = [`EDGEPROBE_VERSION=${shellQuote(VERSION)}`, `EDGEPROBE_PROBES=${shellQuote([...byProbe.keys()].join(' '))}`];
  for (const [probe, ids] of byProbe) lines.push(`EDGEPROBE_METRICS_${probe}=${shellQuote(ids.join(' '))}`);
  lines.push(`EDGEPROBE_DJANGO_SUPPORT=${shellQuote(JSON.stringify(DJANGO_PYTHON_SUPPORT))}`);
  const python = shellAssignFile('EDGEPROBE_SH_PYTHON_SRC', readPackageFile('probes/posix-sh/sh_python.py'))
    + shellAssignFile('EDGEPROBE_INSPECT_PY', readPackageFile('probes/assets/inspect_python.py'));
  return `${lines.join('\n')}\n${python}${shStreamingHelpers()}${readPackageFile('probes/posix-sh/edgeprobe-probe.sh')}`;
}

const SERVER_ASSET = 'probes/assets/streaming/ws_echo_server.py';
const CLIENT_ASSET = 'probes/posix-sh/sh_ws_client.py';

/** A shell assignment of a file's text through a quoted here-document (no expansion inside). */
function shellAssignFile(variable: string, text: string): string {
  const terminator = `__EDGEPROBE_${variable}_END__`;
  if (text.includes(terminator)) throw new Error(`${variable}: the text contains its here-document terminator`);
  return `${variable}=$(cat <<'${terminator}'\n${text}\n${terminator}\n)\n`;
}

/** The Python streaming tier's server and client, as variables for the sh probe, when this build has them. */
function shStreamingHelpers(): string {
  let server: string;
  try {
    server = readPackageFile(SERVER_ASSET);
  } catch {
    return '';
  }
  return shellAssignFile('EDGEPROBE_WS_SERVER_SRC', server) + shellAssignFile('EDGEPROBE_WS_CLIENT_SRC', readPackageFile(CLIENT_ASSET));
}

