// Types of the validators scripts/build.mjs generates from the shipped JSON Schemas (ajv standalone code)
// into dist/src/report/shipped-validators.js: one per schema, as ajv.compile() would return it. The
// report's is in report-validator.js.
import type { ErrorObject } from 'ajv';

export interface ShippedValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/** targets/schemas/profile.schema.json */
export const profile: ShippedValidator;
/** targets/schemas/hardware.schema.json */
export const hardware: ShippedValidator;
