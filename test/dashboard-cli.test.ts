// `serve`, `serve token` and `upload` on the command line: usage errors exit 2 with a message and no
// stack; the one-file agent uploads (through Node's own fetch) under Node 18, as it would on a device.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AGENT_BUNDLE, fixtureRoot, runCli, runScript } from './helpers/cli.js';
import { createTokenCli, startServe, tokenParts } from './helpers/dashboard.js';
import { executable, NODE18, requireComponent } from './helpers/env.js';
import { sparePort } from './helpers/services.js';

const STACK = /\n\s+at .+:\d+:\d+/;
const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-dashboard-cli-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function usage(args: string[], message: RegExp, env?: NodeJS.ProcessEnv): Promise<void> {
  const result = await runCli(args, env ? { env } : {});
  assert.equal(result.code, 2, `exit 2 for ${args.join(' ')}: ${result.stderr}`);
  assert.match(result.stderr, message);
  assert.doesNotMatch(result.stderr, STACK);
}

test('serve and token usage errors exit 2 with the reason', async () => {
  const db = join(dir, 'usage.sqlite');
  await usage(['serve', '--db', db, '--port', '70000'], /--port must be a whole number from 0 to 65535/);
  await usage(['serve', '--db', db, '--keep', '0'], /--keep must be a whole number/);
  await usage(['serve', '--db', db, '--max-body', 'huge'], /--max-body must be a size/);
  await usage(['serve', 'token', 'create', '--db', db], /--scope is required/);
  await usage(['serve', 'token', 'create', '--db', db, '--scope', 'upload,write'], /unknown token scope "write"/);
  await usage(['serve', 'token', 'revoke', 'abcdef012345', '--db', db], /no active token with id abcdef012345/);
  await usage(
    ['serve', '--db', '/dev/null/dashboard.sqlite'],
    /--db \/dev\/null\/dashboard.sqlite: cannot create the folder \/dev\/null \(a file is in the way\)/,
  );
  const port = await sparePort();
  await usage(['serve', 'token', 'list', '--db', `postgres://edgeprobe:sekrit@127.0.0.1:${port}/none`], /cannot open the PostgreSQL database/);
  const notSecret = await runCli(['serve', 'token', 'list', '--db', `postgres://edgeprobe:sekrit@127.0.0.1:${port}/none`]);
  assert.doesNotMatch(notSecret.stderr, /sekrit/, 'the password is never printed');
  // A port already taken.
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const taken = (blocker.address() as { port: number }).port;
  await usage(['serve', '--db', db, '--port', String(taken)], /cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/);
  blocker.close();
  // Uploads: no token, no URL, a bad URL, unreadable file; run --upload checks before probing.
  const noEnv = { ...process.env, EDGEPROBE_TOKEN: '', EDGEPROBE_DASHBOARD: '', NO_COLOR: '1' };
  await usage(['upload', 'x.json', '--to', 'http://127.0.0.1:1'], /an upload token is needed/, noEnv);
  await usage(['upload', 'x.json', '--to', 'ftp://host', '--token', 't'], /only http:\/\/ and https:\/\//, noEnv);
  await usage(['upload', join(dir, 'missing.json'), '--to', 'http://127.0.0.1:1', '--token', 't'], /cannot read \(ENOENT\)/, noEnv);
  await usage(['upload', '--token', 't'], /name the report files/, noEnv);
  const run = await runCli(['run', '--quick', '--upload', 'http://127.0.0.1:1'], { env: noEnv });
  assert.equal(run.code, 2);
  assert.equal(run.stdout, '', 'failed before probing');
});

test('serve token list and revoke: a revoked token no longer uploads', async () => {
  const db = join(dir, 'tokens.sqlite');
  const token = await createTokenCli(db, 'upload');
  const { id, secret } = tokenParts(token);
  const list = await runCli(['serve', 'token', 'list', '--db', db]);
  assert.equal(list.code, 0);
  assert.match(list.stdout, new RegExp(`^${id}  test upload  upload  devices: any new device, not those of other tokens \\(0 created\\)  created `, 'm'));
  assert.ok(!list.stdout.includes(secret), 'secrets are never listed');
  const serve = await startServe(db, 0, ['--quiet']);
  try {
    const revoke = await runCli(['serve', 'token', 'revoke', id, '--db', db]);
    assert.equal(revoke.code, 0, revoke.stderr);
    const res = await fetch(`${serve.url}/api/v1/reports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 401);
  } finally {
    await serve.stop();
  }
});

const node18 = requireComponent(executable(NODE18), 'Node 18', 'run scripts/install-test-deps.sh');
test('the one-file agent uploads its report under Node 18, as on a device', { skip: node18 }, async () => {
  const db = join(dir, 'agent.sqlite');
  const token = await createTokenCli(db, 'upload,read');
  const serve = await startServe(db, 0, ['--quiet']);
  try {
    const result = await runScript(
      AGENT_BUNDLE,
      [
        'run',
        '--quick',
        '--root',
        fixtureRoot('pi-4b-bookworm-arm64'),
        '--label',
        'agent-pi4',
        '--format',
        'json',
        '--upload',
        serve.url,
        '--token',
        token,
        '--spool',
        join(dir, 'agent-spool'),
      ],
      { command: NODE18, cwd: dir, timeoutMs: 60_000 },
    );
    assert.notEqual(result.code, 2, result.stderr);
    assert.match(result.stderr, /upload: delivered [0-9a-f-]{36} \(stored\) for device "agent-pi4"/);
    const id = (JSON.parse(result.stdout) as { id: string }).id;
    const stored = await fetch(`${serve.url}/api/v1/reports/${id}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(stored.status, 200);
    // And when the dashboard is gone, the agent spools too.
    await serve.stop();
    const down = await runScript(
      AGENT_BUNDLE,
      [
        'run',
        '--quick',
        '--root',
        fixtureRoot('pi-4b-bookworm-arm64'),
        '--label',
        'agent-pi4',
        '--format',
        'json',
        '--upload',
        serve.url,
        '--token',
        token,
        '--spool',
        join(dir, 'agent-spool'),
      ],
      { command: NODE18, cwd: dir, timeoutMs: 60_000 },
    );
    assert.match(down.stderr, /upload: spooled to/);
    const spooledId = (JSON.parse(down.stdout) as { id: string }).id;
    assert.equal((JSON.parse(readFileSync(join(dir, 'agent-spool', `${spooledId}.json`), 'utf8')) as { report: { id: string } }).report.id, spooledId);
  } finally {
    await serve.stop();
  }
});
