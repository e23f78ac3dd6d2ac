// /proc/PID/* and /proc/net/* formats. Pure.

/** NUL-separated argv of /proc/PID/cmdline. */
export function parseCmdline(text: string): string[] {
  return text
    .split('\0')
    .filter((part, i, all) => part.length > 0 || i < all.length - 1)
    .filter((p) => p.length > 0);
}

/** PPid and the real Uid from /proc/PID/status. */
export function parseProcStatus(text: string): { ppid: number | null; uid: number | null } {
  const ppid = /^PPid:\s*(\d+)/m.exec(text);
  const uid = /^Uid:\s*(\d+)/m.exec(text);
  return { ppid: ppid?.[1] ? Number(ppid[1]) : null, uid: uid?.[1] ? Number(uid[1]) : null };
}

export interface ListeningSocket {
  /** "0.0.0.0", "127.0.0.1", "::", "::1" ... */
  address: string;
  port: number;
  inode: number;
  family: 4 | 6;
}

function ipv4(hex: string): string {
  // /proc/net/tcp prints the address as a host-order (little-endian on every board we probe) 32-bit hex word.
  const bytes =
    hex
      .match(/../g)
      ?.map((b) => parseInt(b, 16))
      .reverse() ?? [];
  return bytes.join('.');
}

function ipv6(hex: string): string {
  // Four 32-bit words, each in host order.
  const bytes = (hex.match(/.{8}/g) ?? []).flatMap((w) => (w.match(/../g) ?? []).reverse()).map((b) => parseInt(b, 16));
  if (bytes.length !== 16) return hex;
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  if (groups.every((g) => g === 0)) return '::';
  if (groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1) return '::1';
  return groups.map((g) => g.toString(16)).join(':');
}

const LISTEN_TOKEN = /\s0A\s/;

/** TCP sockets in LISTEN state (st 0A) from /proc/net/tcp or /proc/net/tcp6. */
export function parseProcNetTcp(text: string, family: 4 | 6): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    // Only listening sockets (state 0A) count, and a busy machine lists thousands of others: a line without a
    // whitespace-delimited 0A cannot hold one, and is not split into its seventeen fields.
    if (!LISTEN_TOKEN.test(line)) continue;
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const [local, , state] = [fields[1], fields[2], fields[3]];
    if (state !== '0A' || !local) continue;
    const [addrHex, portHex] = local.split(':');
    if (!addrHex || !portHex) continue;
    const inode = Number(fields[9]);
    out.push({ address: family === 4 ? ipv4(addrHex) : ipv6(addrHex), port: parseInt(portHex, 16), inode: Number.isFinite(inode) ? inode : 0, family });
  }
  return out;
}

/** Is this listening address reachable from 127.0.0.1 / ::1? */
export function reachableFromLoopback(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
}
