// The POSIX-sh bootstrap `edgeprobe ssh` runs on a device, run here with sh -c as sshd would, against fake
// node programs that answer `node -v` like a real one.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BOOTSTRAP, QUICK_NODE_FLAGS, splitOutput } from '../src/remote/ssh.js';
import { AGENT_BUNDLE } from './helpers/cli.js';

/** Both names the bootstrap looks for, so that the machine's own node (also in /usr/bin) is never reached. */
function fakeNode(dir: string, body: string): void {
  for (const name of ['node', 'nodejs']) {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
}

function bootstrap(dir: string, flags: readonly string[], runArgs: readonly string[]): { stdout: string; stderr: string } {
  const result = spawnSync('/bin/sh', ['-c', BOOTSTRAP, 'edgeprobe', 'auto', flags.join(' '), ...runArgs], {
    input: readFileSync(AGENT_BUNDLE),
    encoding: 'utf8',
    env: { PATH: `${dir}:/usr/bin:/bin` },
    timeout: 60_000,
  });
  return { stdout: result.stdout, stderr: result.stderr };
}

test("a node that rejects the quick run's V8 options is started again without them, and the agent still reports", () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-test-bootstrap-'));
  try {
    // Like a later Node that dropped a V8 flag: "bad option" and exit 9 before reading stdin.
    fakeNode(
      dir,
      `case "$1" in -v) echo v99.0.0 ;; ${QUICK_NODE_FLAGS[0]}) echo "node: bad option: $1" >&2; exit 9 ;; *) exec ${process.execPath} "$@" ;; esac`,
    );
    const { stdout, stderr } = bootstrap(dir, QUICK_NODE_FLAGS, ['run', '--only', 'host', '--format', 'json']);
    const { mode, body, exit } = splitOutput(stdout);
    assert.equal(mode, 'node v99.0.0');
    assert.match(stderr, /bad option/);
    assert.equal((JSON.parse(body) as { schema: string }).schema, 'edgeprobe.report/v1');
    assert.ok(exit !== null && exit !== 9, `the agent's own exit status, not node's refusal: ${String(exit)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('node 18 and later are taken from `node -v` alone; an older or unparsable one is not', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeprobe-test-bootstrap-'));
  try {
    for (const [version, expected] of [
      ['v18.0.0', 'node v18.0.0'],
      ['v22.11.0', 'node v22.11.0'],
      ['v100.1.0', 'node v100.1.0'],
      ['v16.20.2', 'sh'],
      ['v8.17.0', 'sh'],
      ['garbage', 'sh'],
    ] as const) {
      // Only `-v` answers: a bootstrap that started this node for anything else would get no report.
      fakeNode(dir, `case "$1" in -v) echo ${version} ;; -) cat >/dev/null; echo '{}' ;; *) exit 1 ;; esac`);
      const { stdout } = bootstrap(dir, [], ['run', '--only', 'host']);
      assert.equal(splitOutput(stdout).mode, expected, version);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
