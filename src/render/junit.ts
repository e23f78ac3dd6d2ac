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

export function renderJunit(verdicts: readonly Verdict[], options: { strict?: boolean; timestamp?: string } = {}): string {
  const strict = options.strict === true;
  const timestamp = options.timestamp ?? new Date().toISOString().replace(/\.\d+Z$/, '');
  const suites: string[] = [];
  const total = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const verdict of verdicts) {
    const counts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
    const cases: string[] = [];
    const classname = xmlEscape(`edgeprobe.${verdict.profile.name}`);
    for (const check of verdict.checks) {
      const outcome = junitOutcome(check, strict);
      counts.tests++;
      const name = xmlEscape(`${check.id}: ${check.title}`);
      const open = `    <testcase classname="${classname}" name="${name}" time="0">`;
      switch (outcome) {
        case 'passed':
          cases.push(
            check.status === 'warn' ? `${open}\n      <system-out>${xmlEscape(`WARN ${detail(check)}`)}</system-out>\n    </testcase>` : `${open}</testcase>`,
          );
          break;
        case 'failure':
          counts.failures++;
          cases.push(
            `${open}\n      <failure type="${check.status}" message="${xmlEscape(check.message)}">${xmlEscape(detail(check))}</failure>\n    </testcase>`,
          );
          break;
        case 'error':
          counts.errors++;
          cases.push(`${open}\n      <error type="unknown" message="${xmlEscape(check.message)}">${xmlEscape(detail(check))}</error>\n    </testcase>`);
          break;
        case 'skipped': {
          counts.skipped++;
          const why = check.allowed !== undefined ? `allowed (was ${check.status}): ${check.allowed}` : check.message;
          cases.push(`${open}\n      <skipped message="${xmlEscape(why)}"/>\n    </testcase>`);
          break;
        }
      }
    }
    for (const item of verdict.notJudged) {
      counts.tests++;
      counts.skipped++;
      cases.push(
        `    <testcase classname="${classname}" name="${xmlEscape(`${item.id}: ${item.title}`)}" time="0">\n      <skipped message="${xmlEscape(`not judged: ${item.reason}`)}"/>\n    </testcase>`,
      );
    }
    total.tests += counts.tests;
    total.failures += counts.failures;
    total.errors += counts.errors;
    total.skipped += counts.skipped;
    const properties = [
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
    suites.push(
      [
        `  <testsuite name="${xmlEscape(`${verdict.subject.label} / ${verdict.profile.name}`)}" tests="${counts.tests}" failures="${counts.failures}" errors="${counts.errors}" skipped="${counts.skipped}" time="0" timestamp="${timestamp}">`,
        '    <properties>',
        ...properties,
        '    </properties>',
        ...cases,
        `    <system-out>${xmlEscape(`${verdict.headline}: ${verdict.summary}`)}</system-out>`,
        '  </testsuite>',
      ].join('\n'),
    );
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="edgeprobe" tests="${total.tests}" failures="${total.failures}" errors="${total.errors}" skipped="${total.skipped}" time="0">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
