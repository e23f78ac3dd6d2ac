// The device a probe connects to, and the command-line and host-list forms of it (one device per line).

export interface RemoteDevice {
  /** Name shown in the table and used for the report file: the inventory name or the argument as given. */
  name: string;
  /** What ssh connects to: a host name, an address or a ~/.ssh/config alias. */
  host: string;
  port?: number;
  user?: string;
  /** ansible_ssh_private_key_file / ansible_private_key_file. */
  identityFile?: string;
  /** ansible_python_interpreter: the interpreter the python metrics should use. */
  python?: string;
  /** ansible_ssh_common_args + ansible_ssh_extra_args, split into words: extra ssh arguments. */
  sshArgs?: string[];
  groups: string[];
}

export class InventoryError extends Error {}

const PORT_MAX = 65535;

export function parsePort(value: string, where: string): number {
  if (!/^\d{1,5}$/.test(value.trim())) throw new InventoryError(`${where}: port "${value}" is not a number`);
  const port = Number(value.trim());
  if (port < 1 || port > PORT_MAX) throw new InventoryError(`${where}: port ${port} is out of range (1-${PORT_MAX})`);
  return port;
}

// A host name, address or ssh alias: no white space, no shell or option syntax.
const HOST_PATTERN = /^[A-Za-z0-9_.:%-]+$/;
const USER_PATTERN = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$/;

export function checkHost(host: string, where: string): string {
  if (!HOST_PATTERN.test(host) || host.startsWith('-')) throw new InventoryError(`${where}: "${host.slice(0, 80)}" is not a valid host name or address`);
  return host;
}

export function checkUser(user: string, where: string): string {
  if (!USER_PATTERN.test(user)) throw new InventoryError(`${where}: "${user.slice(0, 80)}" is not a valid user name`);
  return user;
}

/**
 * One command-line device: `host`, `user@host`, `host:port`, `user@host:port`, `[v6addr]:port`,
 * or `ssh://user@host:port`.
 */
export function parseDeviceSpec(spec: string, where = 'device'): RemoteDevice {
  let rest = spec.trim();
  if (rest === '') throw new InventoryError(`${where}: empty device`);
  if (rest.startsWith('ssh://')) rest = rest.slice('ssh://'.length).replace(/\/$/, '');
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = checkUser(rest.slice(0, at), where);
    rest = rest.slice(at + 1);
  }
  let host = rest;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracketed && bracketed[1] !== undefined) {
    host = bracketed[1];
    if (bracketed[2] !== undefined) port = parsePort(bracketed[2], where);
  } else if ((rest.match(/:/g) ?? []).length === 1) {
    const [h, p] = rest.split(':');
    host = h ?? '';
    port = parsePort(p ?? '', where);
  }
  checkHost(host, where);
  const device: RemoteDevice = { name: spec.trim(), host, groups: [] };
  if (port !== undefined) device.port = port;
  if (user !== undefined) device.user = user;
  return device;
}

/** A plain host list: one device per line (same syntax as the command line), `#` comments, blank lines. */
export function parseHostList(text: string, file = 'host list'): RemoteDevice[] {
  const devices: RemoteDevice[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const fields = line.split(/\s+/);
    if (fields.length > 1) throw new InventoryError(`${file}:${index + 1}: one host per line expected, got "${line.slice(0, 80)}"`);
    devices.push(parseDeviceSpec(line, `${file}:${index + 1}`));
  });
  return devices;
}
