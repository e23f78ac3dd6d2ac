// Ansible inventories (INI or YAML): groups, children, group vars and the ansible_host / ansible_port /
// ansible_user connection variables, resolved with Ansible's vars precedence into devices.
import { createRequire } from 'node:module';
import { checkHost, checkUser, InventoryError, parsePort, type RemoteDevice } from './inventory-device.js';

// The yaml package is loaded when a YAML inventory is read: it is most of what loading the CLI costs, and
// most commands never read one. require() keeps parsing synchronous.
const requireLater = createRequire(import.meta.url);

function parseYaml(text: string, options: import('yaml').ParseOptions & import('yaml').DocumentOptions): unknown {
  return (requireLater('yaml') as typeof import('yaml')).parse(text, options);
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
    const line = raw
      .replace(/^\s*[#;].*$/, '')
      .replace(/\s+#.*$/, '')
      .trim();
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
