// stack: reverse proxy, Redis, PostgreSQL, memcached, cron, ports.
import { defineMetrics } from './define.js';

export const STACK_METRICS = defineMetrics('stack', [
  { name: 'reverse_proxy', type: 'string', judged: true, description: 'nginx, caddy, apache2, lighttpd ...' },
  { name: 'redis_version', type: 'string', judged: true, description: 'redis-server version' },
  { name: 'redis_running', type: 'boolean', judged: true, description: 'A Redis server answers' },
  { name: 'postgres_running', type: 'boolean', judged: true, description: 'A PostgreSQL server is running' },
  { name: 'reverse_proxy_running', type: 'boolean', judged: true, description: 'One of the reverse proxies is running' },
  { name: 'postgres_version', type: 'string', judged: true, description: 'PostgreSQL server (or client) version, e.g. "15.4"' },
  { name: 'memcached_version', type: 'string', description: 'memcached version' },
  { name: 'memcached_running', type: 'boolean', description: 'A memcached process is running' },
  { name: 'cron_available', type: 'boolean', judged: true, description: 'Scheduled jobs can run: a cron daemon is running, or systemd (timers) is pid 1' },
  { name: 'port_80_free', type: 'boolean', description: 'Nothing listens on TCP port 80' },
  { name: 'port_443_free', type: 'boolean', description: 'Nothing listens on TCP port 443' },
  { name: 'port_8000_free', type: 'boolean', description: 'Nothing listens on TCP port 8000' },
]);
