// The output of probes/assets/inspect_python.py, checked field by field. Pure.
// Anything an interpreter prints that is not exactly the expected report (a wrapper's banner, a crash,
// garbage from a fake binary) is rejected with a reason instead of being half-trusted.

export const INSPECT_MARKER = 'EDGEPROBE_PYTHON ';

export const INSPECTED_PACKAGES = ['django', 'channels', 'daphne', 'uvicorn', 'channels_redis', 'gunicorn', 'redis', 'twisted', 'cryptography'] as const;
export type InspectedPackage = (typeof INSPECTED_PACKAGES)[number];

export interface Capability {
  ok: boolean;
  /** Version or path when ok. */
  value: string | null;
  /** Why not, when not ok (the Python exception, shortened). */
  error: string | null;
}

export interface PythonInspection {
  version: string;
  releaseLevel: string;
  implementation: string;
  executable: string;
  prefix: string;
  inVirtualenv: boolean;
  bits: number;
  machine: string;
  platformTag: string | null;
  libc: string | null;
  soabi: string | null;
  venv: Capability;
  pip: Capability;
  ssl: Capability;
  sqlite: Capability;
  headers: Capability;
  missingModules: string[];
  packages: Record<InspectedPackage, string | null>;
}

export type InspectionResult = { ok: true; inspection: PythonInspection } | { ok: false; reason: string };

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function str(o: Obj, key: string, max = 500): string | null {
  const v = o[key];
  return typeof v === 'string' && v.length <= max ? v : null;
}

function capability(value: unknown): Capability | null {
  if (!isObj(value) || typeof value['ok'] !== 'boolean') return null;
  const val = value['value'];
  const err = value['error'];
  return {
    ok: value['ok'],
    value: typeof val === 'string' ? val.slice(0, 500) : null,
    error: typeof err === 'string' ? err.slice(0, 500) : value['ok'] ? null : 'failed without a message',
  };
}

/** Shortens what a broken interpreter printed, for a reason line. */
export function excerpt(text: string, max = 160): string {
  const oneLine = text
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

export function parseInspection(stdout: string): InspectionResult {
  const line = stdout.split('\n').find((l) => l.startsWith(INSPECT_MARKER));
  if (line === undefined) {
    const shown = excerpt(stdout);
    return { ok: false, reason: shown ? `printed no inspection report (got "${shown}")` : 'printed nothing' };
  }
  let data: unknown;
  try {
    data = JSON.parse(line.slice(INSPECT_MARKER.length));
  } catch {
    return { ok: false, reason: `printed a malformed inspection report ("${excerpt(line)}")` };
  }
  if (!isObj(data)) return { ok: false, reason: 'inspection report is not an object' };
  const version = str(data, 'version', 40);
  if (version === null || !/^\d+\.\d+\.\d+$/.test(version)) return { ok: false, reason: 'inspection report has no valid version' };
  const bits = data['bits'];
  if (bits !== 32 && bits !== 64) return { ok: false, reason: 'inspection report has no valid bitness' };
  const caps: Record<string, Capability> = {};
  for (const key of ['venv', 'pip', 'ssl', 'sqlite', 'headers']) {
    const cap = capability(data[key]);
    if (!cap) return { ok: false, reason: `inspection report has no valid "${key}" entry` };
    caps[key] = cap;
  }
  const rawPackages = isObj(data['packages']) ? data['packages'] : {};
  const packages = {} as Record<InspectedPackage, string | null>;
  for (const name of INSPECTED_PACKAGES) {
    const v = rawPackages[name];
    packages[name] = typeof v === 'string' && v.length > 0 && v.length <= 60 ? v : null;
  }
  const missing = Array.isArray(data['missingModules']) ? data['missingModules'].filter((m): m is string => typeof m === 'string').slice(0, 20) : [];
  return {
    ok: true,
    inspection: {
      version,
      releaseLevel: str(data, 'releaseLevel', 20) ?? 'final',
      implementation: str(data, 'implementation', 40) ?? 'unknown',
      executable: str(data, 'executable', 4096) ?? '',
      prefix: str(data, 'prefix', 4096) ?? '',
      inVirtualenv: data['inVirtualenv'] === true,
      bits,
      machine: str(data, 'machine', 40) ?? '',
      platformTag: str(data, 'platformTag', 100),
      libc: str(data, 'libc', 100),
      soabi: str(data, 'soabi', 100),
      venv: caps['venv'] as Capability,
      pip: caps['pip'] as Capability,
      ssl: caps['ssl'] as Capability,
      sqlite: caps['sqlite'] as Capability,
      headers: caps['headers'] as Capability,
      missingModules: missing,
      packages,
    },
  };
}
