// A verdict for people at a terminal: the answer first, then every check with its working, the capacity
// estimate and the assumptions behind it. Colour only through the Style given (src/render/style.ts).
import { formatBytes, formatCount } from '../report/display.js';
import type { CapacityEstimate, CheckResult, CheckStatus, OverallVerdict, Verdict } from '../judge/verdict.js';
import { plainStyle, type Style } from './style.js';

export function verdictWord(verdict: OverallVerdict): string {
  return verdict === 'viable-with-warnings' ? 'VIABLE WITH WARNINGS' : verdict.toUpperCase().replace('-', ' ');
}

/** "VIABLE, 4 checks unknown": the verdict word, then what the headline adds to it (src/judge/headline.ts). */
export function verdictWordWithUnknowns(verdict: Pick<Verdict, 'verdict' | 'headline'>): { word: string; unknowns: string } {
  return { word: verdictWord(verdict.verdict), unknowns: verdict.headline.slice(verdict.verdict.length) };
}

export function colourVerdict(verdict: OverallVerdict, style: Style, text = verdictWord(verdict)): string {
  switch (verdict) {
    case 'viable': return style.green(text);
    case 'viable-with-warnings': return style.yellow(text);
    case 'not-viable': return style.red(text);
    case 'unknown': return style.cyan(text);
  }
}

export function colourStatus(status: CheckStatus | 'allowed' | 'not judged', style: Style, text: string = status): string {
  switch (status) {
    case 'pass': return style.green(text);
    case 'warn': return style.yellow(text);
    case 'fail': return style.red(text);
    case 'unknown': return style.cyan(text);
    default: return style.dim(text);
  }
}

const BINDING: Record<CapacityEstimate['binding'], string> = { memory: 'memory', cpu: 'CPU', 'channel-layer': 'the in-memory channel layer', unknown: 'unknown' };

/** "4 (memory allows 9, CPU allows 4; bound by CPU)". */
export function describeWorkers(capacity: CapacityEstimate): string {
  if (capacity.workers === null) return 'unknown (no memory or CPU figures)';
  const parts: string[] = [];
  if (capacity.workersByMemory !== null) parts.push(`memory allows ${capacity.workersByMemory}`);
  if (capacity.workersByCpu !== null) parts.push(`CPU allows ${capacity.workersByCpu}`);
  if (capacity.workersByChannelLayer !== null) parts.push(`the in-memory channel layer allows ${capacity.workersByChannelLayer}`);
  return `${capacity.workers} (${parts.join(', ')}; bound by ${BINDING[capacity.binding]})`;
}

export function describeClients(capacity: CapacityEstimate): string {
  if (capacity.server === 'wsgi') return 'none (WSGI serves no WebSockets)';
  if (capacity.websocketClients === null) {
    if (capacity.clientsMemoryBoundOnly && capacity.clientsByMemory !== null) {
      return `unknown: memory alone would hold at most ${formatCount(capacity.clientsByMemory)}, an upper bound only (no throughput measured)`;
    }
    if (capacity.clientsByCpu !== null) return `unknown: the CPU alone would carry at most ${formatCount(capacity.clientsByCpu)}, an upper bound only (no memory figure)`;
    return 'unknown';
  }
  const parts: string[] = [];
  if (capacity.clientsByMemory !== null) parts.push(`memory allows ${formatCount(capacity.clientsByMemory)}`);
  parts.push(capacity.clientsByCpu !== null ? `CPU allows ${formatCount(capacity.clientsByCpu)}` : 'CPU bound not measured');
  const bound = capacity.clientsBinding === 'unknown' ? '' : `; bound by ${capacity.clientsBinding === 'cpu' ? 'CPU' : 'memory'}`;
  return `${formatCount(capacity.websocketClients)} at ${capacity.messagesPerClientPerSecond} msg/s each (${parts.join(', ')}${bound})`;
}

const SCALING: Record<CapacityEstimate['scaling'], string> = {
  'measured-workers': 'scaled from several workers measured at once',
  'cpu-score-ratio': 'scaled by the measured multi- to single-thread CPU score ratio',
  'one-worker': 'one worker\'s measured figure',
  none: 'not measured',
};

/** "61 req/s with p95 within 100 ms (scaled from several workers measured at once)". */
export function describeRequests(capacity: CapacityEstimate): string {
  if (capacity.requestsPerSecond === null) return `unknown (${SCALING.none})`;
  const rps = capacity.requestsPerSecond >= 100 ? formatCount(Math.round(capacity.requestsPerSecond)) : capacity.requestsPerSecond.toFixed(1);
  return `${rps} req/s with p95 within ${capacity.latencyTargetMs} ms (${SCALING[capacity.scaling]})`;
}

function checkLine(check: CheckResult, style: Style, width: number, verbose: boolean): string[] {
  const status = check.allowed !== undefined ? 'allowed' : check.status;
  const label = colourStatus(status, style, status.toUpperCase().padEnd(7));
  const lines = [`  ${label} ${check.id.padEnd(width)}  ${check.message}`];
  const indent = ' '.repeat(12 + width);
  if (check.allowed !== undefined) lines.push(`${indent}${style.dim(`allowed (was ${check.status}): ${check.allowed}`)}`);
  else if (check.status === 'unknown') {
    // An unknown only matters when the check could fail; say what would settle it.
    if (check.canFail) lines.push(`${indent}${style.dim(`could fail: expected ${check.expected}`)}`);
  } else if (check.status !== 'pass') {
    lines.push(`${indent}${style.dim(`expected ${check.expected}`)}`);
    lines.push(`${indent}why: ${check.why}`);
    lines.push(`${indent}advice: ${check.advice}`);
  }
  if (verbose) {
    if (check.status === 'pass') lines.push(`${indent}${style.dim(`expected ${check.expected}`)}`, `${indent}why: ${check.why}`);
    lines.push(`${indent}${style.dim(`sources: ${check.sources.join('; ')}`)}`);
  }
  return lines;
}

export function renderVerdictText(verdict: Verdict, style: Style = plainStyle(), options: { verbose?: boolean } = {}): string {
  const lines: string[] = [];
  const basis = verdict.basis === 'spec-sheet' ? ' (spec-sheet verdict)' : '';
  const { word, unknowns } = verdictWordWithUnknowns(verdict);
  lines.push(style.bold(`Verdict for ${verdict.subject.label} under ${verdict.profile.name}: `) + colourVerdict(verdict.verdict, style, style.bold(word)) + style.cyan(unknowns) + style.dim(basis));
  lines.push(style.dim(`${verdict.profile.title}${verdict.profile.chain.length > 1 ? ` (extends ${verdict.profile.chain.slice(1).join(' → ')})` : ''}`));
  lines.push(verdict.summary);
  for (const problem of verdict.incomplete) lines.push(style.red(`incomplete: ${problem}`));
  lines.push('');
  const width = Math.max(10, ...verdict.checks.map((c) => c.id.length));
  const order: Record<string, number> = { fail: 0, unknown: 1, warn: 2, allowed: 3, pass: 4 };
  const sorted = [...verdict.checks].sort((a, b) => (order[a.allowed !== undefined ? 'allowed' : a.status] ?? 9) - (order[b.allowed !== undefined ? 'allowed' : b.status] ?? 9));
  const c = verdict.counts;
  lines.push(style.bold(`Checks`) + style.dim(`  ${c.pass} pass · ${c.warn} warn · ${c.fail} fail · ${c.unknown} unknown${c.allowed ? ` · ${c.allowed} allowed` : ''}${c.notJudged ? ` · ${c.notJudged} not judged` : ''}`));
  for (const check of sorted) lines.push(...checkLine(check, style, width, options.verbose === true));
  if (verdict.notJudged.length > 0) {
    lines.push('', style.bold('Not judged') + style.dim(' (a spec sheet cannot state these; measure the device with `edgeprobe run`)'));
    lines.push(`  ${verdict.notJudged.map((n) => n.id).join(', ')}`);
  }
  lines.push('', style.bold('Capacity estimate'));
  const cap = verdict.capacity;
  lines.push(`  ${cap.server.toUpperCase()} workers: ${describeWorkers(cap)}`);
  lines.push(`  HTTP requests: ${describeRequests(cap)}`);
  if (cap.server === 'asgi') lines.push(`  WebSocket clients: ${verdict.verdict === 'not-viable' ? 'none given: the verdict is not viable' : describeClients(cap)}`);
  if (cap.memoryBudgetBytes !== null) lines.push(`  memory for workers and connections: ${formatBytes(cap.memoryBudgetBytes)}`);
  if (cap.throughputMessagesPerSecond !== null) lines.push(`  messages per second the workers can carry: ${formatCount(cap.throughputMessagesPerSecond)}`);
  lines.push(style.dim('  working (measured, assumed with its source, derived):'));
  for (const line of cap.working) lines.push(style.dim(`    - ${line.basis}: ${line.text}`));
  if (verdict.notes.length > 0) {
    lines.push('', style.bold('Notes'));
    for (const note of verdict.notes) lines.push(`  - ${note}`);
  }
  return `${lines.join('\n')}\n`;
}
