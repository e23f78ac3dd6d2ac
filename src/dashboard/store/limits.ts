// What an upload may do, decided the same way by both store backends inside their write transaction:
// a token bound to device names and a device count, a dashboard-wide device limit and a database size limit.

/** The uploading token, as far as the limits care. */
export interface Uploader {
  tokenId: string;
  /** Admin tokens may upload for any device and are bound by no token limit. */
  admin: boolean;
  /**
   * The token names the devices it may use (`--devices`), and this device's name matched: it may upload
   * for the device even when another token created it.
   */
  allowedByPattern: boolean;
  maxDevices: number | null;
}

export interface UploadPolicy {
  keepPerDevice: number;
  /** Null: no token to hold to account (tests, tools). */
  uploader: Uploader | null;
  /** Devices the whole dashboard may hold. */
  maxDevices: number | null;
  /** Bytes the database may grow to. */
  maxDbBytes: number | null;
}

export type UploadRefusal =
  /** 403: the device was created by another token, and this one is not allowed it by name. */
  | { status: 'refused'; reason: 'device_owned' }
  /** 403: the token has created as many devices as it may. */
  | { status: 'refused'; reason: 'token_device_limit'; limit: number }
  /** 507: the dashboard holds --max-devices devices already. */
  | { status: 'full'; reason: 'max_devices'; limit: number }
  /** 507: the database is at --max-db-size and this upload would add to it. */
  | { status: 'full'; reason: 'max_db_size'; limit: number; bytes: number };

export function toPolicy(policy: number | UploadPolicy): UploadPolicy {
  return typeof policy === 'number' ? { keepPerDevice: policy, uploader: null, maxDevices: null, maxDbBytes: null } : policy;
}

/** The device as the limits see it, read inside the transaction. */
export interface DeviceFacts {
  owner: string | null;
  reportCount: number;
}

/** Which counts the backend must read for this upload (each only when a limit needs it). */
export interface FactsNeeded {
  deviceCount: boolean;
  tokenDeviceCount: boolean;
  databaseSize: boolean;
}

/**
 * A report for a device already holding `keepPerDevice` reports replaces one (or is not kept at all), so it
 * does not grow the database: a full database still takes reports from the devices it knows.
 */
export function factsNeeded(policy: UploadPolicy, device: DeviceFacts | null): FactsNeeded {
  const limitedToken = policy.uploader !== null && !policy.uploader.admin && policy.uploader.maxDevices !== null;
  return {
    deviceCount: device === null && policy.maxDevices !== null,
    tokenDeviceCount: device === null && limitedToken,
    databaseSize: policy.maxDbBytes !== null && (device === null || device.reportCount < policy.keepPerDevice),
  };
}

export interface UploadFacts {
  deviceCount?: number;
  tokenDeviceCount?: number;
  databaseSize?: number;
  bodyBytes: number;
}

/** Null when the upload may go ahead; the refusal otherwise. Nothing has been written when this is asked. */
export function uploadRefusal(policy: UploadPolicy, device: DeviceFacts | null, facts: UploadFacts): UploadRefusal | null {
  const uploader = policy.uploader;
  if (device !== null && uploader !== null && !uploader.admin && device.owner !== null && device.owner !== uploader.tokenId && !uploader.allowedByPattern) {
    return { status: 'refused', reason: 'device_owned' };
  }
  if (device === null && uploader !== null && !uploader.admin && uploader.maxDevices !== null && (facts.tokenDeviceCount ?? 0) >= uploader.maxDevices) {
    return { status: 'refused', reason: 'token_device_limit', limit: uploader.maxDevices };
  }
  if (device === null && policy.maxDevices !== null && (facts.deviceCount ?? 0) >= policy.maxDevices) {
    return { status: 'full', reason: 'max_devices', limit: policy.maxDevices };
  }
  if (policy.maxDbBytes !== null && facts.databaseSize !== undefined && facts.databaseSize + facts.bodyBytes > policy.maxDbBytes) {
    return { status: 'full', reason: 'max_db_size', limit: policy.maxDbBytes, bytes: facts.databaseSize };
  }
  return null;
}

/** The token recorded as the device's creator: a device without one is adopted by its next uploader. */
export function ownerAfterUpload(device: DeviceFacts | null, uploader: Uploader | null): string | null {
  if (device !== null && device.owner !== null) return device.owner;
  return uploader?.tokenId ?? null;
}

const PATTERN_LIMIT = 200;

/** Checks a `--devices` value: comma-separated glob patterns (`*` any run of characters, `?` one). */
export function parseDevicePattern(value: string): string {
  const patterns = value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (patterns.length === 0) throw new Error('name at least one device pattern, e.g. lab-pi-*');
  if (patterns.join(',').length > PATTERN_LIMIT) throw new Error(`the device patterns may be at most ${PATTERN_LIMIT} characters`);
  for (const pattern of patterns) {
    if (/[\u0000-\u001f\u007f]/.test(pattern)) throw new Error(`device pattern "${pattern.replace(/[\u0000-\u001f\u007f]/g, '?')}" has a control character`);
  }
  return patterns.join(',');
}

/** Does a device name match one of the token's patterns? Case-sensitive, as device names are. */
export function deviceAllowed(pattern: string, name: string): boolean {
  return pattern.split(',').some((glob) => {
    const regex = glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    return new RegExp(`^${regex}$`, 's').test(name);
  });
}

/** `%` and `_` are LIKE's wildcards; a search for them means the characters themselves. */
export function likePattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
