// The end-to-end check of scheduled runs on one SSH device, shared by the cron test (test/scheduled-runs.test.ts,
// the real OpenSSH server of test/helpers/sshd.ts) and the systemd test of the lab's booted boards, which calls
// verifyScheduledRuns() with `expectKind: 'systemd'` (or 'systemd-user') and a device it booted:
//
//   await verifyScheduledRuns({ device, dashboard, expectKind: 'systemd-user' });
//
// It installs the timer twice (idempotent), checks what is installed and that the token is stored only in the
// 0600 env file, runs the scheduled job as its scheduler would while the dashboard is down (the report waits in
// the device's spool) and again once it is up (both reports arrive, the spool empties), then removes it all.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Agent, fetch } from 'undici';
import { type ExecResult, execCommand } from '../../src/platform/process.js';
import { SCHEDULE_DIR, SCHEDULE_NAME, type TimerKind } from '../../src/remote/schedule.js';
import { runCli } from './cli.js';
import { tokenParts } from './dashboard.js';

export interface ScheduledRunDevice {
  /** An ssh_config (ssh -F) that names the device. */
  sshConfig: string;
  /** The Host alias in sshConfig; also the report label the timer uses. */
  host: string;
  /** Extra ssh -o KEY=VALUE options, if any. */
  sshOptions?: string[];
}

export interface ScheduledRunDashboard {
  /** The dashboard as the device reaches it. */
  urlForDevice: string;
  /** The dashboard as this test reaches it. */
  url: string;
  uploadToken: string;
  readToken: string;
  /** PEM file of the CA that signs an https dashboard's certificate. */
  caFile?: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface VerifyOptions {
  device: ScheduledRunDevice;
  dashboard: ScheduledRunDashboard;
  expectKind: TimerKind;
  /** Seconds one scheduled run may take (a --quick run is a few seconds; an emulated board is slower). */
  runTimeoutS?: number;
}

/** Runs a shell command on the device as the ssh user. */
export function onDevice(device: ScheduledRunDevice, command: string, timeoutMs = 120_000): Promise<ExecResult> {
  const options = (device.sshOptions ?? []).flatMap((o) => ['-o', o]);
  return execCommand('ssh', ['-F', device.sshConfig, '-o', 'BatchMode=yes', ...options, device.host, command], { timeoutMs });
}

/** What a check saw, for its failure message. */
function seen(result: ExecResult): string {
  return `exit ${String(result.code ?? result.signal)}; stdout: ${result.stdout}; stderr: ${result.stderr}`;
}

function sshCli(device: ScheduledRunDevice, args: string[]): Promise<import('./cli.js').CliResult> {
  return runCli(['ssh', '--ssh-config', device.sshConfig, ...(device.sshOptions ?? []).flatMap((o) => ['--ssh-option', o]), device.host, ...args], {
    timeoutMs: 180_000,
  });
}

/** Runs the installed job exactly as its scheduler would: cron's command line under cron's bare environment, or the systemd service. */
export async function triggerScheduledRun(device: ScheduledRunDevice, kind: TimerKind, timeoutS = 180): Promise<void> {
  let command: string;
  if (kind === 'cron') {
    const crontab = await onDevice(device, 'crontab -l');
    const line = crontab.stdout.split('\n').find((l) => l.endsWith(`# ${SCHEDULE_NAME}`));
    assert.ok(line, `no ${SCHEDULE_NAME} line in the crontab:\n${crontab.stdout}`);
    const job = line
      .split(/\s+/)
      .slice(5)
      .join(' ')
      .replace(new RegExp(`\\s*# ${SCHEDULE_NAME}$`), '');
    command = `env -i HOME="$HOME" LOGNAME="$(id -un)" SHELL=/bin/sh PATH=/usr/bin:/bin sh -c '${job.replace(/'/g, `'\\''`)}'`;
  } else {
    command = `systemctl ${kind === 'systemd-user' ? '--user ' : ''}start --wait ${SCHEDULE_NAME}.service`;
  }
  const result = await onDevice(device, command, timeoutS * 1000);
  assert.equal(result.code, 0, `the scheduled job failed (${command}):\n${result.stdout}\n${result.stderr}`);
}

async function storedReports(dashboard: ScheduledRunDashboard, label: string): Promise<string[]> {
  const dispatcher = new Agent({ connect: dashboard.caFile ? { ca: readFileSync(dashboard.caFile, 'utf8') } : {} });
  try {
    const get = async (path: string): Promise<unknown> =>
      (await fetch(`${dashboard.url}${path}`, { headers: { authorization: `Bearer ${dashboard.readToken}` }, dispatcher })).json();
    const list = (await get(`/api/v1/devices?q=${encodeURIComponent(label)}`)) as { devices: { id: string; name: string }[] };
    const device = list.devices.find((d) => d.name === label);
    if (!device) return [];
    const history = (await get(`/api/v1/devices/${device.id}`)) as { reports: { id: string }[] };
    return history.reports.map((r) => r.id);
  } finally {
    await dispatcher.close();
  }
}

async function spooledOnDevice(device: ScheduledRunDevice): Promise<number> {
  const result = await onDevice(device, `ls "$HOME/${SCHEDULE_DIR}/spool" 2>/dev/null | grep -c '\\.json$' || true`);
  assert.equal(result.code, 0, `counting the spooled reports: ${seen(result)}`);
  return Number(result.stdout.trim());
}

async function checkInstalled(device: ScheduledRunDevice, kind: TimerKind, token: string): Promise<void> {
  const dir = `$HOME/${SCHEDULE_DIR}`;
  const check =
    kind === 'cron' ? `crontab -l | grep -c '# ${SCHEDULE_NAME}$'` : `systemctl ${kind === 'systemd-user' ? '--user ' : ''}is-enabled ${SCHEDULE_NAME}.timer`;
  const installed = await onDevice(device, check);
  assert.equal(installed.stdout.trim(), kind === 'cron' ? '1' : 'enabled', `${check}: ${installed.stdout}${installed.stderr}`);
  const mode = await onDevice(device, `stat -c %a "${dir}/upload.env" "${dir}/edgeprobe-agent.js"; cat "${dir}/node"`);
  assert.match(mode.stdout, /^600\n600\n\//, `the token file and the agent are the user's alone (${seen(mode)})`);
  // The token is in the env file and nowhere else the scheduler shows: not the crontab, not the units, not run.sh.
  const leaks = await onDevice(
    device,
    `(crontab -l 2>/dev/null; cat "${dir}/run.sh" "${dir}/${SCHEDULE_NAME}.service" "${dir}/${SCHEDULE_NAME}.timer") | grep -c -F -e '${tokenParts(token).secret}' || true`,
  );
  assert.equal(leaks.stdout.trim(), '0', `the token appears outside upload.env (${seen(leaks)})`);
}

export async function verifyScheduledRuns(options: VerifyOptions): Promise<void> {
  const { device, dashboard, expectKind } = options;
  const install = [
    '--install-timer',
    'DAILY',
    '--upload',
    dashboard.urlForDevice,
    '--token',
    dashboard.uploadToken,
    '--quick',
    ...(dashboard.caFile ? ['--ca', dashboard.caFile] : []),
  ];
  for (let attempt = 0; attempt < 2; attempt++) {
    const result = await sshCli(device, install);
    assert.equal(result.code, 0, `install (attempt ${attempt + 1}): ${result.stdout}${result.stderr}`);
    assert.match(result.stdout, new RegExp(`^${device.host}: scheduled daily at \\d\\d:\\d\\d \\(device time\\) by a `, 'm'));
  }
  await checkInstalled(device, expectKind, dashboard.uploadToken);
  if (expectKind !== 'cron') {
    // The timer stays enabled but stops: its calendar time (from the label) could fall inside this test, and a run
    // of its own would add a report to the two counted below. The runs here start the service as the timer would.
    const user = expectKind === 'systemd-user' ? '--user ' : '';
    const stopped = await onDevice(device, `systemctl ${user}stop ${SCHEDULE_NAME}.timer`);
    assert.equal(stopped.code, 0, `stopping the timer: ${seen(stopped)}`);
  }
  const before = await storedReports(dashboard, device.host);

  await dashboard.stop();
  await triggerScheduledRun(device, expectKind, options.runTimeoutS);
  assert.equal(await spooledOnDevice(device), 1, 'with the dashboard down, the report waits in the device spool');
  await dashboard.start();
  await triggerScheduledRun(device, expectKind, options.runTimeoutS);
  assert.equal(await spooledOnDevice(device), 0, 'the next run delivered the spooled report too');
  const after = await storedReports(dashboard, device.host);
  assert.equal(after.length - before.length, 2, `two scheduled runs, two reports for ${device.host}: ${JSON.stringify(after)}`);

  const removed = await sshCli(device, ['--remove-timer']);
  assert.equal(removed.code, 0, removed.stdout + removed.stderr);
  assert.match(removed.stdout, new RegExp(`^${device.host}: scheduled runs removed$`, 'm'));
  const gone = await onDevice(
    device,
    `test -e "$HOME/${SCHEDULE_DIR}" && echo left; crontab -l 2>/dev/null | grep -c '# ${SCHEDULE_NAME}$' || true; ls "\${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user/${SCHEDULE_NAME}.timer" /etc/systemd/system/${SCHEDULE_NAME}.timer 2>/dev/null || true`,
  );
  assert.equal(gone.stdout.trim(), '0', `nothing of the scheduled runs is left (${seen(gone)})`);
}
