// Scheduled runs against a real OpenSSH server on loopback (no systemd running here, so the cron path), uploading
// to the real `edgeprobe serve` over HTTPS with a CA made for the test: install (twice), run as cron would with the
// dashboard down and then up, remove. The timer units themselves are checked with systemd-analyze verify; the
// systemd path runs end to end on the lab's booted boards, which call verifyScheduledRuns() the same way.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execCommand } from '../src/platform/process.js';
import {
  crontabLine,
  INSTALL_SCRIPT,
  installPayload,
  REMOVE_SCRIPT,
  type ScheduleSpec,
  serviceUnit,
  timerUnit,
  wrapperScript,
} from '../src/remote/schedule.js';
import { runCli } from './helpers/cli.js';
import { createTokenCli, type ServeProcess, startServe } from './helpers/dashboard.js';
import { executable, requireComponent } from './helpers/env.js';
import { onDevice, verifyScheduledRuns } from './helpers/scheduled-runs.js';
import { sparePort } from './helpers/services.js';
import { type Sshd, sshdAvailable, startSshd, type TestUser } from './helpers/sshd.js';
import { makeTestPki, opensslAvailable, type TestPki } from './helpers/tls.js';

const ready = sshdAvailable() && executable('/usr/bin/crontab') && opensslAvailable();
const skip = requireComponent(ready, 'root, OpenSSH server, cron and openssl', 'scripts/install-test-deps.sh, run as root');
const analyzeSkip = requireComponent(executable('/usr/bin/systemd-analyze'), "systemd's systemd-analyze", 'apt-get install systemd');

const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-scheduled-'));
let sshd: Sshd | undefined;
let user: TestUser | undefined;
let serve: ServeProcess | undefined;
let pki: TestPki;
const db = join(dir, 'dashboard.sqlite');
let port = 0;

function tlsArgs(): string[] {
  return ['--quiet', '--tls-cert', pki.serverCert, '--tls-key', pki.serverKey];
}

before(async () => {
  if (skip) return;
  pki = makeTestPki(dir);
  port = await sparePort();
  serve = await startServe(db, port, tlsArgs());
  sshd = await startSshd();
  user = sshd.addUser({ label: 'timer' });
  sshd.alias('pi-timer', user);
  // Another name for the same account: a device of its own on the dashboard, created by another token.
  sshd.alias('pi-now', user);
});

after(async () => {
  await serve?.stop();
  if (user) {
    try {
      execFileSync('crontab', ['-r', '-u', user.name], { stdio: 'ignore' });
    } catch {
      // no crontab left: the test removed it
    }
  }
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const spec: ScheduleSpec = {
  interval: 'DAILY',
  url: 'https://dashboard.example:8443',
  token: `ep_0123456789ab_${'x'.repeat(43)}`,
  label: "lab pi 'seven'",
  runArgs: ['--quick'],
  timeoutS: 180,
};

test('the timer and service units pass systemd-analyze verify; hourly and daily calendars; the wrapper and scripts are valid sh', {
  skip: analyzeSkip,
}, async () => {
  const units = mkdtempSync(join(dir, 'units-'));
  writeFileSync(join(units, 'edgeprobe-scheduled.service'), serviceUnit(spec));
  writeFileSync(join(units, 'edgeprobe-scheduled.timer'), timerUnit(spec));
  const verify = await execCommand(
    'systemd-analyze',
    ['verify', '--man=no', join(units, 'edgeprobe-scheduled.timer'), join(units, 'edgeprobe-scheduled.service')],
    { timeoutMs: 30_000 },
  );
  assert.equal(verify.code, 0, `systemd-analyze verify:\n${verify.stdout}${verify.stderr}`);
  assert.match(timerUnit(spec), /^OnCalendar=\*-\*-\* \d\d:\d\d:00$/m);
  assert.match(timerUnit({ ...spec, interval: 'HOURLY' }), /^OnCalendar=\*-\*-\* \*:\d\d:00$/m);
  const calendar = /^OnCalendar=(.*)$/m.exec(timerUnit(spec))?.[1] ?? '';
  const next = await execCommand('systemd-analyze', ['calendar', calendar], { timeoutMs: 10_000 });
  assert.equal(next.code, 0, next.stderr);
  assert.match(crontabLine(spec), /^\d{1,2} \d{1,2} \* \* \* \/bin\/sh "\$HOME\/\.local\/share\/edgeprobe\/scheduled\/run\.sh" # edgeprobe-scheduled$/);
  assert.match(crontabLine({ ...spec, interval: 'HOURLY' }), /^\d{1,2} \* \* \* \* /);
  for (const script of [wrapperScript(spec), INSTALL_SCRIPT, REMOVE_SCRIPT]) {
    const syntax = await execCommand('sh', ['-n'], { timeoutMs: 10_000, input: script });
    assert.equal(syntax.code, 0, `sh -n: ${syntax.stderr}\n${script}`);
  }
  assert.ok(wrapperScript(spec).includes(`'--label' 'lab pi '\\''seven'\\'''`), 'the label is quoted for sh');
  assert.throws(() => installPayload({ ...spec, token: 'x; rm -rf ~' }, 'agent'), /characters an upload token never has/);
});

test('cron path over real sshd: install twice, a run while the dashboard is down waits in the spool, the next delivers both, remove leaves nothing', {
  skip,
  timeout: 300_000,
}, async () => {
  assert.ok(sshd && user);
  const uploadToken = await createTokenCli(db, 'upload');
  const readToken = await createTokenCli(db, 'read');
  await verifyScheduledRuns({
    device: { sshConfig: sshd.sshConfig, host: 'pi-timer' },
    dashboard: {
      url: `https://127.0.0.1:${port}`,
      urlForDevice: `https://127.0.0.1:${port}`,
      uploadToken,
      readToken,
      caFile: pki.caCert,
      stop: async () => {
        await serve?.stop();
        serve = undefined;
      },
      start: async () => {
        serve = await startServe(db, port, tlsArgs());
      },
    },
    expectKind: 'cron',
  });
  const crontab = await onDevice({ sshConfig: sshd.sshConfig, host: 'pi-timer' }, 'crontab -l');
  assert.match(crontab.stderr, /no crontab for/, 'the emptied crontab is removed, not left empty');
});

test('ssh --install-timer refuses what cannot work, before connecting: no --upload, --mode sh, a bad interval, an unreadable --ca', {
  skip,
  timeout: 60_000,
}, async () => {
  assert.ok(sshd);
  const base = ['ssh', '--ssh-config', sshd.sshConfig, 'pi-timer'];
  const cases: [string[], RegExp][] = [
    [['--install-timer', 'DAILY'], /needs --upload URL/],
    [['--install-timer', 'weekly', '--upload', 'https://127.0.0.1:1', '--token', 't'], /DAILY or HOURLY/],
    [['--install-timer', 'DAILY', '--upload', 'https://127.0.0.1:1', '--token', 't', '--mode', 'sh'], /needs node >= 18/],
    [['--install-timer', 'DAILY', '--upload', 'https://127.0.0.1:1', '--token', 't', '--ca', join(dir, 'missing.pem')], /--ca .*cannot read it/],
    [['--install-timer', 'DAILY', '--remove-timer'], /one or the other/],
  ];
  for (const [args, message] of cases) {
    const result = await runCli([...base, ...args]);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
    assert.ok(!/\n\s+at /.test(result.stderr), 'no stack trace');
  }
});

test('ssh --upload --ca: the probe of now goes to the HTTPS dashboard; without the CA it is spooled, with the reason', { skip, timeout: 180_000 }, async () => {
  assert.ok(sshd && serve);
  const token = await createTokenCli(db, 'upload');
  const spool = join(dir, 'ssh-spool');
  const base = [
    'ssh',
    '--ssh-config',
    sshd.sshConfig,
    'pi-now',
    '--quick',
    '--format',
    'json',
    '--upload',
    `https://127.0.0.1:${port}`,
    '--token',
    token,
    '--spool',
    spool,
  ];
  const trusted = await runCli([...base, '--ca', pki.caCert], { timeoutMs: 180_000 });
  const summary = JSON.parse(trusted.stdout) as { hosts: { upload?: { status: string; message: string } }[] };
  assert.equal(summary.hosts[0]?.upload?.status, 'delivered', trusted.stdout);
  const untrusted = await runCli([...base, '--ca', pki.otherCaCert], { timeoutMs: 180_000 });
  const refused = JSON.parse(untrusted.stdout) as { hosts: { upload?: { status: string; message: string; spooledTo: string | null } }[] };
  assert.equal(refused.hosts[0]?.upload?.status, 'unreachable', untrusted.stdout);
  assert.match(refused.hosts[0]?.upload?.message ?? '', /certificate is not trusted .*--ca FILE/);
  assert.ok(refused.hosts[0]?.upload?.spooledTo, 'kept in the spool for later');
});
