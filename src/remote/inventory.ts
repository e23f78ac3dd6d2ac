// Where `edgeprobe ssh` finds its hosts: command-line devices, a plain host-list file, or an Ansible
// inventory (INI or YAML) with groups, children, group vars and the ansible_host / ansible_port /
// ansible_user connection variables. Pure functions over text; the command reads the files.
import { expandHostPattern, parseIniInventory, parseYamlInventory, splitWords } from './inventory-ansible.js';
import { InventoryError, parseDeviceSpec, parseHostList, type RemoteDevice } from './inventory-device.js';

export { expandHostPattern, InventoryError, parseDeviceSpec, parseHostList, parseIniInventory, parseYamlInventory, type RemoteDevice, splitWords };

export type InventoryFormat = 'yaml' | 'ini' | 'list';

/** Guesses the format from the file name and content. */
export function detectInventoryFormat(file: string, text: string): InventoryFormat {
  if (/\.ya?ml$/i.test(file)) return 'yaml';
  if (/\.(ini|cfg)$/i.test(file)) return 'ini';
  const meaningful = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith(';'));
  const first = meaningful[0] ?? '';
  if (first === '---' || /^[A-Za-z0-9_.-]+:\s*$/.test(first)) return 'yaml';
  if (meaningful.some((l) => /^\[[^\]]+\]$/.test(l) || /\s[A-Za-z_][A-Za-z0-9_]*=/.test(l))) return 'ini';
  return 'list';
}

export function parseInventory(file: string, text: string): RemoteDevice[] {
  switch (detectInventoryFormat(file, text)) {
    case 'yaml':
      return parseYamlInventory(text, file);
    case 'ini':
      return parseIniInventory(text, file);
    case 'list':
      return parseHostList(text, file);
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
