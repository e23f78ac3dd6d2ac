// The output formats of check and run, from the real CLI: junit parsed by a real XML parser with counts
// matching the checks, prometheus accepted by promtool, json valid as a report, text and markdown.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { loadProfile } from '../src/judge/profiles.js';
import { loadHardware as loadHardwareId } from '../src/judge/spec-sheets.js';
import { judge, type Verdict } from '../src/judge/verdict.js';
import { styleFor } from '../src/render/style.js';
import { renderVerdictText } from '../src/render/verdict-text.js';
import type { Report } from '../src/report/types.js';
import { validateReport } from '../src/report/validate.js';
import { CLI, jsonOf, runCli, runScript } from './helpers/cli.js';
import { HEALTHY_SOFTWARE, recordedReport, tempDir, withMetrics } from './helpers/reports.js';

interface Scenario {
  file: string;
  verdict: Verdict;
}

/**
 * Three reports, recorded Pi 3 B trees with made-up software figures (HEALTHY_SOFTWARE): one with a warning, one
 * whose Python lacks ssl (not viable), one with Python unmeasured (unknown).
 */
async function scenarios(tmp: ReturnType<typeof tempDir>): Promise<Scenario[]> {
  const pi3 = await recordedReport('pi-3b-bullseye-armhf');
  const warned = withMetrics(pi3, { ...HEALTHY_SOFTWARE, 'cpu.throttled_since_boot': true });
  warned.host.label = 'kitchen "pi"\\ 3\nB';
  const zero = withMetrics(pi3, { ...HEALTHY_SOFTWARE, 'python.ssl_available': false });
  const unknown = withMetrics(pi3, { ...HEALTHY_SOFTWARE, 'python.version': null });
  const profile = loadProfile('django-channels');
  return [
    { file: tmp.write('warned.json', warned), verdict: judge(warned, profile) },
    { file: tmp.write('zero.json', zero), verdict: judge(zero, profile) },
    { file: tmp.write('unknown.json', unknown), verdict: judge(unknown, profile) },
  ];
}

type Xml = Record<string, unknown>;
const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

test('junit: well-formed XML whose counts match the checks, one testcase per check, failures with their message (recorded Pi 3 B, made-up software figures)', async () => {
  const tmp = tempDir('junit');
  try {
    const items = await scenarios(tmp);
    for (const strict of [false, true]) {
      const args = ['check', ...items.map((i) => i.file), '--hardware', 'pi-zero-2w', '--format', 'junit', ...(strict ? ['--strict'] : [])];
      const result = await runCli(args);
      assert.equal(result.code, 1, 'one report is not viable');
      assert.equal(XMLValidator.validate(result.stdout), true, 'well-formed XML');
      const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', parseAttributeValue: false }).parse(result.stdout) as Xml;
      const root = doc['testsuites'] as Xml;
      const suites = asArray(root['testsuite'] as Xml | Xml[]);
      assert.equal(suites.length, 4);
      const verdicts = [...items.map((i) => i.verdict), judge(loadHardwareId('pi-zero-2w'), loadProfile('django-channels'))];
      let totals = { tests: 0, failures: 0, errors: 0, skipped: 0 };
      suites.forEach((suite, i) => {
        const verdict = verdicts[i] as Verdict;
        const cases = asArray(suite['testcase'] as Xml | Xml[]);
        const counted = verdict.checks.filter((c) => c.allowed === undefined);
        const expected = {
          tests: verdict.checks.length + verdict.notJudged.length,
          failures: counted.filter((c) => c.status === 'fail' || (strict && c.status === 'warn')).length,
          errors: counted.filter((c) => c.status === 'unknown' && c.canFail).length,
          skipped: counted.filter((c) => c.status === 'unknown' && !c.canFail).length + verdict.counts.allowed + verdict.notJudged.length,
        };
        assert.equal(cases.length, expected.tests, `suite ${i}: one testcase per check`);
        for (const key of ['tests', 'failures', 'errors', 'skipped'] as const) {
          assert.equal(Number(suite[key]), expected[key], `suite ${i} ${key} attribute`);
          totals = { ...totals, [key]: totals[key] + expected[key] };
        }
        assert.equal(cases.filter((c) => c['failure'] !== undefined).length, expected.failures, `suite ${i}: <failure> elements`);
        assert.equal(cases.filter((c) => c['error'] !== undefined).length, expected.errors, `suite ${i}: <error> elements`);
        assert.equal(cases.filter((c) => c['skipped'] !== undefined).length, expected.skipped, `suite ${i}: <skipped> elements`);
        for (const check of verdict.checks.filter((c) => c.status === 'fail')) {
          const testcase = cases.find((c) => String(c['name']).startsWith(`${check.id}:`));
          assert.equal((testcase?.['failure'] as Xml | undefined)?.['message'], check.message, 'the failure carries the check message');
        }
        const verdictProperty = asArray((suite['properties'] as Xml)['property'] as Xml | Xml[]).find((p) => p['name'] === 'verdict');
        assert.equal(verdictProperty?.['value'], verdict.verdict);
      });
      for (const key of ['tests', 'failures', 'errors', 'skipped'] as const) assert.equal(Number(root[key]), totals[key], `testsuites ${key}`);
      assert.match(String(suites[0]?.['name']), /^kitchen "pi"\\ 3\nB \(raspberrypi\) \/ django-channels$/, 'names survive escaping');
    }
  } finally {
    tmp.remove();
  }
});

function promtool(text: string): { status: number | null; output: string } {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20_000 });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

test('prometheus: promtool accepts the output of run, check and spec sheets; --output is written atomically (recorded Pi 3 B, made-up software figures)', async () => {
  const tmp = tempDir('prometheus');
  try {
    const items = await scenarios(tmp);
    const checked = await runCli(['check', ...items.map((i) => i.file), '--hardware', 'pico,pi-4b', '--format', 'prometheus']);
    assert.equal(checked.code, 1);
    const lint = promtool(checked.stdout);
    assert.equal(lint.status, 0, lint.output);
    assert.equal(lint.output.trim(), '', 'no lint warnings either');
    assert.match(
      checked.stdout,
      /^edgeprobe_verdict\{host="raspberrypi",basis="report",label="kitchen \\"pi\\"\\\\ 3\\nB",profile="django-channels",verdict="viable-with-warnings"\} 1$/m,
    );
    assert.match(checked.stdout, /^edgeprobe_verdict\{host="pico",basis="spec-sheet",profile="django-channels",verdict="not-viable"\} 1$/m);
    assert.match(checked.stdout, /^edgeprobe_memory_total_bytes\{host="pi-4b-4gb",basis="spec-sheet"\} \d+$/m);
    assert.match(checked.stdout, /^edgeprobe_capacity_workers\{host="pico",basis="spec-sheet",profile="django-channels",server="asgi"\} 0$/m);
    assert.match(checked.stdout, /^edgeprobe_disk_fsync_p99_seconds\{.*\} 0\.0125$/m, 'milliseconds become seconds');
    assert.doesNotMatch(checked.stdout, /edgeprobe_python_version/, 'strings are labels, not samples');
    // One family per metric name, however many subjects.
    const types = checked.stdout.split('\n').filter((l) => l.startsWith('# TYPE '));
    assert.equal(new Set(types).size, types.length);
    const out = join(tmp.dir, 'textfile', 'edgeprobe.prom');
    spawnSync('mkdir', ['-p', join(tmp.dir, 'textfile')]);
    const written = await runCli(['run', '--quick', '--format', 'prometheus', '--output', out]);
    assert.equal(written.stdout, '');
    assert.deepEqual(readdirSync(join(tmp.dir, 'textfile')), ['edgeprobe.prom'], 'no temp file left beside it');
    const lintRun = promtool(readFileSync(out, 'utf8'));
    assert.equal(lintRun.status, 0, lintRun.output);
    assert.match(readFileSync(out, 'utf8'), /^edgeprobe_report_timestamp_seconds\{/m);
  } finally {
    tmp.remove();
  }
});

test('json: one report comes back with its verdict and stays a valid report; several come back as a list (recorded Pi 3 B, made-up software figures)', async () => {
  const tmp = tempDir('json');
  try {
    const items = await scenarios(tmp);
    const one = await runCli(['check', items[1]?.file ?? '', '--format', 'json']);
    assert.equal(one.code, 1);
    const output = jsonOf(one);
    assert.ok(validateReport(output).ok, 'the verdict key is allowed by the report schema');
    const verdict = output['verdict'] as Verdict;
    assert.equal(verdict.verdict, 'not-viable');
    assert.equal(verdict.schema, 'edgeprobe.verdict/v1');
    assert.equal(verdict.checks.length, loadProfile().checks.length + 1, 'every profile check and the platform gate');
    for (const check of verdict.checks) {
      for (const key of ['id', 'metric', 'operator', 'expected', 'actual', 'status', 'message', 'advice'] as const)
        assert.ok(key in check, `${check.id} has ${key}`);
    }
    const many = await runCli(['check', ...items.map((i) => i.file), '--hardware', 'pi-3b', '--format', 'json']);
    const list = JSON.parse(many.stdout) as Array<Record<string, unknown>>;
    assert.equal(list.length, 4);
    const fourth = list[3];
    assert.ok(fourth, 'a fourth verdict is in the list');
    assert.equal((fourth['hardware'] as { id: string }).id, 'pi-3b');
    assert.equal((fourth['verdict'] as Verdict).basis, 'spec-sheet');
  } finally {
    tmp.remove();
  }
});

test('check exit codes: 0 viable-with-warnings, 1 with --strict or not viable, 3 unknown, 2 for a bad report; --allow changes it (recorded Pi 3 B, made-up software figures)', async () => {
  const tmp = tempDir('exit');
  try {
    const [warned, zero, unknown] = await scenarios(tmp);
    const code = async (args: string[]): Promise<number | null> => (await runCli(['check', ...args])).code;
    assert.equal(await code([warned?.file ?? '']), 0);
    assert.equal(await code([warned?.file ?? '', '--strict']), 1);
    assert.equal(await code([zero?.file ?? '']), 1);
    assert.equal(await code([unknown?.file ?? '']), 3);
    assert.equal(await code([warned?.file ?? '', unknown?.file ?? '']), 3, 'the worst of several');
    assert.equal(await code([zero?.file ?? '', '--allow', 'python.ssl=no outgoing TLS, pip runs elsewhere']), 0);
    const noReason = await runCli(['check', zero?.file ?? '', '--allow', 'python.ssl']);
    assert.equal(noReason.code, 2);
    assert.match(noReason.stderr, /--allow python\.ssl: a reason is required/);
    const bad = tmp.write('bad.json', { schema: 'edgeprobe.report/v1', id: 'x' });
    const invalid = await runCli(['check', bad]);
    assert.equal(invalid.code, 2);
    assert.match(invalid.stderr, /bad\.json: not a valid edgeprobe report: /);
    assert.equal(invalid.stdout, '');
    const none = await runCli(['check']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /give one or more report files/);
    const piped = await runCli(['check', '-', '--format', 'json'], { input: readFileSync(warned?.file ?? '', 'utf8') });
    assert.equal(piped.code, 0);
    assert.equal((jsonOf(piped)['verdict'] as Verdict).verdict, 'viable-with-warnings');
  } finally {
    tmp.remove();
  }
});

test('text and markdown: the answer, every check, the capacity and its assumptions; colour only on a terminal without NO_COLOR (recorded Pi 3 B, made-up software figures)', async () => {
  const tmp = tempDir('text');
  try {
    const [warned] = await scenarios(tmp);
    const text = await runCli(['check', warned?.file ?? '']);
    assert.match(text.stdout, /under django-channels: VIABLE WITH WARNINGS/);
    assert.match(text.stdout, /WARN {4}cpu\.throttled_since_boot +Throttled since boot: true, expected false/);
    assert.match(
      text.stdout,
      /ASGI workers: 1 \(memory allows \d+, CPU allows 4, the in-memory channel layer allows 1; bound by the in-memory channel layer\)/,
    );
    assert.match(
      text.stdout,
      /working \(measured, assumed with its source, derived\):\n {4}- measured: memory: [\d.]+ MiB available \(memory\.effective_available_bytes\)/,
    );
    assert.doesNotMatch(text.stdout, /\u001b\[/, 'no colour when stdout is not a terminal');
    const md = await runCli(['check', warned?.file ?? '', '--format', 'markdown']);
    assert.match(md.stdout, /^## kitchen "pi"\\\\ 3 B \(raspberrypi\): \*\*viable-with-warnings\*\* under `django-channels`/m);
    assert.equal(
      md.stdout.split('\n').filter((l) => /^\| (✅|⚠️|❌|❔|➖) /.test(l)).length,
      loadProfile().checks.length + 1,
      'one table row per check and the platform gate',
    );
    assert.match(md.stdout, /### Capacity estimate/);
    const verdict = judge(JSON.parse(readFileSync(warned?.file ?? '', 'utf8')) as Report, loadProfile());
    assert.match(renderVerdictText(verdict, styleFor({ isTTY: true }, { TERM: 'xterm' })), /\u001b\[33m/, 'colour on a terminal');
    assert.doesNotMatch(renderVerdictText(verdict, styleFor({ isTTY: true }, { TERM: 'xterm', NO_COLOR: '1' })), /\u001b\[/, 'NO_COLOR respected');
  } finally {
    tmp.remove();
  }
});

test('every format shows the unknowns beside the verdict: text, json, junit, markdown, prometheus (recorded Pi 3 B, made-up software figures, stack not measured)', async () => {
  const tmp = tempDir('unknowns');
  try {
    const blind = withMetrics(await recordedReport('pi-3b-bullseye-armhf'), {
      ...HEALTHY_SOFTWARE,
      'stack.reverse_proxy': null,
      'stack.reverse_proxy_running': null,
      'stack.cron_available': null,
    });
    const file = tmp.write('blind.json', blind);
    const text = await runCli(['check', file]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /under django-channels: VIABLE, 3 checks unknown\n/);
    const json = jsonOf(await runCli(['check', file, '--format', 'json']))['verdict'] as Verdict;
    assert.equal(json.headline, 'viable, 3 checks unknown');
    assert.equal(json.counts.unknownWarnLevel, 3);
    const md = await runCli(['check', file, '--format', 'markdown']);
    assert.match(md.stdout, /^## .*: \*\*viable\*\*, 3 checks unknown under `django-channels`$/m);
    const junit = await runCli(['check', file, '--format', 'junit']);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(junit.stdout) as Xml;
    const suite = (doc['testsuites'] as Xml)['testsuite'] as Xml;
    const properties = asArray((suite['properties'] as Xml)['property'] as Xml | Xml[]);
    const prop = (name: string): unknown => properties.find((p) => p['name'] === name)?.['value'];
    assert.equal(prop('headline'), 'viable, 3 checks unknown');
    assert.equal(prop('unknown_warn_level_checks'), '3');
    assert.match(String(suite['system-out']), /^viable, 3 checks unknown: /);
    const prom = await runCli(['check', file, '--format', 'prometheus']);
    assert.match(prom.stdout, /^edgeprobe_unknown_checks\{host="raspberrypi",basis="report",profile="django-channels",could_be="warn"\} 3$/m);
    assert.match(prom.stdout, /^edgeprobe_unknown_checks\{host="raspberrypi",basis="report",profile="django-channels",could_be="fail"\} 0$/m);
    const lint = promtool(prom.stdout);
    assert.equal(lint.status, 0, lint.output);
  } finally {
    tmp.remove();
  }
});

test('on a real terminal (a pty from script(1)) the text is coloured, and NO_COLOR turns it off', async () => {
  const command = `${process.execPath} ${CLI} check --hardware pico`;
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm' };
  delete env['NO_COLOR'];
  const coloured = await runScript('-qec', [command, '/dev/null'], { command: '/usr/bin/script', env });
  assert.equal(coloured.code, 1, coloured.stderr);
  assert.match(coloured.stdout, /\u001b\[31m\u001b\[1mNOT VIABLE/, 'not viable in red');
  const plain = await runScript('-qec', [command, '/dev/null'], { command: '/usr/bin/script', env: { ...env, NO_COLOR: '1' } });
  assert.equal(plain.code, 1);
  assert.match(plain.stdout, /NOT VIABLE/);
  assert.doesNotMatch(plain.stdout, /\u001b\[/);
});
