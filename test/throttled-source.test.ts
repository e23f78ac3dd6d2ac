// Where the Raspberry Pi firmware's throttling bits come from on a live system: the firmware's sysfs file, else
// `vcgencmd get_throttled`, looked up on PATH first so that a device without it is not forked for nothing.

import assert from 'node:assert/strict';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readThrottled } from '../probes/cpu.js';
import { createContext } from '../src/engine/probe.js';
import { makeTempDir, removeTemp } from '../src/platform/process.js';

const firmwareFile = existsSync('/sys/devices/platform/soc/soc:firmware/get_throttled');

async function withPath<T>(path: string, body: () => Promise<T>): Promise<T> {
  const saved = process.env['PATH'];
  process.env['PATH'] = path;
  try {
    return await body();
  } finally {
    process.env['PATH'] = saved;
  }
}

test('without the firmware file, vcgencmd on PATH answers; without either, there is no reading', {
  skip: firmwareFile ? 'this machine has the firmware file, which is read before vcgencmd' : false,
}, async () => {
  const dir = makeTempDir('vcgencmd');
  const { ctx, dispose } = createContext({ root: '/', quick: true, verbose: false }, new AbortController().signal, new Map(), () => undefined);
  try {
    // A made-up reading (under-voltage now and since boot) from a stand-in vcgencmd.
    writeFileSync(join(dir, 'vcgencmd'), '#!/bin/sh\n[ "$1" = get_throttled ] && echo throttled=0x50005\n');
    chmodSync(join(dir, 'vcgencmd'), 0o755);
    const found = await withPath(`${dir}:/usr/bin:/bin`, () => readThrottled(ctx));
    assert.deepEqual(found, { value: 0x50005, source: 'vcgencmd get_throttled' });
    const none = await withPath(`${join(dir, 'empty')}:/nonexistent`, () => readThrottled(ctx));
    assert.equal(none, null);
  } finally {
    dispose();
    removeTemp(dir);
  }
});
