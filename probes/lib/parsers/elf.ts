// The start of an ELF file, pure: which ABI a program was built for. The userland's ABI (what pip and apt
// install for) is that of its programs, whatever the kernel under them runs: a 64-bit ARM kernel runs the
// 32-bit armhf userland of Raspberry Pi OS 32-bit. Layout: the System V ABI's ELF header and program headers.

export interface ElfIdentity {
  bits: 32 | 64;
  littleEndian: boolean;
  /** e_machine: 3 i386, 40 ARM, 62 x86-64, 183 AArch64, 243 RISC-V ... */
  machine: number;
  /** e_flags; for 32-bit ARM the EABI version and the float ABI. */
  flags: number;
  /** PT_INTERP, the dynamic loader (e.g. /lib/ld-linux-armhf.so.3); null when static or beyond the bytes given. */
  interpreter: string | null;
}

export const EM = { i386: 3, mips: 8, ppc: 20, ppc64: 21, s390: 22, arm: 40, x86_64: 62, aarch64: 183, riscv: 243, loongarch: 258 } as const;

// ARM ELF ABI (AAELF), e_flags: the float ABI the program passes arguments with.
const EF_ARM_ABI_FLOAT_SOFT = 0x200;
const EF_ARM_ABI_FLOAT_HARD = 0x400;
const PT_INTERP = 3;

/** Reads the ELF header (and PT_INTERP when the bytes reach it); null when `bytes` is not an ELF file. */
export function parseElfHeader(bytes: Uint8Array): ElfIdentity | null {
  if (bytes.length < 52 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) return null;
  const bits = bytes[4] === 1 ? 32 : bytes[4] === 2 ? 64 : null;
  const littleEndian = bytes[5] === 1 ? true : bytes[5] === 2 ? false : null;
  if (bits === null || littleEndian === null || (bits === 64 && bytes.length < 64)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number): number => view.getUint16(at, littleEndian);
  const u32 = (at: number): number => view.getUint32(at, littleEndian);
  const u64 = (at: number): number => Number(view.getBigUint64(at, littleEndian));
  const machine = u16(0x12);
  const flags = u32(bits === 32 ? 0x24 : 0x30);
  const phoff = bits === 32 ? u32(0x1c) : u64(0x20);
  const phentsize = u16(bits === 32 ? 0x2a : 0x36);
  const phnum = u16(bits === 32 ? 0x2c : 0x38);
  let interpreter: string | null = null;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + phentsize > bytes.length || phentsize < (bits === 32 ? 32 : 56)) break;
    if (u32(at) !== PT_INTERP) continue;
    const offset = bits === 32 ? u32(at + 4) : u64(at + 8);
    const size = bits === 32 ? u32(at + 16) : u64(at + 32);
    if (offset + size <= bytes.length && size > 1) {
      interpreter = Buffer.from(bytes.subarray(offset, offset + size))
        .toString('latin1')
        .replace(/\0+$/, '');
    }
    break;
  }
  return { bits, littleEndian, machine, flags, interpreter };
}

/** For 32-bit ARM: hard-float (armhf), soft-float (armel), or not stated (old ABIs). */
export function armFloatAbi(elf: ElfIdentity): 'hard' | 'soft' | null {
  if (elf.machine !== EM.arm) return null;
  if ((elf.flags & EF_ARM_ABI_FLOAT_HARD) !== 0 || elf.interpreter?.includes('armhf')) return 'hard';
  if ((elf.flags & EF_ARM_ABI_FLOAT_SOFT) !== 0) return 'soft';
  return null;
}
