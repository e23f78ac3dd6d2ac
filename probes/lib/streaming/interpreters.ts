// The interpreter the streaming tiers run their Python servers under: the one the python probe found, or
// one found along --python and PATH, with the packages (Django, Channels, daphne/uvicorn, Redis) it can import.
import { delimiter, join } from 'node:path';
import type { ProbeContext } from '../../../src/engine/probe.js';
import { readPackageFile } from '../../../src/platform/package-files.js';
import type { ProbeEnvelope } from '../../../src/report/types.js';
import { ASGI_SERVERS, type AsgiServer } from './plan.js';

export const ASSETS = 'probes/assets/streaming';
/** Python older than 3.7 has no asyncio.run / get_running_loop, which the echo server uses. */
const MIN_PYTHON: [number, number] = [3, 7];

export interface Interpreter {
  path: string;
  version: string;
  modules: Record<string, string | null>;
  errors: Record<string, string>;
  redis?: { reachable: boolean; version?: string | null; error?: string };
}

function stringMetric(envelope: ProbeEnvelope | undefined, id: string): string | null {
  const value = envelope?.status === 'ok' ? envelope.metrics[id] : undefined;
  return typeof value === 'string' ? value : null;
}

/** Executable files named python3 / python on PATH, in PATH order, after an explicit --python. */
async function pythonCandidates(ctx: ProbeContext): Promise<string[]> {
  const found: string[] = [];
  if (ctx.options.python) found.push(ctx.options.python);
  for (const dir of (process.env['PATH'] ?? '').split(delimiter).filter(Boolean)) {
    for (const name of ['python3', 'python']) {
      const path = join(dir, name);
      if (!found.includes(path) && (await ctx.exists(path))) found.push(path);
    }
  }
  return found;
}

async function inspectInterpreter(ctx: ProbeContext, path: string, redisUrl: string | null): Promise<Interpreter | { error: string }> {
  const args = ['-', ...(redisUrl ? ['--redis'] : [])];
  const result = await ctx.exec(path, args, {
    timeoutMs: 30_000,
    input: readPackageFile(`${ASSETS}/inspect_stack.py`),
    maxBytes: 65_536,
    env: pythonEnv(redisUrl ? { EDGEPROBE_REDIS_URL: redisUrl } : {}),
  });
  if (result.spawnError) return { error: `cannot run ${path} (${result.spawnError})` };
  if (result.timedOut) return { error: `${path} did not answer within 30 s` };
  try {
    const parsed = JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as Omit<Interpreter, 'path'>;
    if (typeof parsed.version !== 'string' || typeof parsed.modules !== 'object') throw new Error('shape');
    return { ...parsed, path };
  } catch {
    const why = result.stderr.trim().split('\n').pop() ?? '';
    return { error: `${path} is not a usable Python 3 (${why || `exit code ${result.code ?? '?'}`})` };
  }
}

function versionAtLeast(version: string, minimum: [number, number]): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > minimum[0] || (major === minimum[0] && minor >= minimum[1]);
}

function hasChannelsStack(python: Interpreter): boolean {
  return Boolean(python.modules['django'] && python.modules['channels'] && asgiServersOf(python).length > 0);
}

/** ASGI servers this interpreter can run WebSockets under: uvicorn needs websockets or wsproto. */
function asgiServersOf(python: Interpreter): AsgiServer[] {
  return ASGI_SERVERS.filter((name) => {
    if (!python.modules[name]) return false;
    return name !== 'uvicorn' || Boolean(python.modules['websockets'] ?? python.modules['wsproto']);
  });
}

export interface PythonChoice {
  python: Interpreter | null;
  channelsPython: Interpreter | null;
  pythonReason: string;
  channelsReason: string;
  source: string;
  inspected: Array<Interpreter | { path: string; error: string }>;
}

/**
 * The interpreter the python probe found is the one to use, with the packages it saw; without that probe
 * the agent looks for python3/python itself (after --python, along PATH) and inspects each.
 */
export async function choosePython(ctx: ProbeContext, redisUrl: string | null): Promise<PythonChoice> {
  const envelope = ctx.results.get('python');
  const choice: PythonChoice = {
    python: null,
    channelsPython: null,
    pythonReason: 'no Python 3 interpreter found',
    channelsReason: 'no Python 3 interpreter found',
    source: '',
    inspected: [],
  };
  let candidates: string[];
  if (envelope?.status === 'ok') {
    const path = stringMetric(envelope, 'python.path');
    choice.source = 'python probe (python.path)';
    if (!path) {
      choice.pythonReason = choice.channelsReason = 'the python probe found no Python 3 interpreter';
      return choice;
    }
    candidates = [path];
  } else {
    choice.source = `searched --python and PATH (python probe ${envelope ? envelope.status : 'not available'})`;
    candidates = await pythonCandidates(ctx);
  }
  for (const path of candidates) {
    const inspected = await inspectInterpreter(ctx, path, redisUrl);
    if ('error' in inspected) {
      choice.inspected.push({ path, error: inspected.error });
      choice.pythonReason = choice.channelsReason = inspected.error;
      continue;
    }
    choice.inspected.push(inspected);
    if (!versionAtLeast(inspected.version, MIN_PYTHON)) {
      choice.pythonReason = choice.channelsReason = `Python ${inspected.version} at ${path} is older than ${MIN_PYTHON.join('.')}`;
      continue;
    }
    choice.python ??= inspected;
    if (hasChannelsStack(inspected)) {
      choice.channelsPython = inspected;
      break;
    }
  }
  if (choice.python && !choice.channelsPython) {
    const p = choice.python;
    const missing = ['django', 'channels'].filter((name) => !p.modules[name]);
    if (asgiServersOf(p).length === 0) missing.push(p.modules['uvicorn'] ? 'daphne (uvicorn has neither websockets nor wsproto)' : 'daphne or uvicorn');
    choice.channelsReason = `${missing.join(', ')} not importable by ${p.path}`;
  }
  return choice;
}

export function pickAsgiServer(ctx: ProbeContext, python: Interpreter): { server: AsgiServer | null; reason: string } {
  const usable = asgiServersOf(python);
  const wanted = ctx.options.asgiServer;
  if (wanted) {
    return usable.includes(wanted)
      ? { server: wanted, reason: `--asgi-server ${wanted}` }
      : { server: null, reason: `--asgi-server ${wanted}: not usable by ${python.path}` };
  }
  const named = stringMetric(ctx.results.get('python'), 'python.asgi_server');
  const preferred = usable.find((s) => s === named);
  if (preferred) return { server: preferred, reason: 'python.asgi_server' };
  const first = usable[0];
  return first ? { server: first, reason: 'first importable of daphne, uvicorn' } : { server: null, reason: 'neither daphne nor uvicorn can serve WebSockets' };
}

export function pythonEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', ...extra };
}
