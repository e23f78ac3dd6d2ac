// The kernel's machine and the userland's ABI, pure. They differ on Raspberry Pi OS 32-bit on a Pi 3, 4 or 5:
// a 64-bit kernel (uname -m: aarch64) runs an armhf userland, and pip and apt install for the userland
// (armv7l wheels, armhf packages). A live system and a recorded tree of the same device must give the same
// two answers; the tree has no uname, but its /proc/cpuinfo was read by a userland program and shows that
// reader's view (the 32-bit "compat" view of a 64-bit kernel says "(v8l)").
import { archFromCpuinfo, type Cpuinfo } from './cpuinfo.js';
import { armFloatAbi, type ElfIdentity, EM } from './elf.js';

export interface ArchFinding {
  kernelArch: string | null;
  userlandArch: string | null;
  userlandBits: 32 | 64 | null;
  /** How the kernel's machine was found (and what was assumed). */
  kernelSource: string;
  /** How the userland ABI was found (and what was assumed). */
  userlandSource: string;
}

/**
 * uname -m as the kernel's machine. armv8l is what a 64-bit ARM kernel tells a task running under the
 * 32-bit personality (linux32, COMPAT_UTS_MACHINE); the kernel itself is aarch64.
 */
export function kernelArchFromUname(machine: string): string {
  return machine === 'armv8l' ? 'aarch64' : machine;
}

/** The ARM architecture level of the CPU (6, 7, 8) from uname -m, else from /proc/cpuinfo; null off ARM. */
export function armLevel(machine: string | null, cpuinfo: Cpuinfo): number | null {
  const fromMachine = machine === null ? null : (/^armv(\d+)/.exec(machine)?.[1] ?? (machine === 'aarch64' ? '8' : null));
  if (fromMachine) return Number(fromMachine);
  // An ARM1176 prints "CPU architecture: 7" (it has the CPUID scheme); its model name says ARMv6.
  const seen = archFromCpuinfo(cpuinfo).arch;
  const levels: Record<string, number> = { armv6l: 6, armv7l: 7, armv8l: 8, aarch64: 8 };
  return seen === null ? null : (levels[seen] ?? null);
}

/**
 * What pip calls the platform of a program built for `elf`: the ABI of the userland it belongs to.
 * 32-bit ARM: armv6l on an ARMv6 CPU, armv7l from ARMv7 on (pip on a 64-bit kernel accepts armv7l wheels
 * as well: packaging's tags list armv8l then armv7l); the float ABI goes to the finding's source.
 */
export function userlandArchFromElf(elf: ElfIdentity, cpuArmLevel: number | null): string | null {
  switch (elf.machine) {
    case EM.x86_64:
      return elf.bits === 64 ? 'x86_64' : null; // 32-bit x86-64 (x32) has no wheels at all
    case EM.i386:
      return 'i686';
    case EM.aarch64:
      return elf.littleEndian ? 'aarch64' : 'aarch64_be';
    case EM.arm:
      if (cpuArmLevel !== null && cpuArmLevel <= 6) return 'armv6l';
      if (cpuArmLevel !== null || armFloatAbi(elf) === 'hard') return 'armv7l';
      return null;
    case EM.riscv:
      return elf.bits === 64 ? 'riscv64' : 'riscv32';
    case EM.ppc64:
      return elf.littleEndian ? 'ppc64le' : 'ppc64';
    case EM.ppc:
      return 'ppc';
    case EM.s390:
      return elf.bits === 64 ? 's390x' : 's390';
    case EM.loongarch:
      return elf.bits === 64 ? 'loongarch64' : null;
    case EM.mips:
      return `mips${elf.bits === 64 ? '64' : ''}${elf.littleEndian ? 'el' : ''}`;
    default:
      return null;
  }
}

/** Describes a program's ELF identity for the report: "ELF 32-bit ARM, hard-float (loader /lib/ld-linux-armhf.so.3)". */
export function describeElf(elf: ElfIdentity): string {
  const names: Record<number, string> = {
    [EM.i386]: 'i386',
    [EM.arm]: 'ARM',
    [EM.x86_64]: 'x86-64',
    [EM.aarch64]: 'AArch64',
    [EM.riscv]: 'RISC-V',
    [EM.ppc64]: 'PowerPC64',
    [EM.s390]: 'S/390',
  };
  const float = armFloatAbi(elf);
  return `ELF ${elf.bits}-bit ${names[elf.machine] ?? `machine ${elf.machine}`}${float ? `, ${float}-float` : ''}${elf.interpreter ? ` (loader ${elf.interpreter})` : ''}`;
}

/** A live system: uname -m for the kernel, a userland program's ELF header for the userland. */
export function archFromLive(machine: string, program: { path: string; elf: ElfIdentity } | null, cpuinfo: Cpuinfo): ArchFinding {
  const kernelArch = kernelArchFromUname(machine);
  const kernelSource = machine === kernelArch ? 'uname -m' : `uname -m says ${machine} (a 32-bit task on a 64-bit ARM kernel)`;
  if (program === null) {
    return { kernelArch, userlandArch: null, userlandBits: null, kernelSource, userlandSource: 'no userland program could be read (/bin/sh, /proc/self/exe)' };
  }
  const userlandArch = userlandArchFromElf(program.elf, armLevel(machine, cpuinfo));
  return { kernelArch, userlandArch, userlandBits: program.elf.bits, kernelSource, userlandSource: `${program.path}: ${describeElf(program.elf)}` };
}

const COMPAT_ASSUMPTION =
  'recorded /proc/cpuinfo in the 32-bit (compat) view of a 64-bit ARM kernel: its reader was a 32-bit program; armv7l assumes a hard-float (armhf) userland, as Raspberry Pi OS 32-bit and Debian armhf are';

/**
 * A recorded tree: its cpuinfo for the kernel and, when the tree holds a userland program (bin/sh), that
 * program's ELF header for the userland; otherwise the cpuinfo reader's view stands for the userland.
 */
export function archFromRecorded(cpuinfo: Cpuinfo, program: { path: string; elf: ElfIdentity } | null): ArchFinding {
  const seen = archFromCpuinfo(cpuinfo);
  const kernelArch = seen.arch === 'armv8l' ? 'aarch64' : seen.arch;
  const kernelSource =
    seen.arch === 'armv8l'
      ? 'recorded /proc/cpuinfo: the compat view ("(v8l)", CPU architecture 8) only a 64-bit ARM kernel prints'
      : seen.arch === 'x86_64'
        ? 'recorded /proc/cpuinfo: assumed from the lm flag (a 64-bit CPU; uname cannot be recorded)'
        : 'recorded /proc/cpuinfo (uname cannot be recorded)';
  if (program !== null) {
    const userlandArch = userlandArchFromElf(program.elf, armLevel(null, cpuinfo));
    return { kernelArch, userlandArch, userlandBits: program.elf.bits, kernelSource, userlandSource: `recorded ${program.path}: ${describeElf(program.elf)}` };
  }
  switch (seen.arch) {
    case 'armv8l':
      return { kernelArch, userlandArch: 'armv7l', userlandBits: 32, kernelSource, userlandSource: COMPAT_ASSUMPTION };
    case 'x86_64':
      return {
        kernelArch,
        userlandArch: 'x86_64',
        userlandBits: null,
        kernelSource,
        userlandSource: 'assumed x86_64: x86 /proc/cpuinfo looks the same to 32- and 64-bit readers, and the tree holds no bin/sh to tell',
      };
    case null:
      return { kernelArch, userlandArch: null, userlandBits: null, kernelSource, userlandSource: 'recorded /proc/cpuinfo names no known architecture' };
    default:
      return {
        kernelArch,
        userlandArch: seen.arch,
        userlandBits: seen.userlandBits,
        kernelSource,
        userlandSource: 'recorded /proc/cpuinfo, as its reader saw it',
      };
  }
}
