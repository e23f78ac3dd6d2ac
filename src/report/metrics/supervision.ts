// supervision: what restarts a crashed Django and starts it at boot.
import { defineMetrics } from './define.js';

export const SUPERVISION_METRICS = defineMetrics('supervision', [
  { name: 'init', type: 'string', description: 'pid 1 kind: systemd, openrc, runit, s6, sysvinit, busybox, container-init, unknown' },
  { name: 'available', type: 'boolean', judged: true, description: 'A supervisor that restarts a crashed process and starts it at boot is usable' },
  { name: 'supervisors', type: 'string', description: 'Comma-separated names found usable' },
  { name: 'restart_verified', type: 'boolean', judged: true, description: 'Opt-in active test: a supervised process was killed and came back' },
  { name: 'pid1', type: 'string', description: 'Name of the program running as pid 1' },
  { name: 'in_container', type: 'boolean', description: 'Running inside a container (its restart policy is not visible from inside)' },
  { name: 'systemd_state', type: 'string', judged: true, description: '`systemctl is-system-running`: running, degraded, offline ...' },
  { name: 'systemd_version', type: 'number', description: 'systemd version, e.g. 252' },
  { name: 'user_manager_running', type: 'boolean', description: 'A systemd user manager runs for the current user' },
  { name: 'linger_enabled', type: 'boolean', description: 'Lingering is on for the current user (user services run without a login)' },
]);
