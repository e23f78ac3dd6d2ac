// Types of the validators scripts/build.mjs generates from targets/schemas/ (ajv standalone code) into
// dist/src/judge/shipped-validators.js: one per shipped schema, as ajv.compile() would return it.
import type { ErrorObject } from 'ajv';

export interface ShippedValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/** targets/schemas/profile.schema.json */
export const profile: ShippedValidator;
/** targets/schemas/hardware.schema.json */
export const hardware: ShippedValidator;
