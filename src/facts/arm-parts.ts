// ARM's CPU part numbers: the one place this table is kept. probes/lib/parsers/cpuinfo.ts reads it, and the
// POSIX-sh probe gets it from its assembler. Source: Linux arch/arm64/include/asm/cputype.h
// (https://github.com/torvalds/linux/blob/master/arch/arm64/include/asm/cputype.h) and the Cortex technical
// reference manuals.

/** /proc/cpuinfo "CPU implementer" of ARM Ltd; the part numbers below are its own. */
export const ARM_IMPLEMENTER = '0x41';

/** /proc/cpuinfo "CPU part" (lower case) -> core name, for implementer 0x41. */
export const ARM_PARTS: Readonly<Record<string, string>> = {
  '0xb76': 'ARM1176JZF-S',
  '0xc07': 'Cortex-A7',
  '0xc08': 'Cortex-A8',
  '0xc09': 'Cortex-A9',
  '0xc0f': 'Cortex-A15',
  '0xd03': 'Cortex-A53',
  '0xd04': 'Cortex-A35',
  '0xd05': 'Cortex-A55',
  '0xd07': 'Cortex-A57',
  '0xd08': 'Cortex-A72',
  '0xd0b': 'Cortex-A76',
};
