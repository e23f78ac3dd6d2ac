// Reports for judging tests: real ones, probed from recorded device trees through the real runner, and
// copies of them with metrics changed or added (for probes a recorded tree cannot answer).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_PROBES } from '../../probes/index.js';
import type { Metrics, Report } from '../../src/report/types.js';
import { runProbes } from '../../src/engine/runner.js';
import { fixtureRoot } from './cli.js';

export async function recordedReport(board: string): Promise<Report> {
  return runProbes(ALL_PROBES, { root: fixtureRoot(board), quick: true, verbose: false });
}

/** A deep copy with metrics replaced (every id must be a catalogue id for the report to stay valid). */
export function withMetrics(report: Report, patch: Metrics): Report {
  const copy = JSON.parse(JSON.stringify(report)) as Report;
  Object.assign(copy.metrics, patch);
  return copy;
}

/**
 * What a healthy Raspberry Pi OS bookworm install would add to the hardware facts of a recorded tree. Made-up
 * figures, not a measurement: a test that uses them says "made-up" in its name (test/test-hygiene.test.ts).
 */
export const HEALTHY_SOFTWARE: Metrics = {
  'python.found': true, 'python.version': '3.11.2', 'python.path': '/usr/bin/python3', 'python.venv_available': true,
  'python.pip_available': true, 'python.ssl_available': true, 'python.sqlite_version': '3.40.1', 'python.build_tools_available': true,
  'python.max_django': '5.2', 'python.django_version': null, 'python.channels_version': null, 'python.asgi_server': null,
  'supervision.init': 'systemd', 'supervision.available': true, 'supervision.supervisors': 'systemd', 'supervision.restart_verified': true,
  'supervision.systemd_state': 'running',
  'stack.reverse_proxy': 'nginx', 'stack.reverse_proxy_running': true, 'stack.cron_available': true,
  'stack.redis_version': '7.0.15', 'stack.redis_running': true, 'stack.postgres_version': '15.4', 'stack.postgres_running': true,
  'disk.free_bytes': 20 * 1024 ** 3, 'disk.fsync_p99_ms': 12.5, 'disk.device_kind': 'ssd',
  'cpu.single_thread_score': 24_000_000, 'cpu.multi_thread_score': 90_000_000,
  'cpu.throttled_now': false, 'cpu.throttled_since_boot': false, 'cpu.undervoltage_since_boot': false,
  'streaming.node_messages_per_second': 40_000, 'streaming.node_p99_ms': 4.2,
  'streaming.python_messages_per_second': 20_000, 'streaming.python_p99_ms': 9.1,
  'streaming.channels_messages_per_second': 900, 'streaming.channels_p99_ms': 31,
  'streaming.channels_redis_messages_per_second': 600, 'streaming.channels_redis_p99_ms': 38,
  'streaming.channels_redis_sustained_late_frames': 0, 'streaming.channels_redis_sustained_jitter_ms': 3.5,
  'streaming.bytes_per_connection': 48 * 1024, 'streaming.suspect': false,
  'django.wsgi_server': 'gunicorn', 'django.wsgi_requests_per_second': 38, 'django.wsgi_workers': 4, 'django.wsgi_workers_requests_per_second': 120,
  'django.wsgi_scaling_ratio': 3.1, 'django.wsgi_modest_load_p95_ms': 45, 'django.wsgi_worker_rss_bytes': 44 * 1024 ** 2,
  'django.wsgi_worker_pss_bytes': 38 * 1024 ** 2, 'django.wsgi_cold_start_ms': 3500, 'django.wsgi_workers_fit': 18,
  'django.asgi_server': 'daphne', 'django.asgi_requests_per_second': 30, 'django.asgi_workers': 4, 'django.asgi_workers_requests_per_second': 95,
  'django.asgi_scaling_ratio': 3.0, 'django.asgi_modest_load_p95_ms': 60, 'django.asgi_worker_rss_bytes': 62 * 1024 ** 2,
  'django.asgi_worker_pss_bytes': 56 * 1024 ** 2, 'django.asgi_cold_start_ms': 4800, 'django.asgi_workers_fit': 12,
  'django.cpython_score': 180_000, 'django.latency_target_ms': 100,
  // An A1 card that keeps up, and a soak that stayed cool: made-up figures of a healthy board.
  'storage.kind': 'sd', 'storage.app_performance_class': 1, 'storage.random_write_iops': 900, 'storage.random_write_fsync_p99_ms': 45,
  'storage.card_life_years': 12, 'soak.throttled': false, 'soak.undervoltage': false,
};

/** A temp dir for files a test writes; remove it with the returned function. */
export function tempDir(prefix: string): { dir: string; write(name: string, value: unknown): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `edgeprobe-${prefix}-`));
  return {
    dir,
    write(name, value) {
      const path = join(dir, name);
      writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
      return path;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
