// Where `edgeprobe ssh` finds its hosts: command-line devices, a plain host-list file, or an Ansible
// inventory (INI or YAML) with groups, children, group vars and the ansible_host / ansible_port /
// ansible_user connection variables. Pure functions over text; the command reads the files.
import { createRequire } from 'node:module';

// The yaml package is loaded when a YAML inventory is read: it is most of what loading the CLI costs, and
// most commands never read one. require() keeps parsing synchronous.
const requireLater = createRequire(import.meta.url);

function parseYaml(text: string, options: import('yaml').ParseOptions & import('yaml').DocumentOptions): unknown {
  return (requireLater('yaml') as typeof import('yaml')).parse(text, options);
}

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

function parsePort(value: string, where: string): number {
  if (!/^\d{1,5}$/.test(value.trim())) throw new InventoryError(`${where}: port "${value}" is not a number`);
  const port = Number(value.trim());
  if (port < 1 || port > PORT_MAX) throw new InventoryError(`${where}: port ${port} is out of range (1-${PORT_MAX})`);
  return port;
}

// A host name, address or ssh alias: no white space, no shell or option syntax.
const HOST_PATTERN = /^[A-Za-z0-9_.:%-]+$/;
const USER_PATTERN = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$/;

function checkHost(host: string, where: string): string {
  if (!HOST_PATTERN.test(host) || host.startsWith('-')) throw new InventoryError(`${where}: "${host.slice(0, 80)}" is not a valid host name or address`);
  return host;
}

function checkUser(user: string, where: string): string {
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

type Vars = Record<string, unknown>;

interface Group {
  hosts: Map<string, Vars>;
  vars: Vars;
  children: Set<string>;
}

/** The parsed inventory before resolution: groups with their hosts, vars and children. */
class InventoryModel {
  readonly groups = new Map<string, Group>();
  /** Hosts in first-seen order. */
  readonly hostOrder: string[] = [];

  group(name: string): Group {
    let group = this.groups.get(name);
    if (!group) {
      group = { hosts: new Map(), vars: {}, children: new Set() };
      this.groups.set(name, group);
    }
    return group;
  }

  addHost(groupName: string, host: string, vars: Vars): void {
    const group = this.group(groupName);
    group.hosts.set(host, { ...(group.hosts.get(host) ?? {}), ...vars });
    if (!this.hostOrder.includes(host)) this.hostOrder.push(host);
  }

  /** Groups each host belongs to, directly or through children, plus "all". */
  private membership(): Map<string, Set<string>> {
    const result = new Map<string, Set<string>>();
    const visit = (groupName: string, trail: string[]): string[] => {
      if (trail.includes(groupName)) throw new InventoryError(`group "${groupName}" is its own descendant (${[...trail, groupName].join(' > ')})`);
      const group = this.groups.get(groupName);
      if (!group) return [];
      const hosts = [...group.hosts.keys()];
      for (const child of group.children) hosts.push(...visit(child, [...trail, groupName]));
      return hosts;
    };
    for (const name of this.groups.keys()) {
      for (const host of visit(name, [])) {
        const set = result.get(host) ?? new Set<string>();
        set.add(name);
        result.set(host, set);
      }
    }
    return result;
  }

  /** Depth of a group below "all", for vars precedence (deeper groups win, as in Ansible). */
  private depth(name: string, seen: string[] = []): number {
    let best = 0;
    for (const [parentName, parent] of this.groups) {
      if (parent.children.has(name) && !seen.includes(parentName)) best = Math.max(best, this.depth(parentName, [...seen, name]) + 1);
    }
    return best;
  }

  resolve(file: string): RemoteDevice[] {
    const membership = this.membership();
    const devices: RemoteDevice[] = [];
    for (const host of this.hostOrder) {
      const groups = [...(membership.get(host) ?? new Set<string>())].filter((g) => g !== 'all' && g !== 'ungrouped').sort();
      // all's vars first, then groups from shallow to deep (ties by name, as Ansible sorts them), then host vars.
      const ordered = [...groups].sort((a, b) => this.depth(a) - this.depth(b) || a.localeCompare(b));
      const vars: Vars = { ...(this.groups.get('all')?.vars ?? {}) };
      for (const name of ordered) Object.assign(vars, this.groups.get(name)?.vars ?? {});
      for (const name of ['all', ...ordered, 'ungrouped']) Object.assign(vars, this.groups.get(name)?.hosts.get(host) ?? {});
      devices.push(deviceFromVars(host, vars, groups, `${file}: host "${host}"`));
    }
    return devices;
  }
}

function stringVar(vars: Vars, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = vars[name];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
    if (typeof value === 'number') return String(value);
  }
  return undefined;
}

function deviceFromVars(name: string, vars: Vars, groups: string[], where: string): RemoteDevice {
  const host = stringVar(vars, 'ansible_host', 'ansible_ssh_host') ?? name;
  const device: RemoteDevice = { name, host: checkHost(host, where), groups };
  const port = stringVar(vars, 'ansible_port', 'ansible_ssh_port');
  if (port !== undefined) device.port = parsePort(port, where);
  const user = stringVar(vars, 'ansible_user', 'ansible_ssh_user');
  if (user !== undefined) device.user = checkUser(user, where);
  const key = stringVar(vars, 'ansible_ssh_private_key_file', 'ansible_private_key_file');
  if (key !== undefined) device.identityFile = key;
  const python = stringVar(vars, 'ansible_python_interpreter');
  if (python !== undefined && python !== 'auto' && !python.startsWith('auto_')) device.python = python;
  const extra = [stringVar(vars, 'ansible_ssh_common_args'), stringVar(vars, 'ansible_ssh_extra_args')].filter((v): v is string => v !== undefined);
  if (extra.length > 0) device.sshArgs = extra.flatMap((text) => splitWords(text, `${where}: ansible_ssh_*_args`));
  return device;
}

/** Splits a command-line fragment into words as a POSIX shell would (quotes, backslashes), without expansion. */
export function splitWords(text: string, where: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    const next = text.charAt(i + 1);
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && next !== '' && '"\\$`'.includes(next)) {
        word += next;
        i++;
      } else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && next !== '') {
      word += next;
      inWord = true;
      i++;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== null) throw new InventoryError(`${where}: unbalanced ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}

/** Ansible host ranges: `web[01:03].lan` -> web01.lan, web02.lan, web03.lan; `db-[a:c]` -> db-a, db-b, db-c. */
export function expandHostPattern(pattern: string, where: string): string[] {
  const match = /^(.*?)\[([0-9a-z]+):([0-9a-z]+)(?::(\d+))?\](.*)$/i.exec(pattern);
  if (!match) return [pattern];
  const [, prefix = '', from = '', to = '', stepText, suffix = ''] = match;
  const step = stepText === undefined ? 1 : Number(stepText);
  if (step < 1) throw new InventoryError(`${where}: bad step in "${pattern}"`);
  const out: string[] = [];
  if (/^\d+$/.test(from) && /^\d+$/.test(to)) {
    const width = from.length;
    const a = Number(from);
    const b = Number(to);
    if (b < a || (b - a) / step > 4096) throw new InventoryError(`${where}: bad range in "${pattern}"`);
    for (let n = a; n <= b; n += step) out.push(`${prefix}${String(n).padStart(width, '0')}${suffix}`);
  } else if (/^[a-z]$/i.test(from) && /^[a-z]$/i.test(to)) {
    const a = from.charCodeAt(0);
    const b = to.charCodeAt(0);
    if (b < a) throw new InventoryError(`${where}: bad range in "${pattern}"`);
    for (let c = a; c <= b; c += step) out.push(`${prefix}${String.fromCharCode(c)}${suffix}`);
  } else {
    throw new InventoryError(`${where}: bad range in "${pattern}"`);
  }
  return out.flatMap((p) => expandHostPattern(p, where));
}

/** Splits `key=value key2="quoted value"` as Ansible's INI inventory does. */
function splitKeyValues(text: string, where: string): Vars {
  const vars: Vars = {};
  const pattern = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  for (const match of text.matchAll(pattern)) {
    const key = match[1] ?? '';
    let value = match[2] ?? '';
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
    vars[key] = value;
  }
  const leftover = text.replace(pattern, '').trim();
  if (leftover !== '') throw new InventoryError(`${where}: cannot read "${leftover.slice(0, 80)}" (expected key=value)`);
  return vars;
}

/** Ansible's INI inventory format (https://docs.ansible.com/ansible/latest/inventory_guide/intro_inventory.html). */
export function parseIniInventory(text: string, file = 'inventory'): RemoteDevice[] {
  const model = new InventoryModel();
  model.group('all');
  let section = 'ungrouped';
  let kind: 'hosts' | 'vars' | 'children' = 'hosts';
  text.split('\n').forEach((raw, index) => {
    const where = `${file}:${index + 1}`;
    const line = raw.replace(/^\s*[#;].*$/, '').replace(/\s+#.*$/, '').trim();
    if (line === '') return;
    const header = /^\[([^\]:]+)(?::(vars|children))?\]$/.exec(line);
    if (header && header[1] !== undefined) {
      section = header[1].trim();
      kind = (header[2] as 'vars' | 'children' | undefined) ?? 'hosts';
      model.group(section);
      return;
    }
    if (line.startsWith('[')) throw new InventoryError(`${where}: cannot read section header "${line.slice(0, 80)}"`);
    if (kind === 'vars') {
      const eq = line.indexOf('=');
      if (eq < 0) throw new InventoryError(`${where}: expected key=value in [${section}:vars]`);
      let value = line.slice(eq + 1).trim();
      if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
      model.group(section).vars[line.slice(0, eq).trim()] = value;
    } else if (kind === 'children') {
      model.group(section).children.add(line.split(/\s+/)[0] ?? line);
      model.group(line.split(/\s+/)[0] ?? line);
    } else {
      const space = line.search(/\s/);
      const pattern = space < 0 ? line : line.slice(0, space);
      const vars = space < 0 ? {} : splitKeyValues(line.slice(space + 1), where);
      for (const host of expandHostPattern(pattern, where)) model.addHost(section, host, vars);
    }
  });
  return model.resolve(file);
}

function asRecord(value: unknown, where: string): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new InventoryError(`${where}: expected a mapping`);
  return value as Record<string, unknown>;
}

/** Ansible's YAML inventory format: all: {hosts, vars, children: {group: {hosts, vars, children}}}. */
export function parseYamlInventory(text: string, file = 'inventory'): RemoteDevice[] {
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: true, uniqueKeys: false });
  } catch (err) {
    throw new InventoryError(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0] ?? ''}`);
  }
  const root = asRecord(document, file);
  const model = new InventoryModel();
  model.group('all');
  const visit = (name: string, body: unknown, trail: string[]): void => {
    const where = `${file}: group "${[...trail, name].join(' > ')}"`;
    if (trail.includes(name)) throw new InventoryError(`${where}: a group cannot contain itself`);
    const group = asRecord(body, where);
    for (const key of Object.keys(group)) {
      if (!['hosts', 'vars', 'children'].includes(key)) throw new InventoryError(`${where}: unexpected key "${key}" (expected hosts, vars, children)`);
    }
    const entry = model.group(name);
    Object.assign(entry.vars, asRecord(group['vars'], `${where} vars`));
    for (const [pattern, hostVars] of Object.entries(asRecord(group['hosts'], `${where} hosts`))) {
      for (const host of expandHostPattern(pattern, where)) model.addHost(name, host, asRecord(hostVars, `${where} host "${host}"`));
    }
    for (const [child, childBody] of Object.entries(asRecord(group['children'], `${where} children`))) {
      entry.children.add(child);
      visit(child, childBody, [...trail, name]);
    }
  };
  for (const [name, body] of Object.entries(root)) {
    visit(name, body, []);
    if (name !== 'all') model.group('all').children.add(name);
  }
  return model.resolve(file);
}

export type InventoryFormat = 'yaml' | 'ini' | 'list';

/** Guesses the format from the file name and content. */
export function detectInventoryFormat(file: string, text: string): InventoryFormat {
  if (/\.ya?ml$/i.test(file)) return 'yaml';
  if (/\.(ini|cfg)$/i.test(file)) return 'ini';
  const meaningful = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith(';'));
  const first = meaningful[0] ?? '';
  if (first === '---' || /^[A-Za-z0-9_.-]+:\s*$/.test(first)) return 'yaml';
  if (meaningful.some((l) => /^\[[^\]]+\]$/.test(l) || /\s[A-Za-z_][A-Za-z0-9_]*=/.test(l))) return 'ini';
  return 'list';
}

export function parseInventory(file: string, text: string): RemoteDevice[] {
  switch (detectInventoryFormat(file, text)) {
    case 'yaml': return parseYamlInventory(text, file);
    case 'ini': return parseIniInventory(text, file);
    case 'list': return parseHostList(text, file);
  }
}

/**
 * Which hosts to probe: with inventories, each positional argument that names a group or host of an inventory
 * selects it (like an Ansible pattern); any other argument is a device of its own. Duplicates are dropped.
 */
export function selectDevices(args: readonly string[], inventories: readonly RemoteDevice[]): RemoteDevice[] {
  const selected: RemoteDevice[] = [];
  const seen = new Set<string>();
  const add = (device: RemoteDevice): void => {
    const key = `${device.name}\u0000${device.user ?? ''}\u0000${device.host}\u0000${device.port ?? ''}`;
    if (!seen.has(key)) {
      seen.add(key);
      selected.push(device);
    }
  };
  if (args.length === 0) inventories.forEach(add);
  for (const arg of args) {
    const matches = inventories.filter((t) => t.name === arg || t.groups.includes(arg) || arg === 'all');
    if (matches.length > 0) matches.forEach(add);
    else add(parseDeviceSpec(arg));
  }
  const names = new Map<string, number>();
  return selected.map((device) => {
    // Two entries with one name (e.g. pi@a and root@a given twice) keep distinct report files.
    const count = names.get(device.name) ?? 0;
    names.set(device.name, count + 1);
    return count === 0 ? device : { ...device, name: `${device.name}#${count + 1}` };
  });
}
