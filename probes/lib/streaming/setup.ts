// Which streaming tiers can run on this device, and how each tier's server is started.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProbeContext } from '../../../src/engine/probe.js';
import { readPackageFile } from '../../../src/platform/package-files.js';
import { ASSETS, choosePython, type PythonChoice, pickAsgiServer, pythonEnv } from './interpreters.js';
import { type AsgiServer, type LoadPlan, redisForChannels, STREAMING_TIERS, type StreamingTier } from './plan.js';
import type { ServerSpec } from './servers.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379/0';
const NODE_ECHO_SERVER = 'dist/streaming/node-echo-server.cjs';
const PROJECT_FILES = ['settings.py', 'urls.py', 'asgi.py', 'consumers.py'];

/** The throwaway Channels project, path in the project directory -> text; the POSIX-sh probe gets the same map. */
export function channelsProjectFiles(): Record<string, string> {
  const files: Record<string, string> = { 'edgeprobe_echo/__init__.py': '' };
  for (const file of PROJECT_FILES) files[`edgeprobe_echo/${file}`] = readPackageFile(`${ASSETS}/channels_project/${file}`);
  files['serve.py'] = readPackageFile(`${ASSETS}/channels_project/serve.py`);
  return files;
}

function writeChannelsProject(dir: string): void {
  mkdirSync(join(dir, 'edgeprobe_echo'), { recursive: true });
  for (const [path, text] of Object.entries(channelsProjectFiles())) writeFileSync(join(dir, path), text);
}

/** How to start the server of a tier; the channels tiers share one generated project. */
export function serverSpec(
  tier: StreamingTier,
  setup: { choice: PythonChoice | null; asgi: AsgiServer | null; redisUrl: string; startTimeoutMs: number; projectDir: () => string },
): ServerSpec {
  const { choice, asgi, startTimeoutMs } = setup;
  if (tier === 'node') {
    return {
      name: 'node',
      file: process.execPath,
      args: ['-', '--edgeprobe-streaming-node', '--lifeline'],
      input: readPackageFile(NODE_ECHO_SERVER),
      path: '/',
      startTimeoutMs,
    };
  }
  if (tier === 'python') {
    if (!choice?.python) throw new Error('no Python interpreter');
    return {
      name: 'python',
      file: choice.python.path,
      args: ['-', '--edgeprobe-streaming-python', '--lifeline'],
      input: readPackageFile(`${ASSETS}/ws_echo_server.py`),
      env: pythonEnv(),
      path: '/',
      startTimeoutMs,
    };
  }
  if (!choice?.channelsPython || !asgi) throw new Error('no Django Channels stack');
  const layerEnv: Record<string, string> =
    tier === 'channels_redis'
      ? { EDGEPROBE_CHANNEL_LAYER: 'redis', EDGEPROBE_REDIS_URL: setup.redisUrl, EDGEPROBE_REDIS_PREFIX: `edgeprobe-${randomBytes(6).toString('hex')}` }
      : { EDGEPROBE_CHANNEL_LAYER: 'memory' };
  const projectDir = setup.projectDir();
  return {
    name: tier,
    file: choice.channelsPython.path,
    args: [join(projectDir, 'serve.py'), asgi, '--lifeline'],
    cwd: projectDir,
    env: pythonEnv(layerEnv),
    path: '/echo/',
    startTimeoutMs,
  };
}

/** The Channels project is written once, into one temp dir, the first time a Channels tier needs it. */
export function channelsProject(ctx: ProbeContext): () => string {
  let projectDir: string | null = null;
  return () => {
    if (projectDir === null) {
      projectDir = ctx.tempDir('streaming');
      writeChannelsProject(projectDir);
    }
    return projectDir;
  };
}

/** Marks tiers as not run, keeping the first reason each got. */
function leaveOut(skipped: Map<StreamingTier, string>, tiers: readonly StreamingTier[], reason: string): void {
  for (const tier of tiers) if (!skipped.has(tier)) skipped.set(tier, reason);
}

/** Which tiers can run here, with the interpreter and ASGI server they use; the others get their reason. */
export async function resolveTiers(
  ctx: ProbeContext,
  plan: LoadPlan,
  details: Record<string, unknown>,
): Promise<{
  skipped: Map<StreamingTier, string>;
  choice: PythonChoice | null;
  asgi: AsgiServer | null;
  redisUrl: string;
}> {
  const wanted = new Set<StreamingTier>(
    ctx.options.streamingTiers?.filter((t): t is StreamingTier => (STREAMING_TIERS as readonly string[]).includes(t)) ?? STREAMING_TIERS,
  );
  const skipped = new Map<StreamingTier, string>();
  leaveOut(
    skipped,
    STREAMING_TIERS.filter((tier) => !wanted.has(tier)),
    'not selected by --streaming-tiers',
  );

  const givenRedis = ctx.options.redisUrl ?? null;
  const redis = redisForChannels(givenRedis ?? DEFAULT_REDIS_URL) ?? { url: DEFAULT_REDIS_URL, shown: DEFAULT_REDIS_URL };
  const redisUrl = redis.url;
  const needsPython = wanted.has('python') || wanted.has('channels') || wanted.has('channels_redis');
  let choice: PythonChoice | null = null;
  if (needsPython) {
    choice = await choosePython(ctx, wanted.has('channels_redis') ? redisUrl : null);
    details['python'] = {
      source: choice.source,
      interpreter: choice.python?.path ?? null,
      channelsInterpreter: choice.channelsPython?.path ?? null,
      inspected: choice.inspected.map((i) => ('error' in i ? i : { path: i.path, version: i.version, modules: i.modules })),
    };
    if (!choice.python) {
      leaveOut(skipped, ['python', 'channels', 'channels_redis'], choice.pythonReason);
    } else if (!choice.channelsPython) {
      leaveOut(skipped, ['channels', 'channels_redis'], choice.channelsReason);
    }
  }
  let asgi: AsgiServer | null = null;
  if (choice?.channelsPython && (!skipped.has('channels') || !skipped.has('channels_redis'))) {
    const picked = pickAsgiServer(ctx, choice.channelsPython);
    asgi = picked.server;
    details['asgiServer'] = { server: picked.server, why: picked.reason };
    if (!asgi) leaveOut(skipped, ['channels', 'channels_redis'], picked.reason);
  }
  if (plan.channelsRefused) leaveOut(skipped, ['channels', 'channels_redis'], plan.channelsRefused);
  if (!skipped.has('channels_redis') && choice?.channelsPython) {
    const py = choice.channelsPython;
    const answer = py.redis;
    details['redis'] = { url: redis.shown, given: givenRedis !== null, ...(answer ?? {}) };
    if (!py.modules['channels_redis']) leaveOut(skipped, ['channels_redis'], `channels_redis not importable by ${py.path}`);
    else if (!answer?.reachable) {
      leaveOut(
        skipped,
        ['channels_redis'],
        givenRedis
          ? `no Redis answering at ${redis.shown} (${answer?.error ?? 'not checked'})`
          : `no Redis answering at ${DEFAULT_REDIS_URL}; give one with --redis-url`,
      );
    }
  }

  return { skipped, choice, asgi, redisUrl };
}
