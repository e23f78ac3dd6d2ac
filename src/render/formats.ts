// The output formats of `run` and `check`, in one place: text, json, junit, markdown, prometheus.
import { type HardwareEntry, specSheetMetrics } from '../judge/spec-sheets.js';
import type { Verdict } from '../judge/verdict.js';
import { UsageError } from '../platform/errors.js';
import { writeFileAtomic } from '../platform/fs-atomic.js';
import type { Report } from '../report/types.js';
import { renderJunit } from './junit.js';
import { renderVerdictMarkdown } from './markdown.js';
import { type PrometheusItem, renderPrometheus } from './prometheus.js';
import { plainStyle, type Style } from './style.js';
import { renderReportText } from './text.js';
import { renderVerdictText } from './verdict-text.js';

export const VERDICT_FORMATS = ['text', 'json', 'junit', 'markdown', 'prometheus'] as const;
export type VerdictFormat = (typeof VERDICT_FORMATS)[number];

/** One judged subject: a report (measured) or a spec sheet, with its verdict. */
export interface Judged {
  verdict: Verdict;
  report?: Report;
  hardware?: HardwareEntry;
  /** Where it came from, e.g. the report's file name. */
  source?: string;
}

export interface RenderOptions {
  style?: Style;
  strict?: boolean;
  /** Text: print the report's measurements before the verdict (run does, check does not). */
  withReport?: boolean;
  verbose?: boolean;
}

function jsonOf(item: Judged): Record<string, unknown> {
  if (item.report) return { ...item.report, verdict: item.verdict };
  if (item.hardware) return { hardware: { ...item.hardware, metrics: specSheetMetrics(item.hardware) }, verdict: item.verdict };
  return { verdict: item.verdict };
}

export function renderJudged(format: VerdictFormat, items: readonly Judged[], options: RenderOptions = {}): string {
  const style = options.style ?? plainStyle();
  switch (format) {
    case 'json': {
      const values = items.map(jsonOf);
      return `${JSON.stringify(values.length === 1 ? values[0] : values, null, 2)}\n`;
    }
    case 'junit':
      return renderJunit(
        items.map((i) => i.verdict),
        { strict: options.strict === true },
      );
    case 'markdown':
      return items.map((i) => `${i.source ? `<!-- ${i.source.replace(/--/g, '- -')} -->\n` : ''}${renderVerdictMarkdown(i.verdict)}`).join('\n');
    case 'prometheus':
      return renderPrometheus(
        items.map((i) => {
          const item: PrometheusItem = {
            verdict: i.verdict,
            metrics: i.report ? i.report.metrics : i.hardware ? specSheetMetrics(i.hardware) : {},
          };
          if (i.report) item.hostname = i.report.host.hostname;
          if (i.report?.host.label !== undefined) item.label = i.report.host.label;
          const at = i.report ? Date.parse(i.report.createdAt) : NaN;
          if (Number.isFinite(at)) item.measuredAt = at / 1000;
          return item;
        }),
      );
    case 'text':
      return items
        .map((i) => {
          const head = i.source ? `${style.dim(`── ${i.source}`)}\n` : '';
          const report = options.withReport && i.report ? `${renderReportText(i.report, style)}\n` : '';
          const verdictOptions = options.verbose === undefined ? {} : { verbose: options.verbose };
          return `${head}${report}${renderVerdictText(i.verdict, style, verdictOptions)}`;
        })
        .join('\n');
  }
}

/** Writes to --output atomically (whole or not at all), else to stdout. */
export function writeOutput(text: string, output: string | undefined): void {
  if (!output) {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileAtomic(output, text);
  } catch (err) {
    throw new UsageError(`--output ${output}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
