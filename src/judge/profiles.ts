// Deployment profiles: what "viable" means for one kind of deployment (targets/profiles/*.json).
// A profile is read by name (built-in, shipped inside the agent bundle too) or by path (custom), merged
// along its `extends` chain, then validated against targets/schemas/profile.schema.json and the metric
// catalogue. Every problem is a ConfigError (exit code 2) naming the file and the key.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { listPackageFiles, readPackageFile } from '../platform/package-files.js';
import { ConfigError } from './errors.js';
import { PLATFORM_GATE_ID } from './platform.js';
import { describeSchemaErrors, shippedSchemaValidator } from './profile-schema.js';
import type { Located, MergedCheck, Profile, RawCapacity, RawProfile } from './profile-types.js';
import { finishCapacity, finishCheck } from './profile-validation.js';

export { describeSchemaErrors, jsonKey, shippedSchemaValidator } from './profile-schema.js';
export {
  type CapacityParams,
  OPERATORS,
  type Operator,
  type Profile,
  type ProfileCheck,
  type ScalarThreshold,
  type ServiceReservation,
  type Threshold,
} from './profile-types.js';
export { compareVersions, parseSize, versionParts } from './profile-values.js';

export const DEFAULT_PROFILE = 'django-channels';

const PROFILE_DIR = 'targets/profiles';

/** Names of the built-in profiles. */
export function listProfileNames(): string[] {
  return listPackageFiles(PROFILE_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

function looksLikePath(ref: string): boolean {
  return ref.includes('/') || ref.includes('\\') || ref.endsWith('.json');
}

function readProfileSource(ref: string, relativeTo: string | null): Located {
  if (!looksLikePath(ref)) {
    const names = listProfileNames();
    if (!names.includes(ref)) {
      throw new ConfigError(`unknown profile "${ref}" (built-in profiles: ${names.join(', ')}; or give a path to a .json file)`);
    }
    const file = `${PROFILE_DIR}/${ref}.json`;
    return { raw: parseProfileJson(readPackageFile(file), file), file, builtIn: true, dir: null };
  }
  const path = resolve(relativeTo ?? process.cwd(), ref);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`profile ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return { raw: parseProfileJson(text, path), file: path, builtIn: false, dir: dirname(path) };
}

function parseProfileJson(text: string, file: string): RawProfile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`profile ${file}: not valid JSON (${(err as Error).message})`);
  }
  const validate = shippedSchemaValidator('profile');
  if (!validate(value)) {
    const lines = describeSchemaErrors(validate.errors ?? []);
    throw new ConfigError(`profile ${file}: ${lines.join('; ')}`);
  }
  return value as RawProfile;
}

/** Loads a profile by built-in name or by path, with its extends chain merged and everything validated. */
export function loadProfile(ref: string = DEFAULT_PROFILE): Profile {
  const chain: Located[] = [];
  let current = readProfileSource(ref, null);
  const seen = new Set<string>([current.file]);
  chain.push(current);
  while (current.raw.extends !== undefined) {
    let parent: Located;
    try {
      parent = readProfileSource(current.raw.extends, current.dir);
    } catch (err) {
      if (err instanceof ConfigError && !err.message.startsWith('profile ')) throw new ConfigError(`profile ${current.file}: extends: ${err.message}`);
      throw err;
    }
    if (seen.has(parent.file))
      throw new ConfigError(`profile ${current.file}: extends: "${current.raw.extends}" leads to a cycle (${[...seen, parent.file].join(' -> ')})`);
    seen.add(parent.file);
    chain.push(parent);
    current = parent;
  }
  // Merge from the root of the chain down to the profile asked for.
  const checks = new Map<string, MergedCheck>();
  let capacity: RawCapacity = {};
  const capacityFrom: Record<string, string> = {};
  const assumes: string[] = [];
  for (const located of [...chain].reverse()) {
    const { raw, file } = located;
    for (const [i, id] of (raw.remove ?? []).entries()) {
      if (!checks.delete(id)) throw new ConfigError(`profile ${file}: remove[${i}]: no inherited check "${id}" to remove`);
    }
    const idsHere = new Set<string>();
    for (const [index, check] of (raw.checks ?? []).entries()) {
      if (idsHere.has(check.id)) throw new ConfigError(`profile ${file}: checks[${index}].id: "${check.id}" appears twice in this file`);
      idsHere.add(check.id);
      const inherited = checks.get(check.id);
      checks.set(check.id, { raw: inherited ? { ...inherited.raw, ...check } : check, file, index });
    }
    if (raw.capacity) {
      for (const key of Object.keys(raw.capacity)) capacityFrom[key] = file;
      capacity = { ...capacity, ...raw.capacity };
    }
    for (const line of raw.assumes ?? []) if (!assumes.includes(line)) assumes.push(line);
  }
  const top = chain[0] as Located;
  return {
    name: top.raw.name,
    title: top.raw.title,
    description: top.raw.description,
    file: top.file,
    builtIn: top.builtIn,
    chain: chain.map((c) => c.raw.name),
    assumes,
    checks: [...checks.values()].map(finishCheck),
    capacity: finishCapacity(capacity, capacityFrom, top.file),
  };
}

/** Every built-in profile, loaded and validated. */
export function loadAllProfiles(): Profile[] {
  return listProfileNames().map((name) => loadProfile(name));
}

/** Parses repeated --allow CHECK=reason options against a profile's checks. */
export function parseAllowances(values: readonly string[] | undefined, profile: Profile): Map<string, string> {
  const allow = new Map<string, string>();
  for (const value of values ?? []) {
    const eq = value.indexOf('=');
    const id = eq < 0 ? value.trim() : value.slice(0, eq).trim();
    const reason = eq < 0 ? '' : value.slice(eq + 1).trim();
    if (id === '' || id === '*' || id.includes('*')) throw new ConfigError(`--allow ${value}: name one check; there is no blanket override`);
    if (reason === '') throw new ConfigError(`--allow ${value}: a reason is required, e.g. --allow ${id}="tested with our own load profile"`);
    if (id === PLATFORM_GATE_ID) {
      throw new ConfigError(`--allow ${value}: ${PLATFORM_GATE_ID} cannot be allowed: without Linux no CPython, and so no Django, runs on the device`);
    }
    if (!profile.checks.some((c) => c.id === id)) {
      throw new ConfigError(`--allow ${value}: profile ${profile.name} has no check "${id}" (checks: ${profile.checks.map((c) => c.id).join(', ')})`);
    }
    allow.set(id, reason);
  }
  return allow;
}
