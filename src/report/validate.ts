// Everything that reads a report reads it through here: JSON Schema first, then the catalogue's types.
import { readFileSync } from 'node:fs';
import type { ErrorObject } from 'ajv';
import { metricValueProblem } from './metrics.js';
import { report as validator } from './report-validator.js';
import { REPORT_SCHEMA, type Report } from './types.js';

export function reportSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL('./report.v1.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
}

export type ReportCheck = { ok: true; report: Report } | { ok: false; errors: string[] };

function describe(error: ErrorObject): string {
  const where = error.instancePath || '(report)';
  if (error.keyword === 'additionalProperties') {
    return `${where}: unexpected property "${String(error.params['additionalProperty'])}"`;
  }
  if (error.keyword === 'const' && error.instancePath === '/schema') {
    return `/schema: expected "${REPORT_SCHEMA}"`;
  }
  return `${where}: ${error.message ?? error.keyword}`;
}

/** Validates a parsed value as an edgeprobe.report/v1 report. */
export function validateReport(value: unknown): ReportCheck {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const schema = (value as Record<string, unknown>)['schema'];
    if (typeof schema === 'string' && schema !== REPORT_SCHEMA) {
      return { ok: false, errors: [`unsupported report schema "${schema.slice(0, 64)}"; this edgeprobe reads ${REPORT_SCHEMA}`] };
    }
  }
  if (!validator(value)) {
    const errors = (validator.errors ?? []).slice(0, 20).map(describe);
    return { ok: false, errors: errors.length > 0 ? errors : ['not a valid report'] };
  }
  const report = value as Report;
  const problems: string[] = [];
  for (const [id, metricValue] of Object.entries(report.metrics)) {
    const problem = metricValueProblem(id, metricValue);
    if (problem) problems.push(`/metrics/${id}: ${problem}`);
  }
  if (problems.length > 0) return { ok: false, errors: problems.slice(0, 20) };
  return { ok: true, report };
}

/** Parses and validates report text, e.g. a file's contents or an HTTP body. */
export function parseReport(text: string): ReportCheck {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, errors: [`not JSON: ${(err as Error).message}`] };
  }
  return validateReport(value);
}
