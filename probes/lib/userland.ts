// Which kernel and which userland ABI the device runs (ctx-based; the rules are in parsers/arch.ts).
import { machine } from 'node:os';
import type { ProbeContext } from '../../src/engine/probe.js';
import { type ArchFinding, archFromLive, archFromRecorded } from './parsers/arch.js';
import type { Cpuinfo } from './parsers/cpuinfo.js';
import { type ElfIdentity, parseElfHeader } from './parsers/elf.js';

// The ELF header and the program headers that follow it, where PT_INTERP sits, fit in the first 4 KiB.
const ELF_HEAD_BYTES = 4096;

/** The first program that is an ELF file: /bin/sh is what the userland's own tools run under. */
async function userlandProgram(ctx: ProbeContext, paths: readonly string[]): Promise<{ path: string; elf: ElfIdentity } | null> {
  for (const path of paths) {
    const head = await ctx.readHead(path, ELF_HEAD_BYTES);
    const elf = head === null ? null : parseElfHeader(head);
    if (elf) return { path, elf };
  }
  return null;
}

export async function findArch(ctx: ProbeContext, cpuinfo: Cpuinfo): Promise<ArchFinding> {
  if (ctx.live) return archFromLive(machine(), await userlandProgram(ctx, ['/bin/sh', '/proc/self/exe']), cpuinfo);
  return archFromRecorded(cpuinfo, await userlandProgram(ctx, ['/bin/sh']));
}
