// stack: the parts a full Django deployment brings along. Reverse proxy (nginx, caddy, apache2, lighttpd),
// Redis (version, running and answering on its port), PostgreSQL, memcached, cron, and whether the ports
// a deployment wants (80, 443, 8000) are free or which process holds them.
//
// Which Redis is checked: every redis-server process found running (on the ports it really listens on),
// the port and unix socket of /etc/redis/redis.conf (read under --root), the default 127.0.0.1:6379, and
// --redis-url if given. Each is asked PING and INFO server over one short connection; a server that wants
// a password still counts as running (its version is then taken from the redis-server binary).

import type { ProbeContext, ProbeDefinition, ProbeOutput } from '../src/engine/probe.js';
import { MetricSink } from '../src/engine/sink.js';
import { metricIdsOf } from '../src/report/metrics.js';
import { findExecutable, listProcesses, NO_PROGRAM_DIRS, type ProcessInfo, processNamed, programsVisible, socketInodes } from './lib/executables.js';
import { type ListeningSocket, parseProcNetTcp, reachableFromLoopback } from './lib/parsers/proc.js';
import { describeRedisTarget, parseRedisConf, parseRedisServerVersion, parseRedisTarget, type RedisTarget } from './lib/parsers/redis.js';
import {
  parseApacheVersion,
  parseCaddyVersion,
  parseLighttpdVersion,
  parseMemcachedVersion,
  parseNginxVersion,
  parsePgIsReady,
  parsePostgresVersion,
} from './lib/parsers/stack.js';
import { askRedis, type RedisAnswer } from './lib/redis-client.js';

const REDIS_TIMEOUT_MS = 2_000;
export const DEPLOYMENT_PORTS = [80, 443, 8000] as const;

interface ProxySpec {
  name: string;
  binaries: string[];
  processes: string[];
  versionArgs: string[];
  parse: (text: string) => string | null;
}

const PROXIES: ProxySpec[] = [
  { name: 'nginx', binaries: ['nginx'], processes: ['nginx'], versionArgs: ['-v'], parse: parseNginxVersion },
  { name: 'caddy', binaries: ['caddy'], processes: ['caddy'], versionArgs: ['version'], parse: parseCaddyVersion },
  {
    name: 'apache2',
    binaries: ['apache2ctl', 'apachectl', 'httpd', 'apache2'],
    processes: ['apache2', 'httpd'],
    versionArgs: ['-v'],
    parse: parseApacheVersion,
  },
  { name: 'lighttpd', binaries: ['lighttpd'], processes: ['lighttpd'], versionArgs: ['-v'], parse: parseLighttpdVersion },
];

async function versionOf(
  ctx: ProbeContext,
  path: string,
  args: string[],
  parse: (text: string) => string | null,
): Promise<{ version: string | null; reason: string | null }> {
  if (!ctx.live) return { version: null, reason: 'recorded tree: programs cannot be run' };
  const result = await ctx.exec(path, args, { timeoutMs: 5_000, maxBytes: 64 * 1024 });
  if (result.spawnError) return { version: null, reason: `${path} could not be started (${result.spawnError})` };
  if (result.timedOut) return { version: null, reason: `${path} ${args.join(' ')} did not answer within 5 s` };
  const version = parse(`${result.stdout}\n${result.stderr}`);
  return version ? { version, reason: null } : { version: null, reason: `${path} ${args.join(' ')} printed no version` };
}

/** Listening TCP sockets of the root's /proc/net, and (lazily) which process holds each. */
class SocketTable {
  private owners: Map<number, ProcessInfo> | null = null;
  constructor(
    private readonly ctx: ProbeContext,
    readonly sockets: ListeningSocket[],
    private readonly processes: ProcessInfo[],
  ) {}

  static async load(ctx: ProbeContext, processes: ProcessInfo[]): Promise<SocketTable> {
    const v4 = parseProcNetTcp((await ctx.readText('/proc/net/tcp')) ?? '', 4);
    const v6 = parseProcNetTcp((await ctx.readText('/proc/net/tcp6')) ?? '', 6);
    return new SocketTable(ctx, [...v4, ...v6], processes);
  }

  async owner(inode: number): Promise<ProcessInfo | null> {
    if (!this.owners) {
      this.owners = new Map();
      for (const p of this.processes) for (const i of await socketInodes(this.ctx, p.pid)) this.owners.set(i, p);
    }
    return this.owners.get(inode) ?? null;
  }

  async portsOf(pid: number): Promise<ListeningSocket[]> {
    const mine = await socketInodes(this.ctx, pid);
    return this.sockets.filter((s) => mine.has(s.inode));
  }
}

function loopbackTarget(socket: ListeningSocket): RedisTarget {
  const host = socket.address === '0.0.0.0' ? '127.0.0.1' : socket.address === '::' ? '::1' : socket.address.replace(/^::ffff:/, '');
  return { kind: 'tcp', host, port: socket.port, username: null, password: null };
}

/** Where the Redis configuration files say Redis listens, as targets reachable from loopback. */
async function redisConfTargets(ctx: ProbeContext): Promise<Array<{ target: RedisTarget; source: string }>> {
  const found: Array<{ target: RedisTarget; source: string }> = [];
  for (const path of ['/etc/redis/redis.conf', '/etc/redis.conf']) {
    const text = await ctx.readText(path);
    if (text === null) continue;
    const conf = parseRedisConf(text);
    if (conf.port !== null && conf.port > 0) {
      const bound = conf.bind.find((b) => reachableFromLoopback(b)) ?? conf.bind[0] ?? '127.0.0.1';
      found.push({
        target: {
          kind: 'tcp',
          host: bound === '*' || bound === '0.0.0.0' ? '127.0.0.1' : bound === '::' || bound === '::*' ? '::1' : bound,
          port: conf.port,
          username: null,
          password: null,
        },
        source: path,
      });
    }
    if (conf.unixsocket) found.push({ target: { kind: 'unix', path: conf.unixsocket, username: null, password: null }, source: path });
  }
  return found;
}

async function checkRedis(
  ctx: ProbeContext,
  sink: MetricSink,
  processes: ProcessInfo[],
  sockets: SocketTable,
  absent: (what: string) => string,
): Promise<Record<string, unknown>> {
  const binary = await findExecutable(ctx, ['redis-server']);
  const binaryVersion = binary ? await versionOf(ctx, binary, ['--version'], parseRedisServerVersion) : { version: null, reason: absent('redis-server') };
  const running = processes.filter((p) => processNamed(p, ['redis-server']) || p.comm === 'redis-server');

  const targets = new Map<string, { target: RedisTarget; source: string }>();
  const addTarget = (target: RedisTarget, source: string): void => {
    const key = target.kind === 'unix' ? `unix:${target.path}` : `${target.host}:${target.port}`;
    if (!targets.has(key)) targets.set(key, { target, source });
  };
  if (ctx.options.redisUrl) {
    const target = parseRedisTarget(ctx.options.redisUrl);
    if (target) addTarget(target, '--redis-url');
  }
  const processPorts: Array<{ pid: number; ports: number[] }> = [];
  for (const p of running) {
    const listening = await sockets.portsOf(p.pid);
    processPorts.push({ pid: p.pid, ports: listening.map((s) => s.port) });
    for (const s of listening) addTarget(loopbackTarget(s), `redis-server pid ${p.pid}`);
  }
  for (const { target, source } of await redisConfTargets(ctx)) addTarget(target, source);
  addTarget({ kind: 'tcp', host: '127.0.0.1', port: 6379, username: null, password: null }, 'default port');

  const checked: Array<{ target: string; source: string } & RedisAnswer> = [];
  if (ctx.live) {
    const answers = await Promise.all(
      [...targets.values()].map(async ({ target, source }) => ({
        target: describeRedisTarget(target),
        source,
        ...(await askRedis(target, REDIS_TIMEOUT_MS, ctx.signal)),
      })),
    );
    checked.push(...answers);
  }
  const answering = checked.filter((c) => c.answers);
  const withVersion = answering.find((c) => c.version !== null);
  sink.put('stack.redis_running', ctx.live ? answering.length > 0 : null, 'recorded tree: nothing can be asked');
  sink.put(
    'stack.redis_version',
    withVersion?.version ?? binaryVersion.version,
    answering.length > 0 ? 'the running Redis wants a password and no redis-server binary was found' : (binaryVersion.reason ?? 'not found'),
  );
  const details: Record<string, unknown> = {
    binary,
    binaryVersion: binaryVersion.version,
    processes: processPorts,
    checked: checked.map(({ target, source, reachable, answers, authRequired, version, mode, error }) => ({
      target,
      source,
      reachable,
      answers,
      authRequired,
      version,
      mode,
      error,
    })),
    answeringAt: answering[0]?.target ?? null,
  };
  if (running.length > 0 && answering.length === 0)
    details['redisWarning'] =
      `redis-server is running (pid ${running.map((p) => p.pid).join(', ')}) but answered on none of: ${checked.map((c) => c.target).join(', ')}`;
  return details;
}

async function checkPostgres(
  ctx: ProbeContext,
  sink: MetricSink,
  processes: ProcessInfo[],
  sockets: SocketTable,
  absent: (what: string) => string,
): Promise<Record<string, unknown>> {
  const versionDirs = ((await ctx.listDir('/usr/lib/postgresql')) ?? []).sort((a, b) => Number(b) - Number(a)).map((v) => `/usr/lib/postgresql/${v}/bin`);
  const binary =
    (await findExecutable(ctx, ['postgres'])) ?? (await findExecutable(ctx, ['postgres'], versionDirs)) ?? (await findExecutable(ctx, ['psql', 'pg_config']));
  const version = binary
    ? await versionOf(ctx, binary, ['--version'], parsePostgresVersion)
    : { version: null, reason: absent('PostgreSQL (postgres, psql or pg_config)') };
  const all = processes.filter((p) => p.comm === 'postgres' || p.comm === 'postmaster' || processNamed(p, ['postgres', 'postmaster']));
  const pids = new Set(all.map((p) => p.pid));
  const postmasters = all.filter((p) => p.ppid === null || !pids.has(p.ppid));
  const servers: Array<{ pid: number; ports: number[]; ready: string | null }> = [];
  const pgIsReady = ctx.live ? ((await findExecutable(ctx, ['pg_isready'])) ?? (await findExecutable(ctx, ['pg_isready'], versionDirs))) : null;
  for (const p of postmasters) {
    const ports = (await sockets.portsOf(p.pid)).map((s) => s.port);
    let ready: string | null = null;
    const port = ports[0];
    if (pgIsReady && port !== undefined) {
      const answer = await ctx.exec(pgIsReady, ['-h', '127.0.0.1', '-p', String(port), '-t', '3'], { timeoutMs: 5_000 });
      ready = parsePgIsReady(answer.stdout);
    }
    servers.push({ pid: p.pid, ports: [...new Set(ports)], ready });
  }
  sink.put('stack.postgres_running', ctx.live || processes.length > 0 ? postmasters.length > 0 : null, 'recorded tree without processes');
  sink.put('stack.postgres_version', version.version, version.reason ?? 'not found');
  return { binary, servers };
}

interface StackScene {
  ctx: ProbeContext;
  sink: MetricSink;
  processes: ProcessInfo[];
  haveProcesses: boolean;
}

const NO_PROCESSES = 'no processes visible under the root';

/** Reverse proxy: a running one wins over one that is only installed. */
function putProxy(scene: StackScene, proxies: ReadonlyArray<{ name: string; running: boolean }>, programs: boolean): void {
  const proxy = proxies.find((p) => p.running) ?? proxies[0] ?? null;
  scene.sink.put('stack.reverse_proxy', proxy?.name, programs ? 'none of nginx, caddy, apache2 or lighttpd is installed' : NO_PROGRAM_DIRS);
  scene.sink.put('stack.reverse_proxy_running', scene.haveProcesses ? proxies.some((p) => p.running) : null, NO_PROCESSES);
  scene.sink.details['reverseProxies'] = proxies;
}

/** cron: a cron daemon running, or systemd as pid 1 (timers do the same job). */
async function putCron(scene: StackScene): Promise<void> {
  const { ctx, sink, processes } = scene;
  const cronBinary = await findExecutable(ctx, ['cron', 'crond', 'cronie', 'fcron']);
  const cronProcess = processes.find((p) => processNamed(p, ['cron', 'crond', 'fcron']));
  const pid1 = (await ctx.readText('/proc/1/comm'))?.trim() ?? null;
  const systemdTimers = pid1 === 'systemd';
  sink.put('stack.cron_available', scene.haveProcesses ? cronProcess !== undefined || systemdTimers : null, NO_PROCESSES);
  sink.details['cron'] = { binary: cronBinary, runningPid: cronProcess?.pid ?? null, systemdTimers };
  if (cronBinary && !cronProcess && !systemdTimers)
    sink.details['cronNote'] = `${cronBinary} is installed but no cron daemon is running, so scheduled jobs will not run`;
}

/** Ports a Django deployment wants: free, or who holds them. */
async function putPorts(scene: StackScene, sockets: SocketTable): Promise<void> {
  const holders: Record<string, unknown> = {};
  const socketsVisible = sockets.sockets.length > 0 || (await scene.ctx.exists('/proc/net/tcp'));
  for (const port of DEPLOYMENT_PORTS) {
    const listeners = sockets.sockets.filter((s) => s.port === port);
    scene.sink.put(`stack.port_${port}_free`, socketsVisible ? listeners.length === 0 : null, 'no /proc/net/tcp under the root');
    if (!socketsVisible || listeners.length === 0) continue;
    holders[String(port)] = await Promise.all(
      listeners.map(async (s) => {
        const owner = await sockets.owner(s.inode);
        return {
          address: s.address,
          pid: owner?.pid ?? null,
          program: owner ? owner.argv.slice(0, 3).join(' ') || owner.comm : 'a process edgeprobe may not inspect',
        };
      }),
    );
  }
  scene.sink.details['portHolders'] = holders;
}

export const stackProbe: ProbeDefinition = {
  id: 'stack',
  title: 'Deployment stack',
  metrics: metricIdsOf('stack'),
  budgetMs: () => 30_000,
  async run(ctx): Promise<ProbeOutput> {
    const sink = new MetricSink();
    const { details } = sink;
    const processes = await listProcesses(ctx);
    const sockets = await SocketTable.load(ctx, processes);
    const scene: StackScene = { ctx, sink, processes, haveProcesses: processes.length > 0 };
    const programs = await programsVisible(ctx);
    const absent = (what: string): string => (programs ? `${what} is not installed` : NO_PROGRAM_DIRS);

    // Every version question at once: a program that hangs costs its timeout once, not once per program.
    const proxyChecks = PROXIES.map(async (spec) => {
      const path = await findExecutable(ctx, spec.binaries);
      const running = processes.some((p) => processNamed(p, spec.processes));
      if (!path && !running) return null;
      const version = path ? await versionOf(ctx, path, spec.versionArgs, spec.parse) : { version: null, reason: null };
      return { name: spec.name, path, version: version.version, versionReason: version.reason, running };
    });
    const memcachedCheck = (async () => {
      const path = await findExecutable(ctx, ['memcached']);
      return { path, version: path ? await versionOf(ctx, path, ['-V'], parseMemcachedVersion) : { version: null, reason: absent('memcached') } };
    })();
    const [proxyResults, redis, postgres, memcached] = await Promise.all([
      Promise.all(proxyChecks),
      checkRedis(ctx, sink, processes, sockets, absent),
      checkPostgres(ctx, sink, processes, sockets, absent),
      memcachedCheck,
    ]);
    putProxy(
      scene,
      proxyResults.filter((p): p is NonNullable<typeof p> => p !== null),
      programs,
    );
    details['redis'] = redis;
    if (typeof redis['redisWarning'] === 'string') details['redisWarning'] = redis['redisWarning'];
    details['postgres'] = postgres;
    sink.put('stack.memcached_version', memcached.version.version, memcached.version.reason ?? 'not found');
    sink.put('stack.memcached_running', scene.haveProcesses ? processes.some((p) => processNamed(p, ['memcached'])) : null, NO_PROCESSES);
    details['memcached'] = { binary: memcached.path };
    await putCron(scene);
    await putPorts(scene, sockets);
    return sink.output();
  },
};
