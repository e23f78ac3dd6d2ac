// Verdicts as JUnit XML, one testsuite per verdict and one testcase per check, so that CI systems
// (GitLab, Jenkins, GitHub test reporters) show each check:
//   fail                                   -> <failure type="fail">
//   warn                                   -> passes, with the warning in <system-out>; with --strict <failure type="warn">
//   unknown on a check that could fail     -> <error> (the verdict is unknown: nothing could be judged)
//   unknown on a warning-only check        -> <skipped>
//   allowed with --allow, or not judged    -> <skipped> with the reason
import type { CheckResult, Verdict } from '../judge/verdict.js';

// XML 1.0 allows tab, newline, carriage return and characters from U+0020 up (minus surrogates / U+FFFE-F).
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function xmlEscape(text: string): string {
  return text.replace(INVALID_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

type Outcome = 'passed' | 'failure' | 'error' | 'skipped';

export function junitOutcome(check: CheckResult, strict: boolean): Outcome {
  if (check.allowed !== undefined) return 'skipped';
  switch (check.status) {
    case 'pass':
      return 'passed';
    case 'fail':
      return 'failure';
    case 'warn':
      return strict ? 'failure' : 'passed';
    case 'unknown':
      return check.canFail ? 'error' : 'skipped';
  }
}

function detail(check: CheckResult): string {
  return [check.message, `expected: ${check.expected}`, `why: ${check.why}`, `advice: ${check.advice}`, `sources: ${check.sources.join(' | ')}`].join('\n');
}

type Counts = { tests: number; failures: number; errors: number; skipped: number };

/** One check as a <testcase>; counts what it was. */
function checkCase(check: CheckResult, classname: string, strict: boolean, counts: Counts): string {
  counts.tests++;
  const name = xmlEscape(`${check.id}: ${check.title}`);
  const open = `    <testcase classname="${classname}" name="${name}" time="0">`;
  switch (junitOutcome(check, strict)) {
    case 'passed':
      return check.status === 'warn' ? `${open}\n      <system-out>${xmlEscape(`WARN ${detail(check)}`)}</system-out>\n    </testcase>` : `${open}</testcase>`;
    case 'failure':
      counts.failures++;
      return `${open}\n      <failure type="${check.status}" message="${xmlEscape(check.message)}">${xmlEscape(detail(check))}</failure>\n    </testcase>`;
    case 'error':
      counts.errors++;
      return `${open}\n      <error type="unknown" message="${xmlEscape(check.message)}">${xmlEscape(detail(check))}</error>\n    </testcase>`;
    case 'skipped': {
      counts.skipped++;
      const why = check.allowed !== undefined ? `allowed (was ${check.status}): ${check.allowed}` : check.message;
      return `${open}\n      <skipped message="${xmlEscape(why)}"/>\n    </testcase>`;
    }
  }
}

function suiteProperties(verdict: Verdict): string[] {
  return [
    ['verdict', verdict.verdict],
    ['headline', verdict.headline],
    ['unknown_checks', String(verdict.counts.unknown)],
    ['unknown_warn_level_checks', String(verdict.counts.unknownWarnLevel)],
    ['profile', verdict.profile.name],
    ['basis', verdict.basis],
    ['subject', verdict.subject.id],
    ['capacity.workers', String(verdict.capacity.workers ?? 'unknown')],
    ['capacity.websocket_clients', String(verdict.capacity.websocketClients ?? 'unknown')],
    ['capacity.binding', verdict.capacity.binding],
    ...verdict.incomplete.map((p, i) => [`incomplete.${i}`, p] as [string, string]),
  ].map(([k, v]) => `      <property name="${xmlEscape(k ?? '')}" value="${xmlEscape(v ?? '')}"/>`);
}

/** One verdict as a <testsuite>: its checks, then what it could not judge as skipped cases. */
function renderSuite(verdict: Verdict, strict: boolean, timestamp: string, counts: Counts): string {
  const classname = xmlEscape(`edgeprobe.${verdict.profile.name}`);
  const cases = verdict.checks.map((check) => checkCase(check, classname, strict, counts));
  for (const item of verdict.notJudged) {
    counts.tests++;
    counts.skipped++;
    cases.push(
      `    <testcase classname="${classname}" name="${xmlEscape(`${item.id}: ${item.title}`)}" time="0">\n      <skipped message="${xmlEscape(`not judged: ${item.reason}`)}"/>\n    </testcase>`,
    );
  }
  return [
    `  <testsuite name="${xmlEscape(`${verdict.subject.label} / ${verdict.profile.name}`)}" tests="${counts.tests}" failures="${counts.failures}" errors="${counts.errors}" skipped="${counts.skipped}" time="0" timestamp="${timestamp}">`,
    '    <properties>',
    ...suiteProperties(verdict),
    '    </properties>',
    ...cases,
    `    <system-out>${xmlEscape(`${verdict.headline}: ${verdict.summary}`)}</system-out>`,
    '  </testsuite>',
  ].join('\n');
}

export function renderJunit(verdicts: readonly Verdict[], options: { strict?: boolean; timestamp?: string } = {}): string {
  const strict = options.strict === true;
  const timestamp = options.timestamp ?? new Date().toISOString().replace(/\.\d+Z$/, '');
  const suites: string[] = [];
  const total: Counts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const verdict of verdicts) {
    const counts: Counts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
    suites.push(renderSuite(verdict, strict, timestamp, counts));
    total.tests += counts.tests;
    total.failures += counts.failures;
    total.errors += counts.errors;
    total.skipped += counts.skipped;
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="edgeprobe" tests="${total.tests}" failures="${total.failures}" errors="${total.errors}" skipped="${total.skipped}" time="0">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
