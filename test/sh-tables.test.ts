// One hand-written copy of every table: the POSIX-sh probe and its Python helpers get the metric ids and the
// lookup tables of src/facts/ from their assembler (probes/posix-sh/assemble.ts). These tests fail when a
// source keeps a copy of its own, when dist/edgeprobe-probe.sh is stale, and when the sh lookups decode
// anything differently from the TypeScript (Raspberry Pi revisions, ARM parts, DMI placeholders).

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { cpuModelFromCpuinfo } from '../probes/lib/parsers/cpuinfo.js';
import { decodePiRevision } from '../probes/lib/parsers/pi-revision.js';
import { SH_PROBE_PARTS, shProbePart, shProbePayload, shProbeVariables } from '../probes/posix-sh/assemble.js';
import { ARM_IMPLEMENTER, ARM_PARTS } from '../src/facts/arm-parts.js';
import { CURRENT_DJANGO_LTS, DJANGO_PYTHON_SUPPORT } from '../src/facts/django-support.js';
import { DMI_PLACEHOLDER_VALUES, DMI_PLACEHOLDERS } from '../src/facts/dmi-placeholders.js';
import { PI_MANUFACTURERS, PI_NEW_STYLE_TYPES, PI_OLD_STYLE_CODES } from '../src/facts/pi-revisions.js';
import { execCommand } from '../src/platform/process.js';
import { METRIC_CATALOGUE } from '../src/report/metrics.js';
import { REPO_ROOT } from './helpers/cli.js';
import { executable, requireComponent } from './helpers/env.js';

const SH_DIR = join(REPO_ROOT, 'probes', 'posix-sh');
const SHELLS: Array<[string, string[]]> = [
  ['dash', ['/usr/bin/dash']],
  ['busybox ash', ['/usr/bin/busybox', 'sh']],
];

function filesUnder(dir: string, extensions: readonly string[]): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) return filesUnder(path, extensions);
      return extensions.some((ext) => entry.endsWith(ext)) ? [path] : [];
    });
}

/** The hand-written sh and Python sources that travel to devices. */
const SOURCES = [...filesUnder(SH_DIR, ['.sh', '.py']), ...filesUnder(join(REPO_ROOT, 'probes', 'assets'), ['.py'])];

const CATALOGUE_IDS = new Set(METRIC_CATALOGUE.map((m) => m.id));
const PROBE_IDS = new Set(METRIC_CATALOGUE.map((m) => m.id.split('.')[0] ?? ''));
/** Catalogue ids and their short forms without the probe ("found" for python.found), as a hand-kept list spells them. */
const ID_WORDS = new Set(METRIC_CATALOGUE.flatMap((m) => [m.id, m.id.slice(m.id.indexOf('.') + 1)]));

/** Strings that only a copy of a src/facts/ table would contain. Short, common words (A, B, 5, none) are left out. */
function tableEntries(): string[] {
  return [
    ...Object.entries(ARM_PARTS).flat(),
    ...[...PI_NEW_STYLE_TYPES.values()].filter((type) => type.length >= 4),
    ...[...PI_OLD_STYLE_CODES.values()].map((old) => old.type).filter((type) => type.length >= 4),
    ...PI_MANUFACTURERS.values(),
    ...DMI_PLACEHOLDER_VALUES.filter((value) => value.length >= 8),
  ];
}

/** What in a source's text looks like a hand-kept copy of a table or of a list of metric ids. */
function handKeptCopies(text: string): string[] {
  const found: string[] = [];
  const lower = text.toLowerCase();
  for (const entry of new Set(tableEntries())) if (lower.includes(entry.toLowerCase())) found.push(`table entry ${JSON.stringify(entry)}`);
  // A Raspberry Pi revision code, written out: six hex digits that decode to a board. Codes of digits only
  // ("900092") count where a table would hold them (quoted, or a case label); elsewhere, e.g. in $((x & 983040)),
  // they are numbers.
  for (const match of text.matchAll(/(^|[^\w$])([0-9a-fA-F]{6})(?![\w])/g)) {
    const token = match[2] ?? '';
    const end = (match.index ?? 0) + match[0].length;
    const after = text.slice(end, end + 2);
    const tableLike = /["'|(]/.test(match[1] ?? '') || /^(["'|]|\)(?!\)))/.test(after);
    if (/^\d+$/.test(token) && !tableLike) continue;
    if (decodePiRevision(token)) found.push(`Raspberry Pi revision code ${token}`);
  }
  // The Django series as quoted version strings ("5.2"): the support table, or the series the ranking prefers.
  for (const series of new Set([...DJANGO_PYTHON_SUPPORT.map((d) => d.series), CURRENT_DJANGO_LTS])) {
    if (new RegExp(`["']${series.replace('.', '\\.')}["']`).test(text)) found.push(`Django series "${series}"`);
  }
  // Four or more metric ids in a row (full or without the probe), separated only by blanks, commas and quotes.
  // Shorter runs are the few ids one line gives its own reason to.
  for (const run of text.match(/[\w.]+(?:[\s,'"]+[\w.]+){3,}/g) ?? []) {
    let streak = 0;
    for (const word of run.split(/[\s,'"]+/)) {
      streak = ID_WORDS.has(word) ? streak + 1 : 0;
      if (streak === 4) found.push(`metric id list "${run.slice(0, 60)}..."`);
    }
  }
  return found;
}

test('no sh or Python source that goes to devices keeps a copy of a src/facts/ table or a list of metric ids', () => {
  assert.ok(SOURCES.length >= SH_PROBE_PARTS.length + 3, `found the sources: ${SOURCES.map((s) => relative(REPO_ROOT, s)).join(', ')}`);
  for (const source of SOURCES) assert.deepEqual(handKeptCopies(readFileSync(source, 'utf8')), [], relative(REPO_ROOT, source));
});

test('the copy check finds a made-up source that keeps its own tables and id list', () => {
  const madeUp = [
    'arm_part_name() { case $1 in 0xd03) V=Cortex-A53 ;; esac; }',
    "case $code in 17) _type='4 Model B' ;; 20) _type='Compute Module 4' ;; esac # Sony UK",
    "case $_lc in 'to be filled by o.e.m.'|'system product name') return 0 ;; esac",
    'known = ["a02082", "9000c1"]',
    'case $rev in 900092|900093) zero=1 ;; esac; [ $((flags & 983040)) -ne 0 ]',
    'if compare_versions(i["maxDjango"], "5.2") >= 0:',
    "PYTHON_METRICS='found version path bits venv_available'",
    'METRICS = ["python.found", "python.version", "python.path", "python.bits"]',
  ].join('\n');
  const found = handKeptCopies(madeUp);
  for (const expected of [
    '"0xd03"',
    '"Cortex-A53"',
    '"Compute Module 4"',
    '"Sony UK"',
    '"to be filled by o.e.m."',
    '"system product name"',
    'code a02082',
    'code 9000c1',
    'code 900092',
    'code 900093',
    'series "5.2"',
  ]) {
    assert.ok(
      found.some((f) => f.includes(expected)),
      `finds ${expected} in ${JSON.stringify(found)}`,
    );
  }
  assert.equal(found.filter((f) => f.startsWith('metric id list')).length, 2, JSON.stringify(found));
  assert.ok(!found.some((f) => f.includes('983040')), 'a number in arithmetic is not a revision code');
});

test('every metric id the sh probe and its Python helpers write by name is in the catalogue', () => {
  const written: string[] = [];
  for (const source of SOURCES.filter((s) => s.startsWith(SH_DIR))) {
    const text = readFileSync(source, 'utf8');
    // sh: put_null ID, put_num ID ..., and the ids of a `for _m in ID ...` loop; Python: m["ID"] and u["ID"].
    for (const match of text.matchAll(/\bput_(?:null|num|str|bool|raw) "?([a-z_]+\.[a-z0-9_]+)/g)) written.push(match[1] ?? '');
    for (const match of text.matchAll(/for _m in ((?:[a-z_]+\.[a-z0-9_]+ ?)+); do/g)) written.push(...(match[1] ?? '').trim().split(' '));
    for (const match of text.matchAll(/\b[mu]\["([a-z_]+\.[a-z0-9_]+)"\]/g)) written.push(match[1] ?? '');
  }
  assert.ok(written.length >= 40, `found the ids the sources write: ${written.length}`);
  for (const id of written) assert.ok(CATALOGUE_IDS.has(id) && PROBE_IDS.has(id.split('.')[0] ?? ''), `${id} is in the metric catalogue`);
});

test('dist/edgeprobe-probe.sh is what the assembler makes of the sources now (rebuild with npm run build)', () => {
  const built = readFileSync(join(REPO_ROOT, 'dist', 'edgeprobe-probe.sh'), 'utf8');
  assert.ok(built === shProbePayload(), 'dist/edgeprobe-probe.sh is stale: run npm run build');
});

test('the sh probe is exactly its listed parts, each under 400 lines, and so are its Python helpers', () => {
  const parts = readdirSync(join(SH_DIR, 'parts')).sort();
  assert.deepEqual(parts, [...SH_PROBE_PARTS].map((p) => `${p}.sh`).sort(), 'every file in probes/posix-sh/parts is assembled, and only those');
  for (const source of SOURCES) {
    const lines = readFileSync(source, 'utf8').trimEnd().split('\n').length;
    assert.ok(lines <= 400, `${relative(REPO_ROOT, source)} has ${lines} lines`);
  }
});

/** Inputs for the sh lookups, one "kind<TAB>value" line each, with what the TypeScript makes of them. */
function lookupCases(): Array<{ kind: 'pi' | 'arm' | 'dmi'; input: string; expected: string }> {
  const cases: Array<{ kind: 'pi' | 'arm' | 'dmi'; input: string; expected: string }> = [];
  const pi = (code: string): void => {
    const decoded = decodePiRevision(code);
    cases.push({ kind: 'pi', input: code, expected: decoded ? `${decoded.model}|${decoded.ramBytes}` : '-' });
  };
  for (let old = 0; old <= 0x20; old++) pi(old.toString(16).padStart(4, '0'));
  // Every board type and memory code, known or not, in two board revisions; bit 24 (warranty) and upper case too.
  for (let type = 0; type < 0x20; type++)
    for (let memory = 0; memory < 8; memory++)
      for (const revision of [0, 5]) {
        pi(((1 << 23) | (memory << 20) | (0x2 << 16) | (type << 4) | revision).toString(16));
      }
  for (const code of ['1a02082', '0xA02082', '0x0002', '1000002', 'zz', '123456789', '']) pi(code);
  const arm = (part: string): void => {
    const model = cpuModelFromCpuinfo({ processors: [{ processor: '0', 'CPU implementer': ARM_IMPLEMENTER, 'CPU part': part }], trailer: {} });
    cases.push({ kind: 'arm', input: part, expected: model === null || model.startsWith('ARM part ') ? '-' : model });
  };
  for (const part of Object.keys(ARM_PARTS)) [part, part.toUpperCase().replace('0X', '0x')].forEach(arm);
  for (const part of ['0xd0c', '0xd40', '0x000', 'd03', '0xd0', '0xd033']) arm(part);
  const dmi = (value: string): void => {
    cases.push({ kind: 'dmi', input: value, expected: DMI_PLACEHOLDERS.test(value) ? 'placeholder' : 'name' });
  };
  for (const value of DMI_PLACEHOLDER_VALUES) [value, value.toUpperCase(), `${value}x`, value.replace(/ /g, '  ')].forEach(dmi);
  for (const value of ['0', '000', 'x', 'XXX', '0x0', 'x0', 'none.', 'Latitude 7490', 'QEMU', 'Standard PC (i440FX + PIIX, 1996)']) dmi(value);
  return cases;
}

// How the probe's parts call the lookups: cpu.sh lowers the part number, rd1 trims the DMI string.
const LOOKUP_DRIVER = `
while IFS="$TAB" read -r kind value; do
  case $kind in
    pi) if pi_revision "$value"; then printf '%s|%s\\n' "$PI_MODEL" "$PI_RAM"; else echo -; fi ;;
    arm) if arm_part_name "$(printf '%s' "$value" | tr 'A-F' 'a-f')"; then printf '%s\\n' "$V"; else echo -; fi ;;
    dmi) if dmi_placeholder "$value"; then echo placeholder; else echo name; fi ;;
  esac
done
`;

for (const [shellName, shell] of SHELLS) {
  const skip = requireComponent(executable(shell[0] ?? ''), shellName, 'scripts/install-test-deps.sh installs it');
  test(`${shellName}: the sh probe decodes Raspberry Pi revision codes, ARM parts and DMI placeholders as the TypeScript does`, { skip }, async () => {
    const cases = lookupCases();
    const script = shProbeVariables() + shProbePart('helpers') + shProbePart('facts') + LOOKUP_DRIVER;
    const input = cases.map((c) => `${c.kind}\t${c.input}\n`).join('');
    const result = await execCommand(shell[0] ?? 'sh', [...shell.slice(1), '-c', script], { timeoutMs: 120_000, input });
    assert.equal(result.code, 0, result.stderr);
    const answers = result.stdout.split('\n').slice(0, -1);
    assert.equal(answers.length, cases.length, 'one answer per case');
    const decoded = cases.filter((c) => c.kind === 'pi' && c.expected !== '-').length;
    assert.ok(decoded >= 150, `most of the Pi codes tried decode (${decoded})`);
    for (const [i, c] of cases.entries()) assert.equal(answers[i], c.expected, `${c.kind} ${JSON.stringify(c.input)}`);
  });
}
