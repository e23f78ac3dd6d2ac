// The one-file agent: runs under Node 18 from an empty directory, from a file and streamed on stdin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateReport } from '../src/report/validate.js';
import { AGENT_BUNDLE, jsonOf, runScript } from './helpers/cli.js';
import { djangoServersPresent } from './helpers/django.js';
import { executable, NODE18, requireComponent } from './helpers/env.js';
import { assertExitFromVerdict } from './helpers/verdict-exit.js';

const skip = requireComponent(executable(NODE18), 'Node 18', 'run scripts/install-test-deps.sh');

test('the bundle is one file that needs nothing beside it', () => {
  const source = readFileSync(AGENT_BUNDLE, 'utf8');
  assert.doesNotMatch(source, /require\("(ws|commander|undici|ajv)"\)/, 'dependencies are inlined (systeminformation, needed only off Linux, stays out)');
  assert.ok(statSync(AGENT_BUNDLE).size < 1024 * 1024, 'under 1 MiB');
});

test('under Node 18, from an empty directory, the bundle produces a schema-valid report', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-bundle-test-'));
  try {
    const agent = join(dir, 'edgeprobe-agent.js');
    copyFileSync(AGENT_BUNDLE, agent);
    const result = await runScript(agent, ['run', '--format', 'json', '--duration', '3', '--django-duration', '4'], { command: NODE18, cwd: dir, timeoutMs: 150_000 });
    const report = jsonOf(result);
    assertExitFromVerdict(result, report);
    const check = validateReport(report);
    assert.ok(check.ok, check.ok ? '' : check.errors.join('; '));
    assert.match(String((report['agent'] as Record<string, unknown>)['node']), /^18\./);
    const metrics = report['metrics'] as Record<string, unknown>;
    assert.equal(typeof metrics['memory.effective_total_bytes'], 'number');
    assert.ok((metrics['cpu.single_thread_score'] as number) > 0, 'the benchmark ran in worker threads under Node 18');
    if (djangoServersPresent()) assert.equal(typeof metrics['django.wsgi_requests_per_second'], 'number', 'the django probe drove gunicorn with node:http under Node 18');
    assert.deepEqual(readdirSync(dir), ['edgeprobe-agent.js'], 'nothing written beside the agent');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('streamed on stdin as `node - run`, as over SSH: nothing on disk, same report', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-bundle-test-'));
  try {
    const result = await runScript('-', ['run', '--quick', '--format', 'json'], {
      command: NODE18, cwd: dir, input: readFileSync(AGENT_BUNDLE, 'utf8'), timeoutMs: 60_000,
    });
    const report = jsonOf(result);
    assertExitFromVerdict(result, report);
    assert.ok(validateReport(report).ok);
    assert.equal((report['options'] as Record<string, unknown>)['quick'], true);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the bundle answers --help and rejects a bad flag with exit 2 and no stack trace', { skip }, async () => {
  const help = await runScript(AGENT_BUNDLE, ['run', '--help'], { command: NODE18 });
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--root <dir>/);
  const bad = await runScript(AGENT_BUNDLE, ['run', '--format', 'yaml'], { command: NODE18 });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /argument 'yaml' is invalid/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /);
});
