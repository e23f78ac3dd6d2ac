// The report as a readable summary: grouped by probe, units for people, unknowns with their reason.
import { formatMetric } from '../report/display.js';
import { metricSpec } from '../report/metrics.js';
import { type Report, unmeasuredReason } from '../report/types.js';
import { plainStyle, type Style } from './style.js';

export function renderReportText(report: Report, style: Style = plainStyle()): string {
  const lines: string[] = [];
  const title = report.host.label ? `${report.host.label} (${report.host.hostname})` : report.host.hostname;
  lines.push(style.bold(`edgeprobe report for ${title}`));
  lines.push(
    style.dim(
      `${report.createdAt} · agent ${report.agent.version} (${report.agent.mode}${report.agent.node ? `, node ${report.agent.node}` : ''}) · id ${report.id}`,
    ),
  );
  if (report.options['root'] && report.options['root'] !== '/') lines.push(style.dim(`recorded tree: ${String(report.options['root'])}`));
  for (const probe of report.probes) {
    lines.push('');
    const status = probe.status === 'ok' ? style.green('ok') : probe.status === 'skipped' ? style.yellow('skipped') : style.red('error');
    lines.push(`${style.bold(probe.id)}  ${status}  ${style.dim(`${probe.durationMs} ms`)}`);
    if (probe.error) lines.push(`  ${style.red(`${probe.error.code}: ${probe.error.message}`)}`);
    if (probe.status === 'skipped') {
      const why = probe.details['skipReason'];
      lines.push(`  ${style.dim(typeof why === 'string' ? why : 'skipped')}`);
      continue;
    }
    if (probe.status === 'error') continue;
    const ids = Object.keys(probe.metrics);
    const width = Math.max(...ids.map((id) => id.length), 10);
    for (const id of ids) {
      const value = report.metrics[id] ?? probe.metrics[id] ?? null;
      const shown = value === null ? style.yellow(`unknown`) + style.dim(` (${unmeasuredReason(report, id) ?? 'not measured'})`) : formatMetric(id, value);
      lines.push(`  ${id.padEnd(width)}  ${shown}`);
    }
    const notes = probeNotes(probe.details);
    for (const note of notes) lines.push(`  ${style.dim(`note: ${note}`)}`);
  }
  const unknownIds = Object.keys(report.metrics).filter((id) => !metricSpec(id));
  if (unknownIds.length > 0) lines.push('', style.dim(`metrics outside the catalogue: ${unknownIds.join(', ')}`));
  return `${lines.join('\n')}\n`;
}

/** Details a probe flags for people: any string under a key ending in "Note", "Warning" or "Estimated". */
function probeNotes(details: Record<string, unknown>): string[] {
  return Object.entries(details)
    .filter(([key, value]) => typeof value === 'string' && /(Note|Warning|Estimated|Suspect)$/.test(key))
    .map(([, value]) => value as string);
}
