# edgeprobe POSIX-sh probe: the agentless fallback for devices without Node >= 18.
# Writes one edgeprobe.report/v1 report (agent.mode "posix-sh") as JSON on stdout.
# Needs only a POSIX sh (dash, busybox ash, bash) and coreutils or busybox (cat, tr, od, df, uname, date);
# uses python3 where present for the python metrics and the Python streaming tier.
# The memory and cpu sections follow probes/memory.ts and probes/cpu.ts step by step (same files, same
# cgroup logic: mountinfo root, ancestors, v1 and v2) so that both agents report the same figures.
#
#   sh edgeprobe-probe.sh [--root DIR] [--path DIR] [--label NAME] [--python PATH] [--quick] [--duration S]
#   ssh pi@device sh -s -- --label kitchen < edgeprobe-probe.sh
#
# Every child reads /dev/null, not stdin: under `sh -s` stdin is this script itself.
set -f
EDGEPROBE_VERSION=${EDGEPROBE_VERSION:-unknown}
ROOT=/
OPT_PATH=
OPT_LABEL=
OPT_PYTHON=
OPT_QUICK=false
OPT_DURATION=
OPT_TIMEOUT=
while [ $# -gt 0 ]; do
  case $1 in
    --root) ROOT=${2:-/}; shift ;;
    --root=*) ROOT=${1#*=} ;;
    --path) OPT_PATH=${2:-}; shift ;;
    --path=*) OPT_PATH=${1#*=} ;;
    --label) OPT_LABEL=${2:-}; shift ;;
    --label=*) OPT_LABEL=${1#*=} ;;
    --python) OPT_PYTHON=${2:-}; shift ;;
    --python=*) OPT_PYTHON=${1#*=} ;;
    --duration) OPT_DURATION=${2:-}; shift ;;
    --duration=*) OPT_DURATION=${1#*=} ;;
    --quick) OPT_QUICK=true ;;
    run) ;;
    --timeout) OPT_TIMEOUT=${2:-}; shift ;;
    --timeout=*) OPT_TIMEOUT=${1#*=} ;;
    --only|--skip) shift ;;
    --only=*|--skip=*|--verbose|-v|--format=*|--active-supervision) ;;
    --format) shift ;;
    *) printf 'edgeprobe-probe.sh: unknown option %s\n' "$1" >&2; exit 2 ;;
  esac
  shift
done
ROOT=${ROOT%/}
R=$ROOT
LIVE=false
if [ -z "$ROOT" ]; then LIVE=true; R=; ROOT=/; fi
if [ "$LIVE" = false ] && [ ! -d "$R/proc" ]; then
  printf 'edgeprobe-probe.sh: --root %s does not look like a device tree (no proc/ inside)\n' "$ROOT" >&2
  exit 2
fi

TAB=$(printf '\t')
CR=$(printf '\r')
NL='
'

# ---------------------------------------------------------------- small helpers
have() { command -v "$1" >/dev/null 2>&1; }

# Runs a command with a time bound when `timeout` exists (coreutils and busybox both have it).
bounded() {
  _secs=$1; shift
  if [ -n "$HAVE_TIMEOUT" ]; then timeout "$_secs" "$@"; else "$@"; fi
}
HAVE_TIMEOUT=
if have timeout && timeout 5 true </dev/null >/dev/null 2>&1; then HAVE_TIMEOUT=1; fi

# S <- $1 seconds, but no more than what is left of --timeout (whole seconds, at least 1).
cap_secs() {
  S=$1
  case $OPT_TIMEOUT in ''|*[!0-9.]*) return ;; esac
  now_ms
  _left=$(( ${OPT_TIMEOUT%.*} - (NOW - T_START) / 1000 ))
  [ "$_left" -lt 1 ] && _left=1
  [ "$_left" -lt "$S" ] && S=$_left
  return 0
}
now_ms() {
  read -r _up _rest </proc/uptime 2>/dev/null || { NOW=0; return; }
  _int=${_up%.*}; _frac=${_up#*.}
  case $_frac in ?) _frac=${_frac}0 ;; esac
  _frac=${_frac#0}
  NOW=$((_int * 1000 + ${_frac:-0} * 10))
}

# R <- $1 with every literal $2 replaced by $3
repl() {
  _s=$1; R_=
  while :; do
    case $_s in
      *"$2"*) R_="$R_${_s%%"$2"*}$3"; _s=${_s#*"$2"} ;;
      *) R_="$R_$_s"; return 0 ;;
    esac
  done
}
# J <- $1 as a JSON string
json_s() {
  repl "$1" '\' '\\'; repl "$R_" '"' '\"'; repl "$R_" "$TAB" ' '; repl "$R_" "$CR" ' '
  J="\"$R_\""
}
is_num() {
  case $1 in
    ''|-|.*|-.*|*.|*[!0-9.-]*|*.*.*|?*-*) return 1 ;;
  esac
  return 0
}
is_uint() { case $1 in ''|*[!0-9]*) return 1 ;; esac; return 0; }
trim() {
  _t=$1
  while :; do case $_t in [\ "$TAB$NL$CR"]*) _t=${_t#?} ;; *) break ;; esac; done
  while :; do case $_t in *[\ "$TAB$NL$CR"]) _t=${_t%?} ;; *) break ;; esac; done
  T=$_t
}
# Collapses runs of white space (like JS .replace(/\s+/g, ' ')) and trims.
squash() { set -- $1; T="$*"; }

# Reads a device file under --root into F (trailing newlines dropped); fails when absent or unreadable.
rd() {
  [ -r "$R$1" ] && [ -f "$R$1" ] || return 1
  F=$(cat "$R$1" </dev/null 2>/dev/null) || return 1
  return 0
}
# First line of a device file, trimmed.
rd1() {
  [ -r "$R$1" ] || return 1
  IFS= read -r _l <"$R$1" 2>/dev/null || [ -n "$_l" ] || return 1
  trim "$_l"; F=$T
  return 0
}

# ---------------------------------------------------------------- report assembly
ALL_M=
ENVS=
DONE_PROBES=' '
p_begin() { P_ID=$1; P_M=; P_U=; P_D=; P_SEEN=' '; now_ms; P_T0=$NOW; DONE_PROBES="$DONE_PROBES $1 "; }
_metric() { P_M="${P_M:+$P_M,}\"$1\":$2"; ALL_M="${ALL_M:+$ALL_M,}\"$1\":$2"; P_SEEN="$P_SEEN$1 "; }
put_null() { _metric "$1" null; json_s "${2:-not measured}"; P_U="${P_U:+$P_U,}\"$1\":$J"; }
put_num() { if is_num "$2"; then _metric "$1" "$2"; else put_null "$1" "$3"; fi; }
put_str() { if [ -n "$2" ]; then json_s "$2"; _metric "$1" "$J"; else put_null "$1" "$3"; fi; }
put_bool() { case $2 in true|false) _metric "$1" "$2" ;; *) put_null "$1" "$3" ;; esac; }
put_raw() { _metric "$1" "$2"; }
det_str() { json_s "$2"; P_D="${P_D:+$P_D,}\"$1\":$J"; }
det_raw() { P_D="${P_D:+$P_D,}\"$1\":$2"; }
# The client streams the catalogue's metric ids per probe (EDGEPROBE_METRICS_<probe>): any this probe does
# not measure are reported null with the reason, so the report always covers the whole catalogue.
p_fill() {
  eval "_ids=\${EDGEPROBE_METRICS_$P_ID:-}"
  for _id in $_ids; do
    case $P_SEEN in *" $_id "*) ;; *) put_null "$_id" "${1:-not measured by the POSIX-sh probe; run the Node agent (node >= 18) for it}" ;; esac
  done
}
p_end() {
  [ "${1:-ok}" = ok ] && p_fill
  now_ms
  _d=$P_D
  [ -n "$P_U" ] && _d="${_d:+$_d,}\"unmeasured\":{$P_U}"
  ENVS="${ENVS:+$ENVS,}{\"id\":\"$P_ID\",\"status\":\"${1:-ok}\",\"durationMs\":$((NOW - P_T0)),\"metrics\":{$P_M},\"details\":{$_d}}"
}
# A probe the sh probe cannot run: every metric null with the reason.
p_skipped() {
  _id=$1; _why=$2; shift 2
  p_begin "$_id"
  for _m in "$@"; do put_null "$_m" "$_why"; done
  p_fill "$_why"
  det_str skipReason "$_why"
  p_end skipped
}

# _ml, _ul, _dl <- the three lines a Python helper prints: metrics, unmeasured reasons, details (JSON object bodies).
read3() {
  _ml=; _ul=; _dl=
  {
    IFS= read -r _ml
    IFS= read -r _ul
    IFS= read -r _dl
  } <<EOF
$1
EOF
}

# ---------------------------------------------------------------- cgroups (src/parsers/cgroup.ts)
# CG_VER, CG_DIR, CG_MNT <- where this shell's group for controller $1 lives; fails when not found.
cg_locate() {
  _ctl=$1; CG_VER=; CG_DIR=; CG_MNT=
  _v1path=; _v2path=
  [ -r "$R/proc/self/cgroup" ] || return 1
  [ -r "$R/proc/self/mountinfo" ] || return 1
  while IFS=: read -r _h _c _p; do
    [ -z "$_h" ] && continue
    if [ -z "$_c" ]; then
      [ "$_h" = 0 ] && [ -z "$_v2path" ] && _v2path=${_p:-/}
    else
      case ",$_c," in *",$_ctl,"*) [ -z "$_v1path" ] && _v1path=${_p:-/} ;; esac
    fi
  done <"$R/proc/self/cgroup"
  _m1root=; _m1mp=; _m2root=; _m2mp=
  while read -r _a _b _c _root _mp _rest; do
    case $_rest in *" - "*) ;; *) continue ;; esac
    _right=${_rest#*" - "}
    read -r _fs _src _sopts <<EOF
$_right
EOF
    if [ "$_fs" = cgroup ] && [ -z "$_m1mp" ]; then
      case ",$_sopts," in *",$_ctl,"*) _m1root=$_root; _m1mp=$_mp ;; esac
    elif [ "$_fs" = cgroup2 ] && [ -z "$_m2mp" ]; then
      _m2root=$_root; _m2mp=$_mp
    fi
  done <"$R/proc/self/mountinfo"
  if [ -n "$_v1path" ] && [ -n "$_m1mp" ]; then
    CG_VER=1; cg_join "$_m1mp" "$_v1path" "$_m1root"; return 0
  fi
  if [ -n "$_v2path" ] && [ -n "$_m2mp" ]; then
    CG_VER=2; cg_join "$_m2mp" "$_v2path" "$_m2root"; return 0
  fi
  return 1
}
# CG_DIR <- mount point + group path taken relative to the mount's root (Docker without a cgroup namespace).
cg_join() {
  _mp=$1; _path=$2; _mroot=$3
  if [ "$_mroot" = / ] || [ -z "$_mroot" ]; then _rel=$_path
  elif [ "$_path" = "$_mroot" ]; then _rel=/
  else
    case $_path in "$_mroot"/*) _rel=${_path#"$_mroot"} ;; *) _rel=$_path ;; esac
  fi
  CG_MNT=$_mp
  if [ "$_rel" = / ]; then CG_DIR=$_mp; else CG_DIR=${_mp%/}$_rel; fi
  CG_DIR=${CG_DIR%/}
  [ -z "$CG_DIR" ] && CG_DIR=/
  return 0
}
# Calls "$2 DIR" for the group's directory and each ancestor up to the mount point, nearest first.
cg_upwards() {
  _dir=$1; _fn=$2
  while :; do
    "$_fn" "$_dir"
    [ "$_dir" = "$CG_MNT" ] && break
    [ "$_dir" = / ] && break
    case $_dir in "$CG_MNT"*) ;; *) break ;; esac
    _dir=${_dir%/*}
    [ -z "$_dir" ] && _dir=/
  done
}
# V <- a memory limit in bytes, empty when unlimited (max, v1's huge "no limit" number) or unreadable.
mem_limit_of() {
  V=
  trim "$1"
  case $T in ''|max) return ;; esac
  is_uint "$T" || return
  # Anything from 2^60 up is cgroup v1's way of saying "no limit"; 19+ digits.
  [ ${#T} -ge 19 ] && return
  V=$T
}
# min of two values where empty means "none"
min2() {
  if [ -z "$1" ]; then M=$2; elif [ -z "$2" ]; then M=$1; elif [ "$1" -le "$2" ]; then M=$1; else M=$2; fi
}
# Hundredths as a JSON number: 150 -> 1.5, 200 -> 2
hundredths() {
  _w=$(($1 / 100)); _f=$(($1 % 100))
  if [ "$_f" -eq 0 ]; then H=$_w
  elif [ $((_f % 10)) -eq 0 ]; then H="$_w.$((_f / 10))"
  elif [ "$_f" -lt 10 ]; then H="$_w.0$_f"
  else H="$_w.$_f"; fi
}
# "0-3,5" -> 5 (C); fails on malformed lists
count_cpulist() {
  trim "$1"; _list=$T; C=0
  [ -z "$_list" ] && return 1
  _oldifs=$IFS; IFS=,
  for _part in $_list; do
    trim "$_part"; _part=$T
    case $_part in
      *-*) _from=${_part%-*}; _to=${_part#*-} ;;
      *) _from=$_part; _to=$_part ;;
    esac
    if ! is_uint "$_from" || ! is_uint "$_to" || [ "$_to" -lt "$_from" ]; then IFS=$_oldifs; return 1; fi
    C=$((C + _to - _from + 1))
  done
  IFS=$_oldifs
  return 0
}

# ---------------------------------------------------------------- /proc/cpuinfo
# CPUINFO_<key> lookups: first value of a key in file order (processor blocks come before the ARM trailer).
ci_get() {
  V=
  [ -r "$R/proc/cpuinfo" ] || return 1
  while IFS= read -r _line; do
    case $_line in *:*) ;; *) continue ;; esac
    trim "${_line%%:*}"
    if [ "$T" = "$1" ]; then trim "${_line#*:}"; V=$T; return 0; fi
  done <"$R/proc/cpuinfo"
  return 1
}
ci_processors() {
  N=0
  [ -r "$R/proc/cpuinfo" ] || return
  while IFS= read -r _line; do
    case $_line in *:*) trim "${_line%%:*}"; [ "$T" = processor ] && N=$((N + 1)) ;; esac
  done <"$R/proc/cpuinfo"
}
# Highest "cpu MHz", rounded (x86 reports the current clock per core).
ci_max_mhz() {
  V=; _best=
  [ -r "$R/proc/cpuinfo" ] || return
  while IFS= read -r _line; do
    case $_line in *:*) ;; *) continue ;; esac
    trim "${_line%%:*}"; [ "$T" = "cpu MHz" ] || continue
    trim "${_line#*:}"; _v=$T
    case $_v in *.*) _i=${_v%%.*}; _f=${_v#*.}000 ;; *) _i=$_v; _f=000 ;; esac
    _f=${_f%"${_f#???}"}
    is_uint "$_i" && is_uint "$_f" || continue
    while :; do case $_f in 0?*) _f=${_f#0} ;; *) break ;; esac; done
    _milli=$((_i * 1000 + _f))
    if [ -z "$_best" ] || [ "$_milli" -gt "$_best" ]; then _best=$_milli; fi
  done <"$R/proc/cpuinfo"
  [ -n "$_best" ] && [ "$_best" -gt 0 ] && V=$(((_best + 500) / 1000))
}

# ARM main-ID part numbers (implementer 0x41), as in src/parsers/cpuinfo.ts.
arm_part_name() {
  case $1 in
    0xb76) V=ARM1176JZF-S ;; 0xc07) V=Cortex-A7 ;; 0xc08) V=Cortex-A8 ;; 0xc09) V=Cortex-A9 ;;
    0xc0f) V=Cortex-A15 ;; 0xd03) V=Cortex-A53 ;; 0xd04) V=Cortex-A35 ;; 0xd05) V=Cortex-A55 ;;
    0xd07) V=Cortex-A57 ;; 0xd08) V=Cortex-A72 ;; 0xd0b) V=Cortex-A76 ;; *) V= ; return 1 ;;
  esac
}

# Raspberry Pi revision codes (src/parsers/pi-revision.ts): PI_MODEL, PI_RAM <- decoded, or fail.
pi_revision() {
  PI_MODEL=; PI_RAM=
  _code=$(printf '%s' "$1" | tr 'A-F' 'a-f')
  _code=${_code#0x}
  case $_code in ''|*[!0-9a-f]*) return 1 ;; esac
  [ ${#_code} -le 8 ] || return 1
  _val=$((0x$_code & ~(1 << 24)))
  if [ $((_val & (1 << 23))) -ne 0 ]; then
    case $(((_val >> 4) & 255)) in
      0) _type=A ;; 1) _type=B ;; 2) _type=A+ ;; 3) _type=B+ ;; 4) _type='2 Model B' ;; 5) _type=Alpha ;;
      6) _type='Compute Module 1' ;; 8) _type='3 Model B' ;; 9) _type=Zero ;; 10) _type='Compute Module 3' ;;
      12) _type='Zero W' ;; 13) _type='3 Model B+' ;; 14) _type='3 Model A+' ;; 16) _type='Compute Module 3+' ;;
      17) _type='4 Model B' ;; 18) _type='Zero 2 W' ;; 19) _type=400 ;; 20) _type='Compute Module 4' ;;
      21) _type='Compute Module 4S' ;; 23) _type=5 ;; 24) _type='Compute Module 5' ;; 25) _type=500 ;;
      26) _type='Compute Module 5 Lite' ;; *) return 1 ;;
    esac
    _memcode=$(((_val >> 20) & 7))
    [ "$_memcode" -le 6 ] || return 1
    _mib=$((256 << _memcode))
    _rev="1.$((_val & 15))"
  else
    case $((_val & 65535)) in
      2|3) _type=B; _mib=256; _rev=1.0 ;; 4|5|6) _type=B; _mib=256; _rev=2.0 ;;
      7|8|9) _type=A; _mib=256; _rev=2.0 ;; 13|14|15) _type=B; _mib=512; _rev=2.0 ;;
      16|19) _type=B+; _mib=512; _rev=1.2 ;; 17|20) _type='Compute Module 1'; _mib=512; _rev=1.0 ;;
      18) _type=A+; _mib=256; _rev=1.1 ;; 21) _type=A+; _mib=512; _rev=1.1 ;;
      *) return 1 ;;
    esac
  fi
  case $_type in
    A|B) PI_MODEL="Raspberry Pi Model $_type" ;;
    A+) PI_MODEL="Raspberry Pi Model A Plus" ;;
    B+) PI_MODEL="Raspberry Pi Model B Plus" ;;
    *) PI_MODEL="Raspberry Pi $_type" ;;
  esac
  PI_MODEL="$PI_MODEL Rev $_rev"
  PI_RAM=$((_mib * 1048576))
  return 0
}

# ---------------------------------------------------------------- host
probe_host() {
  p_begin host
  ci_get Revision; _revcode=$V
  _pi=false
  if [ -n "$_revcode" ] && pi_revision "$_revcode"; then _pi=true; fi
  _board=
  for _f in /proc/device-tree/model /sys/firmware/devicetree/base/model; do
    if [ -r "$R$_f" ]; then
      _m=$(tr '\000' ' ' <"$R$_f" 2>/dev/null)
      trim "$_m"
      if [ -n "$T" ]; then _board=$T; det_str boardSource 'device-tree model'; break; fi
    fi
  done
  if [ -z "$_board" ] && ci_get Model && [ -n "$V" ]; then _board=$V; det_str boardSource 'cpuinfo Model line'; fi
  if [ -z "$_board" ] && [ "$_pi" = true ]; then _board=$PI_MODEL; det_str boardSource "decoded Raspberry Pi revision code $_revcode"; fi
  if [ -z "$_board" ] && rd1 /sys/class/dmi/id/product_name; then
    _product=$F
    if [ -n "$_product" ] && ! dmi_placeholder "$_product"; then
      _vendor=
      rd1 /sys/class/dmi/id/sys_vendor && _vendor=$F
      _board=$_product
      if [ -n "$_vendor" ] && ! dmi_placeholder "$_vendor"; then
        _lp=$(printf '%s' "$_product" | tr 'A-Z' 'a-z'); _lv=$(printf '%s' "$_vendor" | tr 'A-Z' 'a-z')
        case $_lp in *"$_lv"*) ;; *) _board="$_vendor $_product" ;; esac
      fi
      det_str boardSource 'DMI product name'
    fi
  fi
  put_str host.board "$_board" 'no device-tree model, cpuinfo Model, Raspberry Pi revision code or DMI product name'
  if [ "$_pi" = true ]; then
    put_num host.board_ram_bytes "$PI_RAM"
  else
    put_null host.board_ram_bytes 'only known for Raspberry Pi boards (decoded from the revision code)'
  fi
  _os=; _name=; _version=
  _osfile=/etc/os-release
  [ -r "$R$_osfile" ] || _osfile=/usr/lib/os-release
  if [ -r "$R$_osfile" ]; then
    while IFS= read -r _line; do
      trim "$_line"; _line=$T
      case $_line in PRETTY_NAME=*|NAME=*|VERSION=*|VERSION_CODENAME=*) ;; *) continue ;; esac
      _key=${_line%%=*}; _val=${_line#*=}
      case $_val in \"*\"|\'*\') _val=${_val#?}; _val=${_val%?}; repl "$_val" '\"' '"'; _val=$R_; repl "$_val" '\\' '\'; _val=$R_ ;; esac
      case $_key in
        PRETTY_NAME) _os=$_val ;; NAME) _name=$_val ;; VERSION) _version=$_val ;;
        VERSION_CODENAME) [ -n "$_val" ] && det_str osCodename "$_val" ;;
      esac
    done <"$R$_osfile"
    [ -z "$_os" ] && _os=$(printf '%s' "$_name${_name:+${_version:+ }}$_version")
  fi
  put_str host.os "$_os" 'no /etc/os-release'
  _kernel=
  rd1 /proc/sys/kernel/osrelease && _kernel=$F
  if [ -z "$_kernel" ] && [ "$LIVE" = true ]; then _kernel=$(uname -r </dev/null 2>/dev/null); fi
  put_str host.kernel "$_kernel" 'no /proc/sys/kernel/osrelease in the recorded tree'
  _evidence=
  [ -e "$R/.dockerenv" ] && _evidence="${_evidence:+$_evidence,}\"/.dockerenv exists\""
  [ -e "$R/run/.containerenv" ] && _evidence="${_evidence:+$_evidence,}\"/run/.containerenv exists (podman)\""
  if rd1 /run/systemd/container && [ -n "$F" ]; then json_s "/run/systemd/container says \"$F\""; _evidence="${_evidence:+$_evidence,}$J"; fi
  if rd /proc/1/cgroup; then
    for _kind in docker kubepods libpod lxc containerd; do
      case $F in *"$_kind"*) _evidence="${_evidence:+$_evidence,}\"pid 1 cgroup mentions $_kind\""; break ;; esac
    done
  fi
  if [ -n "$_evidence" ]; then put_raw host.in_container true; det_raw containerEvidence "[$_evidence]"
  else put_raw host.in_container false; fi
  # Which shell ran this probe (dash, busybox ash, bash ...), for the record.
  _shell=$(readlink "/proc/$$/exe" </dev/null 2>/dev/null)
  [ -n "$_shell" ] && det_str shell "$_shell"
  p_end
}
dmi_placeholder() {
  _lc=$(printf '%s' "$1" | tr 'A-Z' 'a-z')
  case $_lc in
    'to be filled by o.e.m.'|'to be filled by oem'|'to be filled by o.e.m'|'to be filled by oe.m.'|'system product name'|'default string'|'not applicable'|none|'not specified') return 0 ;;
  esac
  case $_lc in *[!0]*) ;; *) return 0 ;; esac
  case $_lc in *[!x]*) ;; *) return 0 ;; esac
  return 1
}

# ---------------------------------------------------------------- memory (probes/memory.ts)
_limit_at() {
  _text=
  rd "$1/$LIMIT_FILE" && _text=$F
  mem_limit_of "$_text"
  if [ -n "$V" ]; then
    min2 "$LIMIT" "$V"
    if [ "$M" != "$LIMIT" ] || [ -z "$LIMIT_AT" ]; then LIMIT_AT=$1; fi
    LIMIT=$M
  fi
}
probe_memory() {
  p_begin memory
  _total=; _avail=; _free=; _swt=; _swf=; _af=0; _if=0; _srec=0
  if [ -r "$R/proc/meminfo" ]; then
    while IFS=': ' read -r _k _v _unit; do
      is_uint "$_v" || continue
      [ "$_unit" = kB ] && _v=$((_v * 1024))
      case $_k in
        MemTotal) _total=$_v ;; MemAvailable) _avail=$_v ;; MemFree) _free=$_v ;;
        SwapTotal) _swt=$_v ;; SwapFree) _swf=$_v ;;
        'Active(file)') _af=$_v ;; 'Inactive(file)') _if=$_v ;; SReclaimable) _srec=$_v ;;
      esac
    done <"$R/proc/meminfo"
  else
    printf 'edgeprobe-probe.sh: cannot read %s/proc/meminfo\n' "$R" >&2
  fi
  if [ -z "$_avail" ] && [ -n "$_free" ]; then
    # The kernel's own estimate since 3.14 (mm/page_alloc.c si_mem_available()), as probes/memory.ts does.
    _low=; _lowpages=0
    if [ -r "$R/proc/zoneinfo" ]; then
      while read -r _k _v _rest; do
        [ "$_k" = low ] && [ -z "$_rest" ] && is_uint "$_v" && { _lowpages=$((_lowpages + _v)); _low=1; }
      done <"$R/proc/zoneinfo"
    fi
    _wm=0; [ -n "$_low" ] && _wm=$((_lowpages * 4096))
    _pc=$((_af + _if))
    _half=$((_pc / 2)); [ "$_half" -gt "$_wm" ] && _half=$_wm
    _rhalf=$((_srec / 2)); [ "$_rhalf" -gt "$_wm" ] && _rhalf=$_wm
    _avail=$((_free - _wm + _pc - _half + _srec - _rhalf))
    [ "$_avail" -lt 0 ] && _avail=0
    if [ -n "$_low" ]; then _how=', with /proc/zoneinfo low watermarks'; else _how=', without zone watermarks (slightly optimistic)'; fi
    det_str memAvailableEstimated "this kernel has no MemAvailable (added in 3.14); estimated from MemFree, file pages and SReclaimable as the kernel does$_how"
  fi
  put_num memory.total_bytes "$_total" 'no MemTotal in /proc/meminfo'
  put_num memory.available_bytes "$_avail" 'no MemAvailable and no MemFree in /proc/meminfo'
  put_num memory.swap_total_bytes "$_swt" 'no SwapTotal in /proc/meminfo'
  put_num memory.swap_free_bytes "$_swf" 'no SwapFree in /proc/meminfo'
  if [ -r "$R/proc/swaps" ]; then
    _zram=0; _first=1
    while read -r _name _type _size _rest; do
      if [ -n "$_first" ]; then _first=; continue; fi
      case $_name in /dev/zram*) is_uint "$_size" && _zram=$((_zram + _size * 1024)) ;; esac
    done <"$R/proc/swaps"
    put_num memory.zram_total_bytes "$_zram"
  else
    put_null memory.zram_total_bytes 'no /proc/swaps'
  fi

  LIMIT=; LIMIT_AT=; _ws=
  if cg_locate memory; then
    det_raw cgroup "{\"version\":$CG_VER,\"dir\":$(json_s "$CG_DIR"; printf '%s' "$J")}"
    if [ "$CG_VER" = 2 ]; then LIMIT_FILE=memory.max; else LIMIT_FILE=memory.limit_in_bytes; fi
    cg_upwards "$CG_DIR" _limit_at
    _stat=
    rd "$CG_DIR/memory.stat" && _stat=$F
    _hier=; _inactive=0
    _key=inactive_file; [ "$CG_VER" = 1 ] && _key=total_inactive_file
    _oldifs=$IFS; IFS=$NL
    for _line in $_stat; do
      IFS=$_oldifs
      read -r _k _v <<EOF
$_line
EOF
      case $_k in
        hierarchical_memory_limit) _hier=$_v ;;
        "$_key") is_uint "$_v" && _inactive=$_v ;;
      esac
      IFS=$NL
    done
    IFS=$_oldifs
    if [ "$CG_VER" = 1 ] && [ -n "$_hier" ]; then
      # With use_hierarchy the kernel already folds ancestors' limits into this figure.
      mem_limit_of "$_hier"; min2 "$LIMIT" "$V"; LIMIT=$M
    fi
    if [ -n "$LIMIT_AT" ]; then det_str cgroupLimitSetAt "$LIMIT_AT"; fi
    _ufile=memory.current; [ "$CG_VER" = 1 ] && _ufile=memory.usage_in_bytes
    _usage=
    rd1 "$CG_DIR/$_ufile" && is_uint "$F" && _usage=$F
    if [ -n "$_usage" ]; then
      put_num memory.cgroup_usage_bytes "$_usage"
      # Like the kubelet's working set: page cache that can be dropped does not count as used.
      _ws=$((_usage - _inactive)); [ "$_ws" -lt 0 ] && _ws=0
    else
      put_null memory.cgroup_usage_bytes "no usage file in $CG_DIR"
    fi
    if [ "$CG_VER" = 2 ] && rd1 "$CG_DIR/memory.high"; then
      mem_limit_of "$F"; [ -n "$V" ] && det_raw memoryHighBytes "$V"
    fi
    _why_unlimited=unlimited
  else
    put_null memory.cgroup_usage_bytes 'no memory cgroup found in /proc/self/cgroup and /proc/self/mountinfo'
    _why_unlimited='no memory cgroup'
  fi
  put_num memory.cgroup_limit_bytes "$LIMIT" "$_why_unlimited"
  min2 "$_total" "$LIMIT"
  put_num memory.effective_total_bytes "$M" 'neither MemTotal nor a cgroup limit is known'
  _headroom=$LIMIT
  if [ -n "$LIMIT" ] && [ -n "$_ws" ]; then _headroom=$((LIMIT - _ws)); [ "$_headroom" -lt 0 ] && _headroom=0; fi
  min2 "$_avail" "$_headroom"
  MEM_EFF_AVAIL=$M
  put_num memory.effective_available_bytes "$M" 'neither MemAvailable nor a cgroup limit is known'
  p_end
}

# ---------------------------------------------------------------- cpu (probes/cpu.ts)
_quota_at() {
  _q=
  if [ "$CG_VER" = 2 ]; then
    if rd1 "$1/cpu.max"; then
      read -r _qq _pp <<EOF
$F
EOF
      _pp=${_pp:-100000}
      is_uint "$_qq" && is_uint "$_pp" && [ "$_qq" -gt 0 ] && [ "$_pp" -gt 0 ] && _q=$(((_qq * 200 + _pp) / (_pp * 2)))
    fi
  else
    if rd1 "$1/cpu.cfs_quota_us"; then
      _qq=$F
      if rd1 "$1/cpu.cfs_period_us"; then
        _pp=$F
        is_uint "$_qq" && is_uint "$_pp" && [ "$_qq" -gt 0 ] && [ "$_pp" -gt 0 ] && _q=$(((_qq * 200 + _pp) / (_pp * 2)))
      fi
    fi
  fi
  [ -n "$_q" ] && { min2 "$QUOTA" "$_q"; QUOTA=$M; }
}
probe_cpu() {
  p_begin cpu
  if [ "$LIVE" = true ]; then
    _arch=$(uname -m </dev/null 2>/dev/null)
    put_str cpu.arch "$_arch" 'uname -m failed'
    # The userland's bitness is the ELF class of the shell running this probe (byte 5: 1 = 32-bit, 2 = 64-bit).
    _bits=
    _class=$(od -An -tu1 -j4 -N1 "/proc/$$/exe" </dev/null 2>/dev/null)
    trim "$_class"
    case $T in 1) _bits=32 ;; 2) _bits=64 ;; esac
    if [ -z "$_bits" ] && have getconf; then _bits=$(getconf LONG_BIT </dev/null 2>/dev/null); fi
    put_num cpu.userland_bits "$_bits" 'could not read the ELF class of the shell'
    det_str archSource 'uname -m (live)'
  else
    arch_from_cpuinfo
    put_str cpu.arch "$A_ARCH" 'recorded /proc/cpuinfo names no known architecture'
    put_num cpu.userland_bits "$A_BITS" "recorded /proc/cpuinfo does not show the reader's bitness (x86 looks the same to 32- and 64-bit tasks)"
    det_str archSource 'recorded /proc/cpuinfo (uname cannot be recorded)'
  fi

  _cores=
  if rd1 /sys/devices/system/cpu/online && count_cpulist "$F"; then _cores=$C; fi
  if [ -z "$_cores" ]; then ci_processors; [ "$N" -gt 0 ] && _cores=$N; fi
  put_num cpu.cores "$_cores" 'neither /sys/devices/system/cpu/online nor /proc/cpuinfo lists CPUs'

  _cpuset=
  if cg_locate cpuset; then
    if [ "$CG_VER" = 2 ]; then _files=cpuset.cpus.effective; else _files='cpuset.effective_cpus cpuset.cpus'; fi
    for _f in $_files; do
      if rd "$CG_DIR/$_f"; then
        trim "$F"
        if [ -n "$T" ]; then
          count_cpulist "$T" && _cpuset=$C
          json_s "$CG_DIR/$_f"; _jf=$J; json_s "$T"
          det_raw cpuset "{\"file\":$_jf,\"cpus\":$J}"
          break
        fi
      fi
    done
  fi
  put_num cpu.cpuset_cpus "$_cpuset" 'no cpuset cgroup file readable'

  QUOTA=
  if cg_locate cpu; then
    cg_upwards "$CG_DIR" _quota_at
    json_s "$CG_DIR"; det_raw cpuCgroup "{\"version\":$CG_VER,\"dir\":$J}"
    _qwhy=unlimited
  else
    _qwhy='no cpu cgroup'
  fi
  if [ -n "$QUOTA" ]; then hundredths "$QUOTA"; put_raw cpu.quota_cpus "$H"; else put_null cpu.quota_cpus "$_qwhy"; fi
  _eff=
  [ -n "$_cores" ] && _eff=$((_cores * 100))
  [ -n "$_cpuset" ] && { min2 "$_eff" $((_cpuset * 100)); _eff=$M; }
  [ -n "$QUOTA" ] && { min2 "$_eff" "$QUOTA"; _eff=$M; }
  if [ -n "$_eff" ]; then hundredths "$_eff"; put_raw cpu.effective_cpus "$H"; else put_null cpu.effective_cpus 'core count unknown'; fi

  _model=
  ci_get 'CPU implementer'; _impl=$V
  ci_get 'CPU part'; _part=$(printf '%s' "$V" | tr 'A-F' 'a-f')
  if [ "$_impl" = 0x41 ] && [ -n "$_part" ] && arm_part_name "$_part"; then _model=$V
  elif ci_get 'model name' && [ -n "$V" ]; then squash "$V"; _model=$T
  elif [ -n "$_part" ]; then ci_get 'CPU part'; _model="ARM part $V"
  fi
  put_str cpu.model "$_model" 'no model in /proc/cpuinfo'

  _mhz=
  if rd1 /sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq && is_uint "$F" && [ "$F" -gt 0 ]; then
    _mhz=$(((F + 500) / 1000))
    put_num cpu.max_mhz "$_mhz"
  else
    ci_max_mhz
    if [ -n "$V" ]; then det_str maxMhzSource 'cpuinfo "cpu MHz" (no cpufreq; may be the current clock)'; fi
    put_num cpu.max_mhz "$V" 'no cpufreq in sysfs and no clock in /proc/cpuinfo'
  fi
  _gov=
  rd1 /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor && _gov=$F
  put_str cpu.governor "$_gov" 'no cpufreq governor in sysfs'
  _l1=
  if rd1 /proc/loadavg; then
    read -r _l1 _l5 _l15 _rest <<EOF
$F
EOF
    is_num "$_l1" && is_num "$_l5" && is_num "$_l15" && det_raw loadAverage "[$_l1,$_l5,$_l15]"
  fi
  put_num cpu.load_average_1m "$_l1" 'no /proc/loadavg'

  _thr=; _src=
  for _f in /sys/devices/platform/soc/soc:firmware/get_throttled; do
    rd1 "$_f" && { _thr=$F; _src=$_f; }
  done
  if [ -z "$_thr" ]; then
    set +f
    for _f in "$R"/sys/devices/platform/soc*/*firmware/get_throttled; do
      [ -r "$_f" ] || continue
      IFS= read -r _thr <"$_f"; _src=${_f#"$R"}; break
    done
    set -f
  fi
  if [ -z "$_thr" ] && [ "$LIVE" = true ] && have vcgencmd; then
    _thr=$(bounded 3 vcgencmd get_throttled </dev/null 2>/dev/null); _src='vcgencmd get_throttled'
  fi
  trim "$_thr"; _thr=${T#throttled=}; _thr=${_thr#0x}; _thr=${_thr#0X}
  case $_thr in ''|*[!0-9a-fA-F]*) _thr= ;; esac
  if [ -n "$_thr" ]; then
    _tv=$((0x$_thr))
    if [ $((_tv & 15)) -ne 0 ]; then put_raw cpu.throttled_now true; else put_raw cpu.throttled_now false; fi
    if [ $((_tv & 983040)) -ne 0 ]; then put_raw cpu.throttled_since_boot true; else put_raw cpu.throttled_since_boot false; fi
    if [ $((_tv & 65536)) -ne 0 ]; then put_raw cpu.undervoltage_since_boot true; else put_raw cpu.undervoltage_since_boot false; fi
    json_s "$_src"; det_raw throttled "{\"raw\":\"0x$(printf '%x' "$_tv")\",\"source\":$J}"
  else
    _why='not a Raspberry Pi: no get_throttled in sysfs'
    if [ "$LIVE" = true ]; then _why="$_why and no vcgencmd"; else _why="$_why (recorded tree)"; fi
    put_null cpu.throttled_now "$_why"; put_null cpu.throttled_since_boot "$_why"; put_null cpu.undervoltage_since_boot "$_why"
  fi

  _temp=; _tzone=; _first=; _firstzone=
  set +f
  _zones=
  for _z in "$R"/sys/class/thermal/thermal_zone*; do [ -d "$_z" ] && _zones="$_zones ${_z##*/}"; done
  set -f
  _zones=$(printf '%s\n' $_zones | sort 2>/dev/null)
  for _z in $_zones; do
    rd1 "/sys/class/thermal/$_z/temp" || continue
    case $F in ''|*[!0-9-]*) continue ;; esac
    _raw=$F
    if [ "$_raw" -lt 0 ]; then _tenths=$(((_raw - 50) / 100)); else _tenths=$(((_raw + 50) / 100)); fi
    _neg=; [ "$_tenths" -lt 0 ] && { _neg=-; _tenths=$((-_tenths)); }
    if [ $((_tenths % 10)) -eq 0 ]; then _c="$_neg$((_tenths / 10))"; else _c="$_neg$((_tenths / 10)).$((_tenths % 10))"; fi
    _type=; rd1 "/sys/class/thermal/$_z/type" && _type=$F
    [ -z "$_first" ] && { _first=$_c; _firstzone="$_z (${_type:-untyped})"; }
    _ltype=$(printf '%s' "$_type" | tr 'A-Z' 'a-z')
    case $_ltype in *cpu*|*soc*|*x86_pkg*|*bcm2835*) _temp=$_c; _tzone="$_z ($_type)"; break ;; esac
  done
  [ -z "$_temp" ] && { _temp=$_first; _tzone=$_firstzone; }
  [ -n "$_temp" ] && det_str temperatureSource "$_tzone"
  put_num cpu.temperature_celsius "$_temp" 'no thermal zone in sysfs'

  _why='the POSIX-sh probe has no benchmark comparable with the agent'"'"'s; run the Node agent for scores'
  [ "$LIVE" = false ] && _why='needs the live system (--root points at a recorded tree)'
  put_null cpu.single_thread_score "$_why"
  put_null cpu.multi_thread_score "$_why"
  p_end
}
# A_ARCH, A_BITS <- `uname -m` as far as a recorded cpuinfo tells it (archFromCpuinfo in src/parsers/cpuinfo.ts)
arch_from_cpuinfo() {
  A_ARCH=; A_BITS=
  ci_get 'model name' || ci_get Processor; _mn=$V
  ci_get flags; _flags=" $V "
  ci_get Features; _feat=" $V "
  _aa=; ci_get 'CPU architecture' && _aa=$V
  case $_mn in *[Aa][Rr][Mm][Vv]6*) A_ARCH=armv6l; A_BITS=32; return ;; *[Aa][Rr][Mm][Vv]7*) A_ARCH=armv7l; A_BITS=32; return ;; esac
  if [ -n "$_aa" ]; then
    _has64=false
    for _f in asimd cpuid aes sha1 sha2 crc32 atomics fphp asimdhp; do
      case $_feat in *" $_f "*) _has64=true ;; esac
    done
    case $_feat in *" thumb "*) _has64=false ;; esac
    case $_aa in 8|AArch64*) [ "$_has64" = true ] && { A_ARCH=aarch64; A_BITS=64; return; } ;; esac
    case $_aa in 8) A_ARCH=armv8l; A_BITS=32; return ;; 7) A_ARCH=armv7l; A_BITS=32; return ;; 6*) A_ARCH=armv6l; A_BITS=32; return ;; esac
  fi
  case $_flags in *" lm "*) A_ARCH=x86_64; return ;; esac
  case $_flags in *" fpu "*) A_ARCH=i686; A_BITS=32; return ;; esac
  case $_mn in *Intel*|*AMD*) A_ARCH=i686; A_BITS=32 ;; esac
}

# ---------------------------------------------------------------- disk (probes/disk.ts)
probe_disk() {
  p_begin disk
  if [ "$LIVE" = true ]; then
    _p=${OPT_PATH:-${HOME:-/}}
    [ -d "$_p" ] || _p=/
    _real=$(readlink -f "$_p" </dev/null 2>/dev/null)
    [ -n "$_real" ] && _p=$_real
    _free=; _total=
    _out=$(bounded 10 df -P -k "$_p" </dev/null 2>/dev/null)
    if [ -n "$_out" ]; then
      _line=${_out#*"$NL"}
      read -r _fs _blocks _used _availk _rest <<EOF
$_line
EOF
      # bavail (what an unprivileged deployment may use) and the size, as statfs gives them
      is_uint "$_availk" && _free=$((_availk * 1024))
      is_uint "$_blocks" && _total=$((_blocks * 1024))
    fi
    det_str path "$_p"
    put_num disk.free_bytes "$_free" "df -P -k $_p gave no figure"
    put_num disk.total_bytes "$_total" "df -P -k $_p gave no figure"
    # The mount holding the path: the longest mount point that contains it; the last one mounted wins.
    _best=; _bestfs=
    if [ -r /proc/self/mountinfo ]; then
      while read -r _a _b _c _root _mp _rest; do
        case $_rest in *" - "*) ;; *) continue ;; esac
        _right=${_rest#*" - "}
        _fst=${_right%% *}
        case $_p in "$_mp"|"$_mp"/*) ;; *) [ "$_mp" = / ] || continue ;; esac
        if [ -z "$_best" ] || [ ${#_mp} -ge ${#_best} ]; then _best=$_mp; _bestfs=$_fst; fi
      done </proc/self/mountinfo
    fi
    put_str disk.filesystem "$_bestfs" 'no mount table (/proc/self/mountinfo)'
    put_null disk.fsync_p99_ms 'the POSIX-sh probe cannot time fsync; run the Node agent for it'
  else
    for _m in free_bytes total_bytes; do put_null "disk.$_m" 'recorded tree: free space is a live measurement'; done
    put_null disk.fsync_p99_ms 'recorded tree: the write test needs the live disk'
  fi
  p_fill 'the POSIX-sh probe does not measure this; run the Node agent (node >= 18) for it'
  p_end
}

# ---------------------------------------------------------------- python (probes/python.ts)
# The interpreters, their inspection (probes/assets/inspect_python.py), the ranking and the Django support
# table are the agent's: probes/assets/sh_python.py runs them, with their sources streamed in variables
# (EDGEPROBE_SH_PYTHON_SRC, EDGEPROBE_INSPECT_PY, EDGEPROBE_DJANGO_SUPPORT) by edgeprobe ssh or in
# dist/edgeprobe-probe.sh. PY is the best interpreter, for the streaming tier.
PY=
PYTHON_METRICS='found version path bits venv_available pip_available ssl_available sqlite_version headers_available compiler_available build_tools_available max_django django_version channels_version daphne_version uvicorn_version channels_redis_version asgi_server interpreter_count'
python_runner() {
  for _c in $OPT_PYTHON python3 /usr/bin/python3 /usr/local/bin/python3; do
    case $_c in /*) _path=$_c ;; *) _path=$(command -v "$_c" 2>/dev/null) || continue ;; esac
    [ -n "$_path" ] && [ -x "$_path" ] || continue
    if bounded 10 "$_path" -c 'import sys; sys.exit(0 if sys.version_info[0] >= 3 else 1)' </dev/null >/dev/null 2>&1; then
      RUNNER=$_path; return 0
    fi
  done
  return 1
}
# cc, gcc or clang on PATH or in the system directories (the agent's findExecutable).
have_compiler() {
  _oldifs=$IFS; IFS=:
  for _d in $PATH /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
    case $_d in /*) ;; *) continue ;; esac
    for _n in cc gcc clang; do
      if [ -f "$_d/$_n" ] && [ -x "$_d/$_n" ]; then IFS=$_oldifs; return 0; fi
    done
  done
  IFS=$_oldifs
  return 1
}
probe_python() {
  p_begin python
  if [ "$LIVE" = false ]; then
    for _m in $PYTHON_METRICS; do put_null "python.$_m" 'needs the live system (--root points at a recorded tree)'; done
    p_end; return
  fi
  _why=
  RUNNER=
  if ! python_runner; then
    put_raw python.found false
    put_raw python.interpreter_count 0
    if have_compiler; then put_raw python.compiler_available true; else put_raw python.compiler_available false; fi
    _why='no python3 on PATH, in /usr/bin, /usr/local/bin or pyenv'
  elif [ -z "${EDGEPROBE_SH_PYTHON_SRC:-}" ] || [ -z "${EDGEPROBE_INSPECT_PY:-}" ]; then
    _why='the Python inspection helpers did not come with this sh probe: use edgeprobe ssh, or dist/edgeprobe-probe.sh'
    PY=$RUNNER
  else
    export EDGEPROBE_INSPECT_PY EDGEPROBE_DJANGO_SUPPORT
    if [ -n "$OPT_PYTHON" ]; then
      cap_secs 120
      _out=$(bounded "$S" "$RUNNER" -c "$EDGEPROBE_SH_PYTHON_SRC" --python "$OPT_PYTHON" </dev/null 2>/dev/null)
    else
      cap_secs 120
      _out=$(bounded "$S" "$RUNNER" -c "$EDGEPROBE_SH_PYTHON_SRC" </dev/null 2>/dev/null)
    fi
    read3 "$_out"
    case $_ul in
      \"\*\":*) _why=${_ul#\"\*\":\"}; _why=${_why%\"} ;;
      *)
        case $_ml in
          *\"python.found\":*)
            P_M=$_ml; ALL_M="${ALL_M:+$ALL_M,}$_ml"; P_U=$_ul; P_D=$_dl
            for _m in $PYTHON_METRICS; do P_SEEN="$P_SEEN python.$_m "; done
            case $_ml in *\"python.path\":\"*) _p=${_ml#*\"python.path\":\"}; PY=${_p%%\"*} ;; esac
            json_s "$RUNNER"; det_raw runner "$J"
            ;;
          *) _why="the interpreter $RUNNER did not answer" ;;
        esac
        ;;
    esac
  fi
  if [ -n "$_why" ]; then
    for _m in $PYTHON_METRICS; do
      case $P_SEEN in *" python.$_m "*) ;; *) put_null "python.$_m" "$_why" ;; esac
    done
  fi
  p_end
}

# ---------------------------------------------------------------- supervision, stack: only the Node agent measures these
probe_not_here() {
  _why="not measured by the POSIX-sh probe; run the Node agent (node >= 18) for it"
  p_skipped supervision "$_why" supervision.init supervision.available supervision.supervisors supervision.restart_verified
  p_skipped stack "$_why" stack.reverse_proxy stack.redis_version stack.redis_running stack.postgres_running
}

# ---------------------------------------------------------------- streaming: the Python tier where python3 exists
probe_streaming() {
  p_begin streaming
  _node_why='the Node tier needs the Node agent (node >= 18)'
  put_null streaming.node_messages_per_second "$_node_why"
  put_null streaming.node_p99_ms "$_node_why"
  _why=
  if [ "$LIVE" = false ]; then _why='needs the live system (--root points at a recorded tree)'
  elif [ "$OPT_QUICK" = true ]; then _why='skipped by --quick'
  elif [ -z "$PY" ]; then _why='no Python 3 interpreter on PATH'
  elif [ -z "${EDGEPROBE_WS_SERVER_SRC:-}" ] || [ -z "${EDGEPROBE_WS_CLIENT_SRC:-}" ]; then
    _why='the Python streaming helpers (echo server and client) did not come with this sh probe: edgeprobe ssh streams them when its build has them'
  fi
  _dur=${OPT_DURATION:-20}
  is_num "$_dur" || _dur=20
  if [ -z "$_why" ]; then
    # The server and client sources arrive in variables, so nothing is written on the device.
    export EDGEPROBE_WS_SERVER_SRC
    cap_secs "$((${_dur%.*} + 30))"
    # The phases take about 36 % of --duration (the agent's share for the python tier): fit them in what is left.
    _fit=$(( (S - 3) * 100 / 36 ))
    if [ "$_fit" -lt 1 ]; then
      _why='no time left for it within --timeout'
    else
      [ "$_fit" -lt "${_dur%.*}" ] && { _dur=$_fit; det_str durationNote "phases shortened to fit --timeout: --duration $_dur"; }
    fi
  fi
  if [ -z "$_why" ]; then
    _out=$(bounded "$S" "$PY" -c "$EDGEPROBE_WS_CLIENT_SRC" --available "${MEM_EFF_AVAIL:-unknown}" --duration "$_dur" </dev/null 2>/dev/null)
    read3 "$_out"
    case $_ul in
      \"\*\":*) _why=${_ul#\"\*\":\"}; _why=${_why%\"} ;;
      *)
        if [ -n "$_ml" ]; then
          P_M="${P_M:+$P_M,}$_ml"; ALL_M="${ALL_M:+$ALL_M,}$_ml"
          [ -n "$_ul" ] && P_U="${P_U:+$P_U,}$_ul"
          [ -n "$_dl" ] && P_D="${P_D:+$P_D,}$_dl"
          for _id in $(printf '%s\n' "$_ml" | tr ',' '\n' | cut -d'"' -f2); do P_SEEN="$P_SEEN$_id "; done
        else
          _why='the Python streaming client did not answer'
        fi
        ;;
    esac
  fi
  if [ -n "$_why" ]; then
    for _m in python_messages_per_second python_p99_ms bytes_per_connection; do
      put_null "streaming.$_m" "$_why"
    done
  fi
  p_fill 'measured by the Node agent only (node >= 18)'
  p_end
}

# ---------------------------------------------------------------- run
now_ms; T_START=$NOW
CREATED=$(date -u '+%Y-%m-%dT%H:%M:%SZ' </dev/null 2>/dev/null)
UUID=
[ -r /proc/sys/kernel/random/uuid ] && IFS= read -r UUID </proc/sys/kernel/random/uuid
case $UUID in ????????-????-????-????-????????????) ;; *)
  _hex=$(od -An -tx1 -N16 /dev/urandom </dev/null 2>/dev/null | tr -d ' \n')
  UUID=$(printf '%s' "$_hex" | cut -c1-8)-$(printf '%s' "$_hex" | cut -c9-12)-4$(printf '%s' "$_hex" | cut -c14-16)-a$(printf '%s' "$_hex" | cut -c18-20)-$(printf '%s' "$_hex" | cut -c21-32)
  ;;
esac
HOSTNAME_=
if [ "$LIVE" = false ] && rd1 /etc/hostname; then HOSTNAME_=$F; fi
[ -z "$HOSTNAME_" ] && [ -r /proc/sys/kernel/hostname ] && IFS= read -r HOSTNAME_ </proc/sys/kernel/hostname
[ -z "$HOSTNAME_" ] && HOSTNAME_=$(uname -n </dev/null 2>/dev/null)
[ -z "$HOSTNAME_" ] && HOSTNAME_=unknown

probe_host
probe_memory
probe_cpu
probe_python
probe_not_here
probe_disk
probe_streaming
# Probes of the catalogue this script does not know at all.
for _p in ${EDGEPROBE_PROBES:-}; do
  case $DONE_PROBES in *" $_p "*) ;; *) p_skipped "$_p" 'not measured by the POSIX-sh probe; run the Node agent (node >= 18) for it' ;; esac
done

json_s "$HOSTNAME_"; _host="\"hostname\":$J"
if [ -n "$OPT_LABEL" ]; then json_s "$OPT_LABEL"; _host="$_host,\"label\":$J"; fi
json_s "$ROOT"; _opts="\"root\":$J,\"quick\":$OPT_QUICK"
if [ -n "$OPT_PATH" ]; then json_s "$OPT_PATH"; _opts="$_opts,\"path\":$J"; fi
if [ -n "$OPT_PYTHON" ]; then json_s "$OPT_PYTHON"; _opts="$_opts,\"python\":$J"; fi
is_num "$OPT_DURATION" && _opts="$_opts,\"duration\":$OPT_DURATION"
json_s "$EDGEPROBE_VERSION"; _ver=$J
now_ms
printf '{"schema":"edgeprobe.report/v1","id":"%s","createdAt":"%s","agent":{"version":%s,"node":null,"mode":"posix-sh"},"host":{%s},"metrics":{%s},"probes":[%s],"options":{%s}}\n' \
  "$UUID" "$CREATED" "$_ver" "$_host" "$ALL_M" "$ENVS" "$_opts"
