// Installing and removing scheduled runs over SSH (`edgeprobe ssh --install-timer` / `--remove-timer`): one
// ssh session per host, bounded in time, at most `concurrency` at once; every outcome classified.
import { execCommand } from '../platform/process.js';
import type { RemoteDevice } from './inventory.js';
import {
  INSTALL_SCRIPT,
  installPayload,
  parseScheduleAnswer,
  REMOVE_SCRIPT,
  type ScheduleAnswer,
  type ScheduleSpec,
  scheduleCommand,
  scheduleTime,
  type TimerInterval,
} from './schedule.js';
import { classifySshFailure, type RemoteOptions, sshArgs } from './ssh.js';

export interface ScheduleOptions extends Pick<RemoteOptions, 'connectTimeoutS' | 'sshOptions' | 'sshConfig' | 'ssh'> {
  timeoutMs: number;
  concurrency: number;
}

export interface ScheduleResult {
  device: RemoteDevice;
  answer: ScheduleAnswer;
}

async function runOnHost(device: RemoteDevice, script: string, input: string, options: ScheduleOptions): Promise<ScheduleAnswer> {
  const args = sshArgs(device, options, scheduleCommand(script));
  const result = await execCommand(options.ssh ?? 'ssh', args, { timeoutMs: options.timeoutMs, input, maxBytes: 1024 * 1024 });
  if (result.spawnError) return { ok: false, message: `cannot start ssh: ${result.spawnError}` };
  if (result.timedOut) return { ok: false, message: `no answer within ${Math.round(options.timeoutMs / 1000)} s` };
  const answer = parseScheduleAnswer(result.stdout);
  if (answer) return answer;
  if (result.code === 255) return { ok: false, message: classifySshFailure(result.stderr, result.code).message };
  const last = result.stderr.trim().split('\n').pop() ?? '';
  return { ok: false, message: `the device gave no answer (exit ${String(result.code)}${last ? `: ${last.slice(0, 300)}` : ''})` };
}

async function eachHost(
  devices: readonly RemoteDevice[],
  concurrency: number,
  work: (device: RemoteDevice) => Promise<ScheduleAnswer>,
): Promise<ScheduleResult[]> {
  const results: ScheduleResult[] = new Array<ScheduleResult>(devices.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, devices.length) }, async () => {
      while (next < devices.length) {
        const index = next++;
        const device = devices[index] as RemoteDevice;
        results[index] = { device, answer: await work(device) };
      }
    }),
  );
  return results;
}

/** Installs the agent and a timer (or crontab entry) on every device; the report label is the device's name. */
export function installTimers(
  devices: readonly RemoteDevice[],
  spec: Omit<ScheduleSpec, 'label'>,
  agent: string,
  options: ScheduleOptions,
): Promise<ScheduleResult[]> {
  return eachHost(devices, options.concurrency, (device) => {
    const labelled = { ...spec, label: device.name, runArgs: device.python ? [...spec.runArgs, '--python', device.python] : spec.runArgs };
    return runOnHost(device, INSTALL_SCRIPT, installPayload(labelled, agent), options);
  });
}

export function removeTimers(devices: readonly RemoteDevice[], options: ScheduleOptions): Promise<ScheduleResult[]> {
  return eachHost(devices, options.concurrency, (device) => runOnHost(device, REMOVE_SCRIPT, '', options));
}

/** One line per host for people. */
export function describeSchedule(result: ScheduleResult, interval: TimerInterval | null): string {
  const { answer, device } = result;
  if (!answer.ok) return `${device.name}: failed: ${answer.message}`;
  if (answer.action === 'removed') {
    return `${device.name}: scheduled runs removed${answer.waitingReports > 0 ? `; ${answer.waitingReports} undelivered report(s) kept in its spool` : ''}`;
  }
  const { minute, hour } = scheduleTime(device.name);
  const two = (n: number): string => String(n).padStart(2, '0');
  const when = interval === 'HOURLY' ? `hourly at minute ${two(minute)}` : `daily at ${two(hour)}:${two(minute)} (device time)`;
  const how = { systemd: 'systemd timer', 'systemd-user': 'systemd user timer (lingering on)', cron: 'crontab entry' }[answer.kind];
  return `${device.name}: scheduled ${when} by a ${how}; files in ${answer.dir}`;
}
