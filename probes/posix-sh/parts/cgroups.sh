# ---------------------------------------------------------------- cgroups (probes/lib/parsers/cgroup.ts)
# CG_VER, CG_DIR, CG_MNT, CG_PATH <- where the measured group for controller $1 lives: this shell's own, or
# TARGET_PATH (--unit / --cgroup) unless $2 is "own"; fails when not found. CG_PATH is the group's path below
# the mount point (what the report names); CG_NOTE is set when the named group has no directory in a v1
# hierarchy and its nearest ancestor stands in (findCgroup in probes/lib/cgroups.ts).
cg_locate() {
  _ctl=$1; CG_VER=; CG_DIR=; CG_MNT=; CG_PATH=; CG_NOTE=
  _target=$TARGET_PATH; [ "${2:-}" = own ] && _target=
  _v1path=; _v2path=
  [ -r "$R/proc/self/mountinfo" ] || return 1
  if [ -z "$_target" ]; then
    [ -r "$R/proc/self/cgroup" ] || return 1
    while IFS=: read -r _h _c _p; do
      [ -z "$_h" ] && continue
      if [ -z "$_c" ]; then
        [ "$_h" = 0 ] && [ -z "$_v2path" ] && _v2path=${_p:-/}
      else
        case ",$_c," in *",$_ctl,"*) [ -z "$_v1path" ] && _v1path=${_p:-/} ;; esac
      fi
    done <"$R/proc/self/cgroup"
  fi
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
  if [ -n "$_m1mp" ] && [ -n "$_target$_v1path" ]; then
    CG_VER=1; cg_join "$_m1mp" "${_target:-$_v1path}" "$_m1root"
  elif [ -n "$_m2mp" ] && [ -n "$_target$_v2path" ]; then
    CG_VER=2; cg_join "$_m2mp" "${_target:-$_v2path}" "$_m2root"
  else
    return 1
  fi
  [ -z "$_target" ] && return 0
  # systemd makes a unit's directory only in the v1 hierarchies whose controller the unit uses; its processes
  # then count against the nearest ancestor that has one.
  _named=$CG_PATH; CG_FOUND=
  cg_upwards "$CG_DIR" _cg_first_existing
  [ -n "$CG_FOUND" ] || return 1
  [ "$CG_FOUND" = "$CG_DIR" ] && return 0
  CG_DIR=$CG_FOUND; cg_path_of
  CG_NOTE="$_named has no directory in the $_ctl hierarchy ($CG_MNT); its nearest ancestor $CG_PATH holds its processes there"
  return 0
}
_cg_first_existing() { [ -z "$CG_FOUND" ] && [ -d "$R$1" ] && CG_FOUND=$1; return 0; }
# CG_PATH <- CG_DIR below CG_MNT ("/" for the mount point itself)
cg_path_of() {
  if [ "$CG_DIR" = "$CG_MNT" ]; then CG_PATH=/; else CG_PATH=${CG_DIR#"${CG_MNT%/}"}; fi
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
  cg_path_of
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
