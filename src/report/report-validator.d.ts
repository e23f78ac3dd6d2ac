// Type of the validator scripts/build.mjs generates from src/report/report.v1.schema.json (ajv standalone
// code, with ajv-formats' formats) into dist/src/report/report-validator.js.
import type { ShippedValidator } from './shipped-validators.js';

export const report: ShippedValidator;
