// A comparison as a table: text (rows that differ marked "≠" and, on a terminal, in colour) or Markdown
// (differing rows' cells in bold). JSON is the Comparison object itself.
import type { CompareRow, Comparison } from '../judge/compare.js';
import { mdCell } from './markdown.js';
import { plainStyle, type Style } from './style.js';
import { colourStatus, colourVerdict } from './verdict-text.js';

const MAX_CELL = 34;

function clip(text: string): string {
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
}

function colourCell(row: CompareRow, text: string, index: number, style: Style): string {
  const value = row.values[index];
  if (row.key === 'verdict' && typeof value === 'string') return colourVerdict(value as Parameters<typeof colourVerdict>[0], style, text);
  if (row.key.startsWith('check.')) {
    if (value === undefined) return style.dim(text);
    return colourStatus(value as Parameters<typeof colourStatus>[0], style, text);
  }
  return text;
}

export function renderComparisonText(comparison: Comparison, style: Style = plainStyle()): string {
  const headers = comparison.subjects.map((s) => clip(`${s.label}${s.kind === 'hardware' ? ' [spec]' : ''}`));
  const allRows = comparison.sections.flatMap((s) => s.rows);
  const labelWidth = Math.max(12, ...allRows.map((r) => r.label.length));
  const widths = headers.map((h, i) => Math.max(h.length, ...allRows.map((r) => clip(r.cells[i] ?? '').length)));
  const lines: string[] = [];
  lines.push(style.bold(`Comparison under ${comparison.profile.name}`) + style.dim(` (${comparison.profile.title}); ≠ marks rows that differ`));
  lines.push('');
  lines.push(`  ${''.padEnd(labelWidth)}  ${headers.map((h, i) => style.bold(h.padEnd(widths[i] ?? 0))).join('  ')}`);
  for (const section of comparison.sections) {
    if (section.rows.length === 0) continue;
    lines.push(style.bold(section.title));
    for (const row of section.rows) {
      const mark = row.differs ? style.yellow('≠') : ' ';
      const label = row.differs ? style.bold(row.label.padEnd(labelWidth)) : row.label.padEnd(labelWidth);
      const cells = row.cells.map((cell, i) => colourCell(row, clip(cell).padEnd(widths[i] ?? 0), i, style));
      lines.push(`${mark} ${label}  ${cells.join('  ')}`);
    }
  }
  lines.push('');
  if (comparison.notJudgedAnywhere.length > 0)
    lines.push(style.dim(`Not judged from spec sheets (need measured reports): ${comparison.notJudgedAnywhere.join(', ')}`));
  lines.push(
    style.dim(
      'Spec-sheet columns judge only the checks a spec sheet can answer; the others show "not judged". Capacity assumptions: `edgeprobe check --hardware ID` or `edgeprobe check REPORT.json`.',
    ),
  );
  return `${lines.join('\n')}\n`;
}

export function renderComparisonMarkdown(comparison: Comparison): string {
  const out: string[] = [];
  out.push(`## Comparison under \`${comparison.profile.name}\``, '');
  out.push(`Rows marked ≠ differ between the columns; differing values are in bold. Spec-sheet columns judge only what a spec sheet states.`, '');
  out.push(`| | ${comparison.subjects.map((s) => `${mdCell(s.label)}${s.kind === 'hardware' ? ' (spec sheet)' : ''}`).join(' | ')} |`);
  out.push(`|---|${comparison.subjects.map(() => '---').join('|')}|`);
  for (const section of comparison.sections) {
    if (section.rows.length === 0) continue;
    out.push(`| **${mdCell(section.title)}** |${comparison.subjects.map(() => ' ').join('|')}|`);
    for (const row of section.rows) {
      const cells = row.cells.map((c) => (row.differs ? `**${mdCell(c)}**` : mdCell(c)));
      out.push(`| ${row.differs ? '≠ ' : ''}${mdCell(row.label)} | ${cells.join(' | ')} |`);
    }
  }
  if (comparison.notJudgedAnywhere.length > 0) {
    out.push('', `Not judged from spec sheets (need measured reports): ${comparison.notJudgedAnywhere.map((id) => `\`${id}\``).join(', ')}`);
  }
  return `${out.join('\n')}\n`;
}
