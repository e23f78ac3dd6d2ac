// Profiles: the built-ins load and judge only catalogue metrics; broken profiles are usage errors (exit 2)
// naming the file and the key, from the real CLI.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../src/judge/errors.js';
import { DEFAULT_PROFILE, listProfileNames, loadAllProfiles, loadProfile, parseAllowances } from '../src/judge/profiles.js';
import { INFORMATIONAL_METRICS, METRIC_CATALOGUE, metricSpec } from '../src/report/metrics.js';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/reports.js';

test('the four built-in profiles load, extend each other, and check only catalogue metrics with sources', () => {
  assert.deepEqual(listProfileNames().sort(), ['django-channels', 'django-channels-redis', 'django-wsgi', 'live-stream']);
  assert.equal(DEFAULT_PROFILE, 'django-channels');
  const profiles = loadAllProfiles();
  assert.deepEqual(profiles.find((p) => p.name === 'live-stream')?.chain, ['live-stream', 'django-channels-redis', 'django-channels', 'django-wsgi']);
  for (const profile of profiles) {
    assert.ok(profile.checks.length >= 20, `${profile.name} has its checks`);
    const ids = new Set<string>();
    for (const check of profile.checks) {
      assert.ok(metricSpec(check.metric), `${profile.name}/${check.id}: ${check.metric} is in the catalogue`);
      assert.ok(!ids.has(check.id), `${profile.name}: check id ${check.id} is unique`);
      ids.add(check.id);
      assert.ok(check.sources.length > 0 && check.sources.every((s) => s.length > 10), `${profile.name}/${check.id} names its sources`);
      assert.ok(check.warn !== undefined || check.fail !== undefined || check.dated !== undefined, `${profile.name}/${check.id} has a threshold`);
      assert.ok(check.message.length > 20 && check.advice.length > 5, `${profile.name}/${check.id} explains itself`);
    }
    assert.ok(profile.capacity.workerBytes > 0 && profile.capacity.osBaselineBytes > 0);
  }
});

test('every metric the catalogue marks judged is judged by some built-in profile, and no informational one is', () => {
  const judged = new Set(loadAllProfiles().flatMap((p) => p.checks.map((c) => c.metric)));
  for (const spec of METRIC_CATALOGUE) {
    const informational = INFORMATIONAL_METRICS.includes(spec.id);
    assert.equal(informational, !spec.judged, `${spec.id}: the informational list is computed from the catalogue`);
    assert.ok(
      judged.has(spec.id) === spec.judged,
      `${spec.id}: ${spec.judged ? 'marked judged but no built-in profile judges it' : 'informational yet a built-in profile judges it'}`,
    );
  }
  for (const prefix of ['python.', 'supervision.', 'stack.', 'disk.', 'streaming.']) {
    assert.ok(
      [...judged].some((id) => id.startsWith(prefix)),
      `some check reads ${prefix}*`,
    );
  }
});

test('a custom profile by path extends a built-in, overrides one field of a check, removes another', () => {
  const tmp = tempDir('profile');
  try {
    const file = tmp.write('small.json', {
      name: 'small-channels',
      title: 'Channels on small boards',
      description: 'Looser memory, no streaming checks.',
      extends: 'django-channels',
      remove: ['streaming.node_rate'],
      checks: [{ id: 'memory.total', warn: '400 MiB' }],
    });
    const profile = loadProfile(file);
    assert.equal(profile.builtIn, false);
    assert.deepEqual(profile.chain, ['small-channels', 'django-channels', 'django-wsgi']);
    const memory = profile.checks.find((c) => c.id === 'memory.total');
    assert.equal(memory?.warn, 400 * 1024 * 1024);
    assert.equal(memory?.fail, 320 * 1024 * 1024, 'the fail threshold is inherited');
    assert.equal(memory?.metric, 'memory.effective_total_bytes');
    assert.ok(!profile.checks.some((c) => c.id === 'streaming.node_rate'));
    assert.equal(profile.checks.length, loadProfile('django-channels').checks.length - 1);
  } finally {
    tmp.remove();
  }
});

test('--allow needs one named check and a reason: no blanket override', () => {
  const profile = loadProfile();
  assert.deepEqual([...parseAllowances(['cpu.arch=tested ARMv6 build'], profile)], [['cpu.arch', 'tested ARMv6 build']]);
  assert.throws(
    () => parseAllowances(['cpu.arch'], profile),
    (e: unknown) => e instanceof ConfigError && /a reason is required/.test(e.message),
  );
  assert.throws(() => parseAllowances(['cpu.arch='], profile), /a reason is required/);
  assert.throws(() => parseAllowances(['*=everything'], profile), /no blanket override/);
  assert.throws(() => parseAllowances(['nope=because'], profile), /has no check "nope"/);
});

const broken: Array<{ name: string; content: unknown; expect: RegExp }> = [
  {
    name: 'unknown-metric',
    content: {
      name: 'b',
      title: 't',
      description: 'd',
      extends: 'django-wsgi',
      checks: [{ id: 'x', title: 'x', metric: 'memory.totl_bytes', operator: '>=', fail: 1, message: 'm', advice: 'a', sources: ['s'] }],
    },
    expect: /unknown-metric\.json: checks\[0\]\.metric: unknown metric "memory\.totl_bytes" \(did you mean "memory\.total_bytes"\?\)/,
  },
  {
    name: 'informational-metric',
    content: {
      name: 'b',
      title: 't',
      description: 'd',
      extends: 'django-wsgi',
      checks: [{ id: 'x', title: 'x', metric: 'host.kernel', operator: '==', fail: '6.1', message: 'm', advice: 'a', sources: ['s'] }],
    },
    expect: /informational-metric\.json: checks\[0\]\.metric: host\.kernel is informational/,
  },
  {
    name: 'bad-operator',
    content: { name: 'b', title: 't', description: 'd', extends: 'django-wsgi', checks: [{ id: 'memory.total', operator: '>' }] },
    expect: /bad-operator\.json: checks\[0\]\.operator: unknown operator ">" \(one of >=, <=, ==, in, version>=\)/,
  },
  {
    name: 'wrong-type',
    content: { name: 'b', title: 't', description: 'd', extends: 'django-wsgi', checks: [{ id: 'python.found', fail: 'yes' }] },
    expect: /wrong-type\.json: checks\[0\]\.fail: must be a boolean like python\.found, got string "yes"/,
  },
  {
    name: 'bad-size',
    content: { name: 'b', title: 't', description: 'd', extends: 'django-wsgi', checks: [{ id: 'memory.total', warn: 'lots' }] },
    expect: /bad-size\.json: checks\[0\]\.warn: "lots" is not a size/,
  },
  {
    name: 'unknown-key',
    content: { name: 'b', title: 't', description: 'd', extends: 'django-wsgi', checks: [{ id: 'memory.total', treshold: 3 }] },
    expect: /unknown-key\.json: checks\[0\]\.treshold: unknown key/,
  },
  {
    name: 'incomplete-check',
    content: {
      name: 'b',
      title: 't',
      description: 'd',
      extends: 'django-wsgi',
      checks: [{ id: 'new.check', metric: 'disk.free_bytes', operator: '>=', fail: 1 }],
    },
    expect: /incomplete-check\.json: checks\[0\]\.title: is required \(check "new\.check"\)/,
  },
  {
    name: 'looser-warn',
    content: { name: 'b', title: 't', description: 'd', extends: 'django-wsgi', checks: [{ id: 'memory.total', warn: '100 MiB', fail: '200 MiB' }] },
    expect: /looser-warn\.json: checks\[0\]\.warn: the warn threshold "100 MiB" is looser than the fail threshold "200 MiB"/,
  },
  { name: 'not-json', content: '{ "name": "b", ', expect: /not-json\.json: not valid JSON/ },
  {
    name: 'no-parent',
    content: { name: 'b', title: 't', description: 'd', extends: 'django-nope' },
    expect: /no-parent\.json: extends: unknown profile "django-nope" \(built-in profiles: django-channels, django-channels-redis, /,
  },
];

test('broken profiles exit 2 from the real CLI, naming the file and the key, without a stack trace', async () => {
  const tmp = tempDir('broken-profile');
  try {
    const report = tmp.write('r.json', '');
    void report;
    for (const item of broken) {
      const file = tmp.write(`${item.name}.json`, item.content);
      const result = await runCli(['check', '--hardware', 'pi-3b', '--profile', file]);
      assert.equal(result.code, 2, `${item.name}: exit 2 (stderr: ${result.stderr})`);
      assert.match(result.stderr, item.expect, item.name);
      assert.match(
        result.stderr,
        new RegExp(`^edgeprobe: (profile ${tmp.dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/${item.name}\\.json|unknown profile)`),
        `${item.name}: one line naming the file`,
      );
      assert.doesNotMatch(result.stderr, /\n\s+at /, `${item.name}: no stack trace`);
      assert.equal(result.stdout, '', `${item.name}: nothing judged`);
    }
    // A cycle through extends, and run refusing a broken profile before it probes anything.
    tmp.write('a.json', { name: 'a', title: 't', description: 'd', extends: './b.json' });
    const b = tmp.write('b.json', { name: 'b', title: 't', description: 'd', extends: './a.json' });
    const cycle = await runCli(['check', '--hardware', 'pi-3b', '--profile', b]);
    assert.equal(cycle.code, 2);
    assert.match(cycle.stderr, /a\.json: extends: "\.\/b\.json" leads to a cycle \(.*b\.json -> .*a\.json -> .*b\.json\)/);
    const run = await runCli(['run', '--quick', '--profile', join(tmp.dir, 'bad-operator.json')]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /checks\[0\]\.operator: unknown operator/);
    assert.equal(run.stdout, '');
    const unknown = await runCli(['check', '--hardware', 'pi-3b', '--profile', 'no-such-profile']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown profile "no-such-profile"/);
  } finally {
    tmp.remove();
  }
});
