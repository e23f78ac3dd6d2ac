// Init systems and supervisors: what pid 1 is, systemd's answers, supervisord's command line and config. Pure.

export type InitKind = 'systemd' | 'openrc' | 'runit' | 's6' | 'sysvinit' | 'busybox' | 'container-init' | 'unknown';

const CONTAINER_INITS = ['tini', 'dumb-init', 'docker-init', 'catatonit', 'podman-init', 'init.sh', 'supervisord'];

export interface InitFacts {
  /** /proc/1/comm */
  comm: string;
  /** Where /proc/1/exe points (null when unreadable). */
  exe: string | null;
  argv: string[];
  /** /run/openrc/softlevel exists: OpenRC is the running rc system. */
  openrcRunning: boolean;
  inContainer: boolean;
}

function base(path: string | null | undefined): string {
  return (
    (path ?? '')
      .replace(/ \(deleted\)$/, '')
      .split('/')
      .pop() ?? ''
  );
}

/** The kind of pid 1, from its name, executable and command line. */
export function classifyInit(facts: InitFacts): InitKind {
  const names = [facts.comm, base(facts.exe), base(facts.argv[0])].filter((n) => n.length > 0);
  const has = (...candidates: string[]): boolean => names.some((n) => candidates.includes(n));
  if (has('systemd') || (facts.exe ?? '').endsWith('/systemd/systemd')) return 'systemd';
  if (has('openrc-init')) return 'openrc';
  if (has('runit', 'runit-init')) return 'runit';
  if (has('s6-svscan', 's6-linux-init')) return 's6';
  if (has(...CONTAINER_INITS)) return 'container-init';
  if (has('init')) {
    if (base(facts.exe) === 'busybox') return 'busybox';
    return facts.openrcRunning ? 'openrc' : 'sysvinit';
  }
  if (has('busybox')) return 'busybox';
  return 'unknown';
}

/** "systemd 252 (252.22-1~deb12u1)" -> 252. */
export function parseSystemdVersion(text: string): number | null {
  const match = /^systemd (\d+)/m.exec(text.trim());
  return match?.[1] ? Number(match[1]) : null;
}

export const SYSTEMD_STATES = ['initializing', 'starting', 'running', 'degraded', 'maintenance', 'stopping', 'offline', 'unknown'] as const;

/** The first word `systemctl is-system-running` prints, when it is one of its documented states. */
export function parseSystemState(text: string): (typeof SYSTEMD_STATES)[number] | null {
  const word = text.trim().split(/\s+/)[0] ?? '';
  return (SYSTEMD_STATES as readonly string[]).includes(word) ? (word as (typeof SYSTEMD_STATES)[number]) : null;
}

/** The config file a supervisord command line names (-c FILE, -cFILE, --configuration FILE, --configuration=FILE). */
export function supervisordConfigArg(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '-c' || arg === '--configuration') return argv[i + 1] ?? null;
    if (arg.startsWith('--configuration=')) return arg.slice('--configuration='.length) || null;
    if (/^-[a-z]*c./.test(arg) && !arg.startsWith('--')) {
      // a cluster of short flags ending in c, e.g. -nc FILE, or -cFILE
      const at = arg.indexOf('c');
      const rest = arg.slice(at + 1);
      return rest.length > 0 ? rest : (argv[i + 1] ?? null);
    }
    if (/^-[a-z]*c$/.test(arg)) return argv[i + 1] ?? null;
  }
  return null;
}

/** supervisord's documented default config search order (when no -c is given), relative to its cwd. */
export const SUPERVISORD_DEFAULT_CONFIGS = ['supervisord.conf', 'etc/supervisord.conf', '/etc/supervisord.conf', '/etc/supervisor/supervisord.conf'];

/** A minimal INI reader for supervisord configs: section -> key -> value (continuation lines joined). */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | null = null;
  let lastKey: string | null = null;
  for (const raw of text.split('\n')) {
    if (/^\s*[;#]/.test(raw) || raw.trim() === '') continue;
    const section = /^\s*\[([^\]]+)\]\s*$/.exec(raw);
    if (section?.[1]) {
      current = new Map();
      sections.set(section[1].trim(), current);
      lastKey = null;
      continue;
    }
    if (!current) continue;
    if (/^\s/.test(raw) && lastKey) {
      current.set(lastKey, `${current.get(lastKey) ?? ''} ${raw.trim()}`);
      continue;
    }
    const kv = /^([^=:]+)[=:](.*)$/.exec(raw);
    if (kv?.[1] !== undefined && kv[2] !== undefined) {
      lastKey = kv[1].trim().toLowerCase();
      current.set(lastKey, kv[2].replace(/\s;.*$/, '').trim());
    }
  }
  return sections;
}

/** The [include] files= patterns of a supervisord config, made absolute against the config's directory. */
export function supervisordIncludes(configText: string, configDir: string): string[] {
  const files = parseIni(configText).get('include')?.get('files') ?? '';
  return files
    .split(/\s+/)
    .filter((f) => f.length > 0)
    .map((f) => (f.startsWith('/') ? f : `${configDir.replace(/\/$/, '')}/${f}`));
}

/** fnmatch-style glob (* ? [..]) of one path component as a RegExp. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (const ch of glob) {
    if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else if (ch === '[' || ch === ']') out += ch;
    else out += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** `supervisorctl pid [name]` prints a bare pid; anything else (errors, 0 for a stopped program) is null. */
export function parseSupervisorctlPid(text: string): number | null {
  const match = /^\s*(\d+)\s*$/.exec(text);
  const pid = match?.[1] ? Number(match[1]) : null;
  return pid !== null && pid > 0 ? pid : null;
}
