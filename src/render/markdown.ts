// A verdict as Markdown: for a pull request comment, a wiki page or a CI job summary.
import { formatBytes, formatCount } from '../report/display.js';
import type { Verdict } from '../judge/verdict.js';
import { describeClients, describeRequests, describeWorkers } from './verdict-text.js';

const ICON: Record<string, string> = { pass: '✅', warn: '⚠️', fail: '❌', unknown: '❔', allowed: '➖' };

/** Escapes text for a Markdown table cell. */
export function mdCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').replace(/([*_`<>[\]])/g, '\\$1');
}

export function renderVerdictMarkdown(verdict: Verdict): string {
  const out: string[] = [];
  const basis = verdict.basis === 'spec-sheet' ? ' (spec-sheet verdict)' : '';
  const unknowns = verdict.headline.slice(verdict.verdict.length);
  out.push(`## ${mdCell(verdict.subject.label)}: **${verdict.verdict}**${mdCell(unknowns)} under \`${verdict.profile.name}\`${basis}`);
  out.push('');
  out.push(`> ${mdCell(verdict.summary)}`);
  for (const problem of verdict.incomplete) out.push(`>\n> Incomplete: ${mdCell(problem)}`);
  out.push('');
  out.push('| | check | value | expected |');
  out.push('|---|---|---|---|');
  for (const check of verdict.checks) {
    const status = check.allowed !== undefined ? 'allowed' : check.status;
    const value = check.status === 'unknown' ? `unknown (${check.unknownReason ?? ''})` : check.message.slice(check.title.length + 2);
    out.push(`| ${ICON[status] ?? ''} ${status} | \`${check.id}\` ${mdCell(check.title)} | ${mdCell(value)} | ${mdCell(check.expected)} |`);
  }
  const attention = verdict.checks.filter((c) => c.status !== 'pass' || c.allowed !== undefined);
  if (attention.length > 0) {
    out.push('', '### What to do', '');
    for (const check of attention) {
      if (check.allowed !== undefined) {
        out.push(`- \`${check.id}\` (${check.status}, allowed): ${mdCell(check.allowed)}`);
        continue;
      }
      out.push(`- **\`${check.id}\`** (${check.status}): ${mdCell(check.why)} *Advice:* ${mdCell(check.advice)}`);
    }
  }
  if (verdict.notJudged.length > 0) {
    out.push('', `Not judged from a spec sheet (need a measured report): ${verdict.notJudged.map((n) => `\`${n.id}\``).join(', ')}`);
  }
  const cap = verdict.capacity;
  out.push('', '### Capacity estimate', '');
  out.push(`- ${cap.server.toUpperCase()} workers: ${mdCell(describeWorkers(cap))}`);
  out.push(`- HTTP requests: ${mdCell(describeRequests(cap))}`);
  if (cap.server === 'asgi') out.push(`- WebSocket clients: ${mdCell(verdict.verdict === 'not-viable' ? 'none given: the verdict is not viable' : describeClients(cap))}`);
  if (cap.memoryBudgetBytes !== null) out.push(`- Memory for workers and connections: ${formatBytes(cap.memoryBudgetBytes)}`);
  if (cap.throughputMessagesPerSecond !== null) out.push(`- Messages per second the workers can carry: ${formatCount(cap.throughputMessagesPerSecond)}`);
  out.push('', '<details><summary>Working: measured, assumed, derived</summary>', '');
  for (const assumption of cap.assumptions) out.push(`- ${mdCell(assumption)}`);
  out.push('', '</details>');
  if (verdict.notes.length > 0) {
    out.push('', '### Notes', '');
    for (const note of verdict.notes) out.push(`- ${mdCell(note)}`);
  }
  return `${out.join('\n')}\n`;
}
