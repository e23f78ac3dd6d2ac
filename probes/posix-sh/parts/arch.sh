# ---------------------------------------------------------------- kernel machine and userland ABI (probes/lib/parsers/arch.ts)
# They differ on Raspberry Pi OS 32-bit on a Pi 3, 4 or 5: a 64-bit kernel (uname -m: aarch64) runs an armhf
# userland, and pip and apt install for the userland (armv7l). The userland's ABI is the ELF header of /bin/sh;
# a recorded tree without one shows it in the view its /proc/cpuinfo was read with.

# RP <- device path $1 with every link followed under --root (never out to this machine); fails when missing
root_resolve() {
  _pend=$1; RP=; _links=0
  while :; do
    while :; do case $_pend in /*) _pend=${_pend#/} ;; *) break ;; esac; done
    [ -z "$_pend" ] && break
    case $_pend in */*) _part=${_pend%%/*}; _pend=${_pend#*/} ;; *) _part=$_pend; _pend= ;; esac
    case $_part in .) continue ;; ..) RP=${RP%/*}; continue ;; esac
    _cand=$RP/$_part
    if [ -L "$R$_cand" ]; then
      _links=$((_links + 1)); [ "$_links" -gt 40 ] && return 1
      _to=$(readlink "$R$_cand" </dev/null 2>/dev/null) || return 1
      [ -n "$_to" ] || return 1
      case $_to in /*) RP= ;; esac
      _pend=$_to${_pend:+/$_pend}
    elif [ -e "$R$_cand" ]; then
      RP=$_cand
    else
      return 1
    fi
  done
  [ -z "$RP" ] && RP=/
  return 0
}
# ELF_BITS, ELF_MACHINE, ELF_FLOAT <- the ELF header of host file $1 (System V ABI layout); fails when not ELF
elf_read() {
  ELF_BITS=; ELF_MACHINE=; ELF_FLOAT=
  _bytes=$(od -An -tu1 -N64 "$1" </dev/null 2>/dev/null) || return 1
  set -- $_bytes
  [ "$#" -ge 52 ] && [ "$1" = 127 ] && [ "$2" = 69 ] && [ "$3" = 76 ] && [ "$4" = 70 ] || return 1
  case $5 in 1) ELF_BITS=32 ;; 2) ELF_BITS=64; [ "$#" -ge 64 ] || return 1 ;; *) return 1 ;; esac
  _le=$6
  # e_machine at offset 18; e_flags at 36 (32-bit) or 48 (64-bit); $N is byte N-1.
  if [ "$_le" = 1 ]; then ELF_MACHINE=$((${19} + ${20} * 256)); else ELF_MACHINE=$((${19} * 256 + ${20})); fi
  ELF_LE=$_le
  if [ "$ELF_MACHINE" = 40 ] && [ "$_le" = 1 ]; then
    # EF_ARM_ABI_FLOAT_HARD 0x400 / _SOFT 0x200, in the second byte of e_flags (offset 37).
    if [ $((${38} & 4)) -ne 0 ]; then ELF_FLOAT=hard; elif [ $((${38} & 2)) -ne 0 ]; then ELF_FLOAT=soft; fi
  fi
  return 0
}
# V <- the ARM architecture level (6, 7, 8) from machine $1, else from /proc/cpuinfo; empty off ARM (armLevel)
arm_level() {
  V=
  case $1 in armv[0-9]*) _lv=${1#armv}; V=${_lv%%[!0-9]*}; return ;; aarch64) V=8; return ;; esac
  arch_from_cpuinfo
  case $A_ARCH in armv6l) V=6 ;; armv7l) V=7 ;; armv8l|aarch64) V=8 ;; esac
}
# U_ARCH <- what pip calls the platform of the ELF just read, on an ARM CPU of level $1 (userlandArchFromElf)
userland_of_elf() {
  U_ARCH=
  case $ELF_MACHINE in
    62) [ "$ELF_BITS" = 64 ] && U_ARCH=x86_64 ;;
    3) U_ARCH=i686 ;;
    183) if [ "$ELF_LE" = 1 ]; then U_ARCH=aarch64; else U_ARCH=aarch64_be; fi ;;
    40)
      if [ -n "$1" ] && [ "$1" -le 6 ]; then U_ARCH=armv6l
      elif [ -n "$1" ] || [ "$ELF_FLOAT" = hard ]; then U_ARCH=armv7l; fi ;;
    243) if [ "$ELF_BITS" = 64 ]; then U_ARCH=riscv64; else U_ARCH=riscv32; fi ;;
    21) if [ "$ELF_LE" = 1 ]; then U_ARCH=ppc64le; else U_ARCH=ppc64; fi ;;
    20) U_ARCH=ppc ;;
    22) if [ "$ELF_BITS" = 64 ]; then U_ARCH=s390x; else U_ARCH=s390; fi ;;
    258) [ "$ELF_BITS" = 64 ] && U_ARCH=loongarch64 ;;
    8) U_ARCH=mips; [ "$ELF_BITS" = 64 ] && U_ARCH=mips64; [ "$ELF_LE" = 1 ] && U_ARCH=${U_ARCH}el ;;
  esac
}
# "ELF 32-bit ARM, hard-float" for the report (describeElf, without the loader)
elf_describe() {
  case $ELF_MACHINE in 3) _n=i386 ;; 40) _n=ARM ;; 62) _n=x86-64 ;; 183) _n=AArch64 ;; 243) _n=RISC-V ;; 21) _n=PowerPC64 ;; 22) _n=S/390 ;; *) _n="machine $ELF_MACHINE" ;; esac
  T="ELF $ELF_BITS-bit $_n${ELF_FLOAT:+, $ELF_FLOAT-float}"
}
# K_ARCH, K_SRC, K_WHY, U_ARCH, U_BITS, U_SRC, U_BITS_WHY <- the kernel's machine and the userland's ABI
cpu_arch() {
  K_ARCH=; U_ARCH=; U_BITS=; U_BITS_WHY=
  if [ "$LIVE" = true ]; then
    _m=$(uname -m </dev/null 2>/dev/null)
    K_WHY='uname -m failed'; K_ARCH=$_m; K_SRC='uname -m'
    # armv8l: a 32-bit task under the linux32 personality on a 64-bit ARM kernel.
    [ "$_m" = armv8l ] && { K_ARCH=aarch64; K_SRC="uname -m says $_m (a 32-bit task on a 64-bit ARM kernel)"; }
    for _prog in /bin/sh "/proc/$$/exe"; do
      if elf_read "$_prog"; then
        arm_level "$_m"; userland_of_elf "$V"; U_BITS=$ELF_BITS
        elf_describe; U_SRC="$_prog: $T"
        return 0
      fi
    done
    U_SRC='no userland program could be read (/bin/sh, /proc/self/exe)'; U_BITS_WHY=$U_SRC
    return 0
  fi
  arch_from_cpuinfo
  K_WHY='recorded /proc/cpuinfo names no known architecture'
  K_ARCH=$A_ARCH; K_SRC='recorded /proc/cpuinfo (uname cannot be recorded)'
  case $A_ARCH in
    armv8l) K_ARCH=aarch64; K_SRC='recorded /proc/cpuinfo: the compat view ("(v8l)", CPU architecture 8) only a 64-bit ARM kernel prints' ;;
    x86_64) K_SRC='recorded /proc/cpuinfo: assumed from the lm flag (a 64-bit CPU; uname cannot be recorded)' ;;
  esac
  if root_resolve /bin/sh && elf_read "$R$RP"; then
    arm_level ''; userland_of_elf "$V"; U_BITS=$ELF_BITS
    elf_describe; U_SRC="recorded /bin/sh: $T"
    return 0
  fi
  U_BITS=$A_BITS
  case $A_ARCH in
    armv8l) U_ARCH=armv7l; U_BITS=32; U_SRC='recorded /proc/cpuinfo in the 32-bit (compat) view of a 64-bit ARM kernel: its reader was a 32-bit program; armv7l assumes a hard-float (armhf) userland, as Raspberry Pi OS 32-bit and Debian armhf are' ;;
    x86_64) U_ARCH=x86_64; U_SRC='assumed x86_64: x86 /proc/cpuinfo looks the same to 32- and 64-bit readers, and the tree holds no bin/sh to tell' ;;
    '') U_SRC='recorded /proc/cpuinfo names no known architecture' ;;
    *) U_ARCH=$A_ARCH; U_SRC='recorded /proc/cpuinfo, as its reader saw it' ;;
  esac
  if [ "$K_ARCH" = x86_64 ]; then U_BITS_WHY="recorded /proc/cpuinfo does not show the reader's bitness (x86 looks the same to 32- and 64-bit tasks)"; else U_BITS_WHY=$U_SRC; fi
  return 0
}
