// --keep-connections: where the shared connections' sockets live and what ssh is told; bad values are usage errors.

import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { UsageError } from '../src/platform/errors.js';
import { makeTempDir, removeTemp } from '../src/platform/process.js';
import { connectionSharingOptions, controlDirectory, parseKeepConnections } from '../src/remote/connection-sharing.js';

test('--keep-connections takes whole seconds from 1 to 3600', () => {
  assert.equal(parseKeepConnections('60'), 60);
  assert.equal(parseKeepConnections('3600'), 3600);
  for (const bad of ['0', '-5', '1.5', '3601', 'soon', ''])
    assert.throws(
      () => parseKeepConnections(bad),
      (err: unknown) => err instanceof UsageError && /from 1 to 3600/.test(err.message),
      bad,
    );
});

test("the sockets live in the login session's runtime folder, else under ~/.cache", () => {
  assert.equal(controlDirectory({ XDG_RUNTIME_DIR: '/run/user/1000', HOME: '/home/pi' }), '/run/user/1000/edgeprobe-ssh');
  assert.equal(controlDirectory({ HOME: '/home/pi' }), '/home/pi/.cache/edgeprobe/ssh');
  assert.equal(controlDirectory({ XDG_RUNTIME_DIR: 'relative', HOME: '/home/pi' }), '/home/pi/.cache/edgeprobe/ssh');
});

/** Runs body with a fresh folder (a short path: the sockets' folder has a length limit), removed after. */
function inTempFolder(body: (work: string) => void): void {
  const work = makeTempDir('cs');
  try {
    body(work);
  } finally {
    removeTemp(work);
  }
}

test('the folder is made private (0700), a looser one is tightened, and ssh is told to share through it', () => {
  inTempFolder((work) => {
    const fresh = join(work, 'fresh');
    assert.deepEqual(connectionSharingOptions(45, fresh), ['ControlMaster=auto', `ControlPath=${fresh}/%C`, 'ControlPersist=45']);
    assert.equal(statSync(fresh).mode & 0o777, 0o700);
    const loose = join(work, 'loose');
    mkdirSync(loose);
    chmodSync(loose, 0o755);
    connectionSharingOptions(10, loose);
    assert.equal(statSync(loose).mode & 0o777, 0o700, 'other users may not reach the sockets');
  });
});

test("a folder with blanks or % reaches ssh quoted and escaped, as ssh's ControlPath reads it", () => {
  inTempFolder((work) => {
    const odd = join(work, 'a b%c');
    assert.deepEqual(connectionSharingOptions(5, odd).slice(1, 2), [`ControlPath="${work}/a b%%c/%C"`]);
    assert.throws(() => connectionSharingOptions(5, join(work, 'q"')), /double quote/);
  });
});

test('a folder that is a file, a link, or too long for a socket path is refused with the reason', () => {
  inTempFolder((work) => {
    const file = join(work, 'file');
    writeFileSync(file, '');
    assert.throws(() => connectionSharingOptions(10, file), /cannot make the sockets' folder .*file \(EEXIST\)/);
    const link = join(work, 'link');
    symlinkSync(work, link);
    assert.throws(() => connectionSharingOptions(10, link), /link is not a folder/);
    const long = join(work, 'x'.repeat(60));
    assert.throws(() => connectionSharingOptions(10, long), /too long for a socket path .*set XDG_RUNTIME_DIR/);
  });
});
