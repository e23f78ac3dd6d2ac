// HTTPS end to end with a CA made at test time (openssl): `serve --tls-cert/--tls-key` answers with HSTS and sets
// a Secure session cookie; `upload`, `run --upload` and the one-file agent under Node 18 deliver with --ca and
// spool (with the reason) without it; plain HTTP beyond loopback is refused unless --insecure-http, which warns.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Agent, fetch } from 'undici';
import { execCommand } from '../src/platform/process.js';
import { AGENT_BUNDLE, CLI, fixtureRoot, runCli, runScript } from './helpers/cli.js';
import { createTokenCli, type ServeProcess, startServe } from './helpers/dashboard.js';
import { makeReport } from './helpers/dashboard-reports.js';
import { executable, NODE18, requireComponent } from './helpers/env.js';
import { makeTestPki, opensslAvailable, type TestPki } from './helpers/tls.js';

const skip = requireComponent(opensslAvailable(), 'openssl', 'apt-get install openssl');
const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-tls-'));
const db = join(dir, 'dashboard.sqlite');
let pki: TestPki;
let serve: ServeProcess | undefined;
let uploadToken = '';
let readToken = '';

before(async () => {
  if (skip) return;
  pki = makeTestPki(dir);
  uploadToken = await createTokenCli(db, 'upload');
  readToken = await createTokenCli(db, 'read');
  serve = await startServe(db, 0, ['--quiet', '--tls-cert', pki.serverCert, '--tls-key', pki.serverKey]);
});

after(async () => {
  await serve?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function trusting(ca: string): Agent {
  return new Agent({ connect: { ca: readFileSync(ca, 'utf8') } });
}

async function devicesNamed(name: string): Promise<number> {
  const url = serve?.url ?? '';
  const answer = await fetch(`${url}/api/v1/devices?q=${encodeURIComponent(name)}`, {
    headers: { authorization: `Bearer ${readToken}` },
    dispatcher: trusting(pki.caCert),
  });
  return ((await answer.json()) as { total: number }).total;
}

test('serve over HTTPS: HSTS on every answer, a Secure session cookie, and nothing over plain HTTP', { skip }, async () => {
  assert.ok(serve);
  assert.match(serve.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const health = await fetch(`${serve.url}/api/v1/health`, { dispatcher: trusting(pki.caCert) });
  assert.equal(health.status, 200);
  assert.equal(health.headers.get('strict-transport-security'), 'max-age=15552000');
  const login = await fetch(`${serve.url}/login`, {
    method: 'POST',
    dispatcher: trusting(pki.caCert),
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: readToken, next: '/\t/evil.example/x' }).toString(),
  });
  assert.equal(login.status, 303);
  assert.equal(login.headers.get('location'), '/', 'the tab bypass of the sign-in redirect is refused');
  assert.match(login.headers.get('set-cookie') ?? '', /; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
  await assert.rejects(fetch(`${serve.url}/api/v1/health`, { dispatcher: trusting(pki.otherCaCert) }), 'another CA is not trusted');
  await assert.rejects(fetch(`${serve.url.replace('https:', 'http:')}/api/v1/health`), 'plain HTTP gets no answer from the TLS port');
});

test('upload --ca delivers to the HTTPS dashboard; without it the report is spooled with the reason, and --flush --ca sends it', {
  skip,
  timeout: 60_000,
}, async () => {
  assert.ok(serve);
  const file = join(dir, 'report.json');
  writeFileSync(file, JSON.stringify(makeReport({ label: 'tls-upload' })));
  const spool = join(dir, 'spool');
  const base = ['upload', file, '--to', serve.url, '--token', uploadToken, '--spool', spool, '--retries', '0'];
  const untrusted = await runCli(base);
  assert.equal(untrusted.code, 3, untrusted.stdout + untrusted.stderr);
  assert.match(
    untrusted.stdout,
    /certificate is not trusted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\); for a private CA pass --ca FILE/,
  );
  assert.match(untrusted.stdout, /spooled to /);
  const wrongCa = await runCli([...base, '--ca', pki.otherCaCert]);
  assert.equal(wrongCa.code, 3, wrongCa.stdout);
  assert.equal(await devicesNamed('tls-upload'), 0);
  const flushed = await runCli(['upload', '--flush', '--token', uploadToken, '--spool', spool, '--ca', pki.caCert]);
  assert.equal(flushed.code, 0, flushed.stdout + flushed.stderr);
  assert.match(flushed.stdout, /flush: 1 delivered, 0 set aside, 0 waiting/);
  assert.equal(await devicesNamed('tls-upload'), 1);
  for (const [args, message] of [
    [['--ca', join(dir, 'nope.pem')], /--ca .*nope\.pem: cannot read it \(ENOENT\)/],
    [['--ca', pki.serverKey], /no PEM certificate in it/],
  ] as const) {
    const bad = await runCli([...base, ...args]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, message);
  }
});

/** `run --quick` on a recorded tree, uploading over HTTPS to url with the CA ca and a spool of its own. */
function uploadingRunArgs(url: string, tree: string, label: string, ca: string, spool: string, only: string[] = []): string[] {
  return [
    'run',
    '--quick',
    ...only,
    '--root',
    fixtureRoot(tree),
    '--label',
    label,
    '--format',
    'json',
    '--upload',
    url,
    '--token',
    uploadToken,
    '--ca',
    ca,
    '--spool',
    join(dir, spool),
  ];
}

test('run --upload --ca, and the one-file agent under Node 18 with --ca, deliver to the HTTPS dashboard', { skip, timeout: 120_000 }, async () => {
  assert.ok(serve);
  const run = await runCli(uploadingRunArgs(serve.url, 'pi-3b-bullseye-armhf', 'tls-run', pki.caCert, 'run-spool'));
  assert.match(run.stderr, /upload: delivered .* \(stored\) for device "tls-run"/, run.stderr);
  assert.equal(await devicesNamed('tls-run'), 1);
  const node18 = requireComponent(executable(NODE18), 'Node 18', 'scripts/install-test-deps.sh');
  const node = node18 === false ? NODE18 : process.execPath;
  const agent = await runScript(AGENT_BUNDLE, uploadingRunArgs(serve.url, 'pi-zero-w-revision-only', 'tls-agent', pki.caCert, 'agent-spool'), {
    command: node,
    timeoutMs: 90_000,
  });
  assert.match(agent.stderr, /upload: delivered .* \(stored\) for device "tls-agent"/, agent.stderr);
  const refused = await runScript(
    AGENT_BUNDLE,
    uploadingRunArgs(serve.url, 'pi-zero-w-revision-only', 'tls-agent', pki.otherCaCert, 'agent-spool', ['--only', 'memory']),
    { command: node, timeoutMs: 90_000 },
  );
  assert.match(refused.stderr, /certificate is not trusted/, refused.stderr);
  assert.equal(await devicesNamed('tls-agent'), 1);
});

test('serve refuses a half or mismatched certificate, and plain HTTP beyond loopback unless --insecure-http (which warns)', {
  skip,
  timeout: 60_000,
}, async () => {
  const cases: [string[], RegExp][] = [
    [['--tls-cert', pki.serverCert], /needs both --tls-cert FILE and --tls-key FILE/],
    [['--tls-cert', pki.serverCert, '--tls-key', join(dir, 'ca.key')], /not a usable certificate and key/],
    [['--tls-cert', join(dir, 'missing.pem'), '--tls-key', pki.serverKey], /--tls-cert .*cannot read it/],
    [['--host', '0.0.0.0'], /reachable from the network, and plain HTTP would carry tokens in clear text/],
    [['--trust-proxy', 'proxy.lan'], /--trust-proxy proxy\.lan: give the proxy's IP address/],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(['serve', '--db', join(dir, 'refused.sqlite'), '--port', '0', ...args]);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
});

const netnsSkip = requireComponent(
  process.getuid?.() === 0 && executable('/usr/bin/unshare') && executable('/usr/sbin/ip'),
  'root, unshare and ip',
  'run as root with util-linux and iproute2',
);

test('--insecure-http on 0.0.0.0 listens (in a network namespace of its own) and warns', { skip: skip || netnsSkip, timeout: 60_000 }, async () => {
  // A fresh network namespace holds only its loopback: 0.0.0.0 there reaches nothing else.
  const script = `ip link set lo up && exec "${process.execPath}" "${CLI}" serve --db "${join(dir, 'open.sqlite')}" --host 0.0.0.0 --port 0 --insecure-http --quiet`;
  // Stopped once it says it listens (or has exited), however long a loaded machine takes to start it: at most 40 s.
  const out = join(dir, 'open.out');
  const untilListening = `i=0; while ! grep -q 'listening on' "${out}" && kill -0 $pid 2>/dev/null && [ $i -lt 400 ]; do sleep 0.1; i=$((i + 1)); done`;
  const result = await execCommand('unshare', ['--net', 'sh', '-c', `(${script}) >"${out}" & pid=$!; ${untilListening}; kill $pid; wait $pid; cat "${out}"`], {
    timeoutMs: 50_000,
  });
  assert.match(result.stderr, /WARNING: --insecure-http: serving plain HTTP on 0\.0\.0\.0; tokens and session cookies cross the network in clear text/);
  assert.match(result.stdout, /listening on http:\/\/0\.0\.0\.0:\d+/);
});
