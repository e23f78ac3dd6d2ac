// The metric catalogue (docs/architecture.md, "The metric catalogue"; the generated list is docs/metrics.md).
// Profiles, compare, the dashboard and the Prometheus output all read metrics by these ids.
// Adding an id is fine; renaming or removing one means a new report schema version.

export type MetricType = 'number' | 'string' | 'boolean';

export interface MetricSpec {
  id: string;
  type: MetricType;
  /** May the agent report null ("could not be measured")? Every metric may be missing from a partial report. */
  nullable: boolean;
  unit?: 'bytes' | 'bytes_per_second' | 'seconds' | 'ms' | 'per_second' | 'celsius' | 'mhz' | 'cpus' | 'bits';
  description: string;
}

const host: MetricSpec[] = [
  { id: 'host.board', type: 'string', nullable: true, description: 'Board model: device-tree model, else decoded Raspberry Pi revision, else DMI product' },
  { id: 'host.os', type: 'string', nullable: true, description: 'Pretty OS name from os-release' },
  { id: 'host.kernel', type: 'string', nullable: true, description: 'Kernel release' },
  { id: 'host.board_ram_bytes', type: 'number', nullable: true, unit: 'bytes', description: 'RAM fitted to the board, decoded from the Raspberry Pi revision code' },
  { id: 'host.in_container', type: 'boolean', nullable: true, description: 'The agent runs inside a container (docker, podman, lxc ...)' },
];

const cpu: MetricSpec[] = [
  { id: 'cpu.arch', type: 'string', nullable: true, description: 'Machine as `uname -m` says: armv6l, armv7l, aarch64, x86_64 ...' },
  { id: 'cpu.userland_bits', type: 'number', nullable: true, unit: 'bits', description: 'Bitness of the userland: 32 or 64' },
  { id: 'cpu.cores', type: 'number', nullable: true, unit: 'cpus', description: 'Online logical CPUs of the host' },
  { id: 'cpu.effective_cpus', type: 'number', nullable: true, unit: 'cpus', description: 'CPUs this process may really use: min(cores, cpuset, cgroup quota)' },
  { id: 'cpu.cpuset_cpus', type: 'number', nullable: true, unit: 'cpus', description: 'CPUs in this process\'s cpuset' },
  { id: 'cpu.quota_cpus', type: 'number', nullable: true, unit: 'cpus', description: 'cgroup CPU quota as a number of CPUs; null when unlimited' },
  { id: 'cpu.model', type: 'string', nullable: true, description: 'CPU model' },
  { id: 'cpu.max_mhz', type: 'number', nullable: true, unit: 'mhz', description: 'Highest clock the CPU may run at' },
  { id: 'cpu.governor', type: 'string', nullable: true, description: 'cpufreq scaling governor of cpu0' },
  { id: 'cpu.load_average_1m', type: 'number', nullable: true, description: 'One-minute load average' },
  { id: 'cpu.single_thread_score', type: 'number', nullable: true, unit: 'per_second', description: 'Fixed-work benchmark, one thread, operations per second' },
  { id: 'cpu.multi_thread_score', type: 'number', nullable: true, unit: 'per_second', description: 'Fixed-work benchmark on all effective CPUs, operations per second' },
  { id: 'cpu.throttled_now', type: 'boolean', nullable: true, description: 'Raspberry Pi get_throttled bits 0-3: under-voltage, capped, throttled or soft temperature limit now' },
  { id: 'cpu.throttled_since_boot', type: 'boolean', nullable: true, description: 'Raspberry Pi get_throttled bits 16-19: any of the above since boot' },
  { id: 'cpu.undervoltage_since_boot', type: 'boolean', nullable: true, description: 'Raspberry Pi get_throttled bit 16: under-voltage seen since boot' },
  { id: 'cpu.temperature_celsius', type: 'number', nullable: true, unit: 'celsius', description: 'SoC / CPU temperature' },
];

const memory: MetricSpec[] = [
  { id: 'memory.total_bytes', type: 'number', nullable: true, unit: 'bytes', description: '/proc/meminfo MemTotal' },
  { id: 'memory.available_bytes', type: 'number', nullable: true, unit: 'bytes', description: '/proc/meminfo MemAvailable (estimated on kernels without it)' },
  { id: 'memory.swap_total_bytes', type: 'number', nullable: true, unit: 'bytes', description: 'Swap configured, zram included' },
  { id: 'memory.swap_free_bytes', type: 'number', nullable: true, unit: 'bytes', description: 'Swap free' },
  { id: 'memory.zram_total_bytes', type: 'number', nullable: true, unit: 'bytes', description: 'Part of the swap that is compressed RAM (zram); 0 when none' },
  { id: 'memory.cgroup_limit_bytes', type: 'number', nullable: true, unit: 'bytes', description: 'Memory limit of this process\'s cgroup (tightest along its ancestors); null when unlimited' },
  { id: 'memory.cgroup_usage_bytes', type: 'number', nullable: true, unit: 'bytes', description: 'Memory charged to this process\'s cgroup; null when not in a memory cgroup' },
  { id: 'memory.effective_total_bytes', type: 'number', nullable: true, unit: 'bytes', description: 'What this process\'s group may really use: min(MemTotal, cgroup limit)' },
  { id: 'memory.effective_available_bytes', type: 'number', nullable: true, unit: 'bytes', description: 'What this process\'s group may still allocate: min(MemAvailable, limit - working set)' },
];

const python: MetricSpec[] = [
  { id: 'python.found', type: 'boolean', nullable: true, description: 'A Python 3 interpreter was found' },
  { id: 'python.version', type: 'string', nullable: true, description: 'Version of the best interpreter, e.g. "3.11.2"' },
  { id: 'python.path', type: 'string', nullable: true, description: 'Path of the best interpreter' },
  { id: 'python.venv_available', type: 'boolean', nullable: true, description: 'venv and ensurepip are usable' },
  { id: 'python.pip_available', type: 'boolean', nullable: true, description: 'pip is importable' },
  { id: 'python.ssl_available', type: 'boolean', nullable: true, description: 'The ssl module loads' },
  { id: 'python.sqlite_version', type: 'string', nullable: true, description: 'SQLite library version the sqlite3 module links' },
  { id: 'python.build_tools_available', type: 'boolean', nullable: true, description: 'C compiler and Python headers present, so wheels can be built' },
  { id: 'python.max_django', type: 'string', nullable: true, description: 'Newest Django series this interpreter supports, e.g. "5.2"' },
  { id: 'python.django_version', type: 'string', nullable: true, description: 'Installed Django' },
  { id: 'python.channels_version', type: 'string', nullable: true, description: 'Installed Channels' },
  { id: 'python.asgi_server', type: 'string', nullable: true, description: '"daphne", "uvicorn" or null' },
  { id: 'python.bits', type: 'number', nullable: true, unit: 'bits', description: 'Bitness of the best interpreter: 32 or 64' },
  { id: 'python.headers_available', type: 'boolean', nullable: true, description: 'Python.h of the best interpreter is installed' },
  { id: 'python.compiler_available', type: 'boolean', nullable: true, description: 'A C compiler (cc, gcc or clang) is on the PATH' },
  { id: 'python.daphne_version', type: 'string', nullable: true, description: 'Installed daphne' },
  { id: 'python.uvicorn_version', type: 'string', nullable: true, description: 'Installed uvicorn' },
  { id: 'python.channels_redis_version', type: 'string', nullable: true, description: 'Installed channels_redis' },
  { id: 'python.interpreter_count', type: 'number', nullable: true, description: 'Distinct working Python interpreters found' },
];

const supervision: MetricSpec[] = [
  { id: 'supervision.init', type: 'string', nullable: true, description: 'pid 1 kind: systemd, openrc, runit, s6, sysvinit, busybox, container-init, unknown' },
  { id: 'supervision.available', type: 'boolean', nullable: true, description: 'A supervisor that restarts a crashed process and starts it at boot is usable' },
  { id: 'supervision.supervisors', type: 'string', nullable: true, description: 'Comma-separated names found usable' },
  { id: 'supervision.restart_verified', type: 'boolean', nullable: true, description: 'Opt-in active test: a supervised process was killed and came back' },
  { id: 'supervision.pid1', type: 'string', nullable: true, description: 'Name of the program running as pid 1' },
  { id: 'supervision.in_container', type: 'boolean', nullable: true, description: 'Running inside a container (its restart policy is not visible from inside)' },
  { id: 'supervision.systemd_state', type: 'string', nullable: true, description: '`systemctl is-system-running`: running, degraded, offline ...' },
  { id: 'supervision.systemd_version', type: 'number', nullable: true, description: 'systemd version, e.g. 252' },
  { id: 'supervision.user_manager_running', type: 'boolean', nullable: true, description: 'A systemd user manager runs for the current user' },
  { id: 'supervision.linger_enabled', type: 'boolean', nullable: true, description: 'Lingering is on for the current user (user services run without a login)' },
];

const stack: MetricSpec[] = [
  { id: 'stack.reverse_proxy', type: 'string', nullable: true, description: 'nginx, caddy, apache2, lighttpd ...' },
  { id: 'stack.redis_version', type: 'string', nullable: true, description: 'redis-server version' },
  { id: 'stack.redis_running', type: 'boolean', nullable: true, description: 'A Redis server answers' },
  { id: 'stack.postgres_running', type: 'boolean', nullable: true, description: 'A PostgreSQL server is running' },
  { id: 'stack.reverse_proxy_running', type: 'boolean', nullable: true, description: 'One of the reverse proxies is running' },
  { id: 'stack.postgres_version', type: 'string', nullable: true, description: 'PostgreSQL server (or client) version, e.g. "15.4"' },
  { id: 'stack.memcached_version', type: 'string', nullable: true, description: 'memcached version' },
  { id: 'stack.memcached_running', type: 'boolean', nullable: true, description: 'A memcached process is running' },
  { id: 'stack.cron_available', type: 'boolean', nullable: true, description: 'Scheduled jobs can run: a cron daemon is running, or systemd (timers) is pid 1' },
  { id: 'stack.port_80_free', type: 'boolean', nullable: true, description: 'Nothing listens on TCP port 80' },
  { id: 'stack.port_443_free', type: 'boolean', nullable: true, description: 'Nothing listens on TCP port 443' },
  { id: 'stack.port_8000_free', type: 'boolean', nullable: true, description: 'Nothing listens on TCP port 8000' },
];

const disk: MetricSpec[] = [
  { id: 'disk.free_bytes', type: 'number', nullable: true, unit: 'bytes', description: 'Free space on the deployment path' },
  { id: 'disk.fsync_p99_ms', type: 'number', nullable: true, unit: 'ms', description: 'Small write + fsync latency, 99th percentile' },
  { id: 'disk.total_bytes', type: 'number', nullable: true, unit: 'bytes', description: 'Size of the filesystem holding the deployment path' },
  { id: 'disk.filesystem', type: 'string', nullable: true, description: 'Filesystem type of the deployment path: ext4, f2fs, btrfs, overlay ...' },
  { id: 'disk.device_kind', type: 'string', nullable: true, description: 'sd, emmc, nvme, ssd, rotational, ram or network' },
  { id: 'disk.fsync_p50_ms', type: 'number', nullable: true, unit: 'ms', description: 'Small write + fsync latency, median' },
  { id: 'disk.sequential_write_bytes_per_second', type: 'number', nullable: true, unit: 'bytes_per_second', description: 'Sequential write rate, fsync included (bytes per second)' },
];

const streaming: MetricSpec[] = [
  { id: 'streaming.node_messages_per_second', type: 'number', nullable: true, unit: 'per_second', description: 'WebSocket echo on loopback, Node server' },
  { id: 'streaming.node_p99_ms', type: 'number', nullable: true, unit: 'ms', description: 'WebSocket echo latency p99, Node server' },
  { id: 'streaming.python_messages_per_second', type: 'number', nullable: true, unit: 'per_second', description: 'Same clients, stdlib-asyncio Python server' },
  { id: 'streaming.python_p99_ms', type: 'number', nullable: true, unit: 'ms', description: 'Latency p99, stdlib-asyncio Python server' },
  { id: 'streaming.channels_messages_per_second', type: 'number', nullable: true, unit: 'per_second', description: 'Same clients, a real Django Channels consumer under daphne or uvicorn' },
  { id: 'streaming.channels_p99_ms', type: 'number', nullable: true, unit: 'ms', description: 'Latency p99, Django Channels consumer' },
  { id: 'streaming.bytes_per_connection', type: 'number', nullable: true, unit: 'bytes', description: 'Memory cost of one idle WebSocket connection on the Python side: the channels tier\'s, else the python tier\'s' },
  { id: 'streaming.node_bytes_per_second', type: 'number', nullable: true, unit: 'bytes_per_second', description: 'Pipelined 16 KiB echoes, payload bytes per second, Node `ws` server' },
  { id: 'streaming.node_p50_ms', type: 'number', nullable: true, unit: 'ms', description: 'Echo latency p50, one message in flight per client, Node `ws` server' },
  { id: 'streaming.node_p95_ms', type: 'number', nullable: true, unit: 'ms', description: 'Echo latency p95, Node `ws` server' },
  { id: 'streaming.node_bytes_per_connection', type: 'number', nullable: true, unit: 'bytes', description: 'Server RSS growth per idle WebSocket connection, Node `ws` server' },
  { id: 'streaming.node_sustained_bytes_per_second', type: 'number', nullable: true, unit: 'bytes_per_second', description: 'Fixed-bitrate stream: payload bytes per second achieved, Node `ws` server' },
  { id: 'streaming.node_sustained_late_frames', type: 'number', nullable: true, description: 'Fixed-bitrate stream: frames echoed more than one frame interval late, or lost, Node `ws` server' },
  { id: 'streaming.node_sustained_jitter_ms', type: 'number', nullable: true, unit: 'ms', description: 'Fixed-bitrate stream: RFC 3550 interarrival jitter, Node `ws` server' },
  { id: 'streaming.python_bytes_per_second', type: 'number', nullable: true, unit: 'bytes_per_second', description: 'Pipelined 16 KiB echoes, payload bytes per second, stdlib-asyncio Python server' },
  { id: 'streaming.python_p50_ms', type: 'number', nullable: true, unit: 'ms', description: 'Echo latency p50, one message in flight per client, stdlib-asyncio Python server' },
  { id: 'streaming.python_p95_ms', type: 'number', nullable: true, unit: 'ms', description: 'Echo latency p95, stdlib-asyncio Python server' },
  { id: 'streaming.python_bytes_per_connection', type: 'number', nullable: true, unit: 'bytes', description: 'Server RSS growth per idle WebSocket connection, stdlib-asyncio Python server' },
  { id: 'streaming.python_sustained_bytes_per_second', type: 'number', nullable: true, unit: 'bytes_per_second', description: 'Fixed-bitrate stream: payload bytes per second achieved, stdlib-asyncio Python server' },
  { id: 'streaming.python_sustained_late_frames', type: 'number', nullable: true, description: 'Fixed-bitrate stream: frames echoed more than one frame interval late, or lost, stdlib-asyncio Python server' },
  { id: 'streaming.python_sustained_jitter_ms', type: 'number', nullable: true, unit: 'ms', description: 'Fixed-bitrate stream: RFC 3550 interarrival jitter, stdlib-asyncio Python server' },
  { id: 'streaming.channels_bytes_per_second', type: 'number', nullable: true, unit: 'bytes_per_second', description: 'Pipelined 16 KiB echoes, payload bytes per second, Django Channels consumer, InMemoryChannelLayer' },
  { id: 'streaming.channels_p50_ms', type: 'number', nullable: true, unit: 'ms', description: 'Echo latency p50, one message in flight per client, Django Channels consumer, InMemoryChannelLayer' },
  { id: 'streaming.channels_p95_ms', type: 'number', nullable: true, unit: 'ms', description: 'Echo latency p95, Django Channels consumer, InMemoryChannelLayer' },
  { id: 'streaming.channels_bytes_per_connection', type: 'number', nullable: true, unit: 'bytes', description: 'Server RSS growth per idle WebSocket connection, Django Channels consumer, InMemoryChannelLayer' },
  { id: 'streaming.channels_sustained_bytes_per_second', type: 'number', nullable: true, unit: 'bytes_per_second', description: 'Fixed-bitrate stream: payload bytes per second achieved, Django Channels consumer, InMemoryChannelLayer' },
  { id: 'streaming.channels_sustained_late_frames', type: 'number', nullable: true, description: 'Fixed-bitrate stream: frames echoed more than one frame interval late, or lost, Django Channels consumer, InMemoryChannelLayer' },
  { id: 'streaming.channels_sustained_jitter_ms', type: 'number', nullable: true, unit: 'ms', description: 'Fixed-bitrate stream: RFC 3550 interarrival jitter, Django Channels consumer, InMemoryChannelLayer' },
  { id: 'streaming.channels_redis_messages_per_second', type: 'number', nullable: true, unit: 'per_second', description: 'Pipelined 64 B echoes per second, Django Channels consumer, RedisChannelLayer' },
  { id: 'streaming.channels_redis_bytes_per_second', type: 'number', nullable: true, unit: 'bytes_per_second', description: 'Pipelined 16 KiB echoes, payload bytes per second, Django Channels consumer, RedisChannelLayer' },
  { id: 'streaming.channels_redis_p50_ms', type: 'number', nullable: true, unit: 'ms', description: 'Echo latency p50, one message in flight per client, Django Channels consumer, RedisChannelLayer' },
  { id: 'streaming.channels_redis_p95_ms', type: 'number', nullable: true, unit: 'ms', description: 'Echo latency p95, Django Channels consumer, RedisChannelLayer' },
  { id: 'streaming.channels_redis_p99_ms', type: 'number', nullable: true, unit: 'ms', description: 'Echo latency p99, Django Channels consumer, RedisChannelLayer' },
  { id: 'streaming.channels_redis_bytes_per_connection', type: 'number', nullable: true, unit: 'bytes', description: 'Server RSS growth per idle WebSocket connection, Django Channels consumer, RedisChannelLayer' },
  { id: 'streaming.channels_redis_sustained_bytes_per_second', type: 'number', nullable: true, unit: 'bytes_per_second', description: 'Fixed-bitrate stream: payload bytes per second achieved, Django Channels consumer, RedisChannelLayer' },
  { id: 'streaming.channels_redis_sustained_late_frames', type: 'number', nullable: true, description: 'Fixed-bitrate stream: frames echoed more than one frame interval late, or lost, Django Channels consumer, RedisChannelLayer' },
  { id: 'streaming.channels_redis_sustained_jitter_ms', type: 'number', nullable: true, unit: 'ms', description: 'Fixed-bitrate stream: RFC 3550 interarrival jitter, Django Channels consumer, RedisChannelLayer' },
  { id: 'streaming.idle_connections', type: 'number', nullable: true, description: 'Idle connections opened per tier for the bytes_per_connection figures (scaled to memory)' },
  { id: 'streaming.sustained_target_bytes_per_second', type: 'number', nullable: true, unit: 'bytes_per_second', description: 'Payload rate the fixed-bitrate stream asked for (--stream-bitrate, default 2 Mbit/s)' },
  { id: 'streaming.suspect', type: 'boolean', nullable: true, description: 'The device throttled, ran hot or was busy during the streaming probe: figures may be low' },
];

export const METRIC_CATALOGUE: readonly MetricSpec[] = [
  ...host, ...cpu, ...memory, ...python, ...supervision, ...stack, ...disk, ...streaming,
];

const byId = new Map(METRIC_CATALOGUE.map((m) => [m.id, m]));

export function metricSpec(id: string): MetricSpec | undefined {
  return byId.get(id);
}

/** Checks one value against the catalogue; returns a problem or null. Unknown ids are allowed (forward-compatible). */
export function metricValueProblem(id: string, value: unknown): string | null {
  const spec = byId.get(id);
  if (!spec) return null;
  if (value === null) return spec.nullable ? null : `${id} may not be null`;
  if (typeof value !== spec.type) return `${id} must be a ${spec.type}${spec.nullable ? ' or null' : ''}, got ${typeof value}`;
  if (typeof value === 'number' && !Number.isFinite(value)) return `${id} must be a finite number`;
  return null;
}
