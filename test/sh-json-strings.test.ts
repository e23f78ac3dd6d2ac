// The POSIX-sh probe's JSON strings: whatever a program prints (newlines, colour codes, quotes, backslashes)
// must come out as a valid JSON string, or the whole report is lost.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { execCommand } from '../src/platform/process.js';
import { REPO_ROOT } from './helpers/cli.js';
import { executable, requireComponent } from './helpers/env.js';

const HELPERS = readFileSync(join(REPO_ROOT, 'probes', 'posix-sh', 'parts', 'helpers.sh'), 'utf8');
const NASTY = 'say "hi"\\ now\nsecond line\tcol\r\u001b[31mred\u001b[0m\u0001end';

for (const [name, shell] of [
  ['dash', ['/usr/bin/dash']],
  ['busybox ash', ['/usr/bin/busybox', 'sh']],
] as const) {
  const skip = requireComponent(executable(shell[0]), name, 'scripts/install-test-deps.sh installs dash and busybox');
  test(`${name}: json_s turns text with quotes, backslashes, newlines and control bytes into a valid JSON string`, { skip }, async () => {
    const script = `${HELPERS}\njson_s "$1"; printf '%s' "$J"\n`;
    const result = await execCommand(shell[0], [...shell.slice(1), '-c', script, 'sh', NASTY], { timeoutMs: 10_000 });
    assert.equal(result.code, 0, result.stderr);
    const parsed: unknown = JSON.parse(result.stdout);
    assert.equal(parsed, 'say "hi"\\ now\nsecond line col [31mred[0mend');
  });
}
