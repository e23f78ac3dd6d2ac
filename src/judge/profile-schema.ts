// JSON Schema validation of profiles and spec sheets, shared with src/judge/spec-sheets.ts.
import type { ErrorObject } from 'ajv';
import { hardware, profile, type ShippedValidator } from '../report/shipped-validators.js';

/** The validator of a schema shipped under targets/schemas/, generated at build time (scripts/build.mjs). */
export function shippedSchemaValidator(schema: 'profile' | 'hardware'): ShippedValidator {
  return schema === 'profile' ? profile : hardware;
}

/** Turns ajv's instancePath (/checks/3/metric) into the key people read (checks[3].metric). */
export function jsonKey(instancePath: string, extra?: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  let key = '';
  for (const part of parts) key += /^\d+$/.test(part) ? `[${part}]` : key === '' ? part : `.${part}`;
  return key === '' ? '(top level)' : key;
}

/** The first few schema problems as "key: problem" lines, most specific first. */
export function describeSchemaErrors(errors: readonly ErrorObject[]): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const error of errors) {
    // oneOf / anyOf repeat their branches' errors; the branch errors say more.
    if (error.keyword === 'oneOf' || error.keyword === 'anyOf') continue;
    let line: string;
    if (error.keyword === 'additionalProperties') {
      line = `${jsonKey(error.instancePath, String(error.params['additionalProperty']))}: unknown key`;
    } else if (error.keyword === 'required') {
      line = `${jsonKey(error.instancePath, String(error.params['missingProperty']))}: is required`;
    } else if (error.keyword === 'enum') {
      line = `${jsonKey(error.instancePath)}: must be one of ${(error.params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    } else {
      line = `${jsonKey(error.instancePath)}: ${error.message ?? error.keyword}`;
    }
    if (!seen.has(line)) {
      seen.add(line);
      lines.push(line);
    }
  }
  return lines.slice(0, 8);
}
