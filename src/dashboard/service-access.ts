// Who may upload for which device, and the HTTP errors for uploads the store refused.
import { HttpError } from './service-errors.js';
import { deviceAllowed, type TokenRecord, type Uploader, type UploadRefusal } from './store/store.js';

/** Who may upload what: an admin token anything; a bound token the devices its patterns name. */
export function uploaderFor(token: TokenRecord | null, deviceName: string): Uploader | null {
  if (!token) return null;
  const admin = token.scopes.includes('admin');
  if (!admin && token.devicePattern !== null && !deviceAllowed(token.devicePattern, deviceName)) {
    throw new HttpError(
      403,
      'forbidden',
      `the token "${token.name}" may upload only for devices named ${token.devicePattern.split(',').join(' or ')}, not "${deviceName.slice(0, 200)}"`,
      { reason: 'device_not_allowed' },
    );
  }
  return { tokenId: token.id, admin, allowedByPattern: token.devicePattern !== null, maxDevices: token.maxDevices };
}

const MIB = 1024 * 1024;

export function refusalError(refusal: UploadRefusal, name: string, token: TokenRecord | null): HttpError {
  const tokenName = token ? `the token "${token.name}"` : 'this upload';
  switch (refusal.reason) {
    case 'device_owned':
      return new HttpError(
        403,
        'forbidden',
        `the device "${name.slice(0, 200)}" was created by another token; ${tokenName} may upload for it only if it is bound to it (serve token create --devices)`,
        { reason: refusal.reason },
      );
    case 'token_device_limit':
      return new HttpError(
        403,
        'forbidden',
        `${tokenName} has created its ${refusal.limit} devices (its --max-devices); "${name.slice(0, 200)}" would be one more`,
        { reason: refusal.reason, limit: refusal.limit },
      );
    case 'max_devices':
      return new HttpError(
        507,
        'insufficient_storage',
        `the dashboard is full: it holds ${refusal.limit} devices, its --max-devices; nothing was stored. Delete devices or raise the limit`,
        { reason: refusal.reason, limit: refusal.limit },
      );
    case 'max_db_size':
      return new HttpError(
        507,
        'insufficient_storage',
        `the dashboard is full: its database holds ${(refusal.bytes / MIB).toFixed(1)} MiB of its --max-db-size ${(refusal.limit / MIB).toFixed(1)} MiB; nothing was stored. Devices already at their --keep reports still report; delete devices or raise the limit`,
        { reason: refusal.reason, limit: refusal.limit, bytes: refusal.bytes },
      );
  }
}
