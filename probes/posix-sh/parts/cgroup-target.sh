# ---------------------------------------------------------------- --unit / --cgroup (probes/lib/cgroup-target.ts)
# The group whose limits matter is the deployment's service, not the ssh session this probe runs in. Resolved
# before any probe runs: a name that does not exist is a usage error (exit 2), with the agent's wording.
TARGET_PATH=
TARGET_SOURCE=
usage_fail() { printf 'edgeprobe-probe.sh: %s\n' "$1" >&2; exit 2; }
# T <- a cgroup path from the cgroup root ("system.slice//x/" -> "/system.slice/x"); fails on ".." or nothing
cg_normalise() {
  _in=$1; T=
  case $_in in *"$NL"*) return 1 ;; esac
  trim "$_in"; [ -z "$T" ] && return 1
  _out=
  _oldifs=$IFS; IFS=/
  for _p in $_in; do
    case $_p in ''|.) continue ;; ..) IFS=$_oldifs; return 1 ;; esac
    _out="$_out/$_p"
  done
  IFS=$_oldifs
  T=${_out:-/}
}
# T <- the unit name with its type ("myapp" -> "myapp.service"); exits 2 when it is no unit with a cgroup
unit_normalise() {
  _u=$1
  _bad="--unit $_u: not a systemd unit name (letters, digits and : _ . \\ @ -, e.g. myapp.service)"
  case $_u in ''|*[!A-Za-z0-9:_.\\@-]*) usage_fail "$_bad" ;; esac
  case $_u in -.slice) ;; -*) usage_fail "$_bad" ;; esac
  case $_u in *.service|*.scope|*.slice) T=$_u; return 0 ;; esac
  _suffix=${_u##*.}
  if [ "$_suffix" != "$_u" ] && [ -n "$_suffix" ]; then
    case $_suffix in *[!a-z]*) ;; *) usage_fail "--unit $_u: only a .service, .scope or .slice has a cgroup; name the service it starts" ;; esac
  fi
  T=$_u.service
}
# T <- where systemd puts a unit's group: slices nest by their dashes (a-b.slice in a.slice), the rest go in system.slice
unit_path() {
  case $1 in -.slice) T=/; return ;; *.slice) ;; *) T=/system.slice/$1; return ;; esac
  _acc=; T=
  _oldifs=$IFS; IFS=-
  for _p in ${1%.slice}; do _acc=${_acc:+$_acc-}$_p; T="$T/$_acc.slice"; done
  IFS=$_oldifs
}
# T <- the ControlGroup systemd gives unit $1 on this host
unit_cgroup_live() {
  have systemctl || usage_fail "--unit $1: no systemctl on this host (not systemd?); give the group with --cgroup PATH"
  _out=$(bounded 10 systemctl show --property=LoadState,ActiveState,ControlGroup -- "$1" </dev/null 2>&1)
  _rc=$?
  if [ "$_rc" -ne 0 ]; then
    IFS= read -r _first <<EOF
$_out
EOF
    usage_fail "--unit $1: systemctl show failed (${_first:-exit $_rc}); give the group with --cgroup PATH"
  fi
  _load=; _active=; T=
  while IFS= read -r _line; do
    case $_line in LoadState=*) _load=${_line#*=} ;; ActiveState=*) _active=${_line#*=} ;; ControlGroup=*) trim "${_line#*=}"; _cgline=$T ;; esac
  done <<EOF
$_out
EOF
  T=${_cgline:-}
  [ "$_load" = not-found ] && usage_fail "--unit $1: no such unit on this host (systemctl: LoadState=not-found)"
  [ -z "$T" ] && usage_fail "--unit $1: it is ${_active:-not running}, and systemd gives a unit a cgroup only while it runs; start it, or name its slice with --cgroup"
  return 0
}
# TARGET_PATH, TARGET_SOURCE <- the group --unit or --cgroup named, once it is known to exist in a hierarchy
cg_target_resolve() {
  [ -z "$HAVE_UNIT$HAVE_CGROUP" ] && return 0
  [ -n "$HAVE_UNIT" ] && [ -n "$HAVE_CGROUP" ] && usage_fail '--unit and --cgroup both name the group to measure: give one of them'
  if [ -n "$HAVE_UNIT" ]; then
    unit_normalise "$OPT_UNIT"; _unit=$T; _flag="--unit $_unit"
    if [ "$LIVE" = true ]; then
      _cgline=; unit_cgroup_live "$_unit"
      cg_normalise "$T" || usage_fail "$_flag: systemd named an unusable cgroup: $T"
      TARGET_SOURCE="unit $_unit (systemctl show -p ControlGroup)"
    else
      unit_path "$_unit"
      TARGET_SOURCE="unit $_unit (where systemd puts it in the recorded tree)"
    fi
  else
    _flag="--cgroup $OPT_CGROUP"
    json_s "$OPT_CGROUP"
    cg_normalise "$OPT_CGROUP" || usage_fail "--cgroup $J: expected a path from the cgroup root, e.g. system.slice/myapp.service (no \"..\")"
    TARGET_SOURCE=--cgroup
  fi
  TARGET_PATH=$T
  [ -r "$R/proc/self/mountinfo" ] || usage_fail "$_flag: cannot read $R/proc/self/mountinfo to find the cgroup hierarchies"
  _looked=; _n=0
  while read -r _a _b _c _root _mp _rest; do
    case $_rest in *" - cgroup "*|*" - cgroup2 "*) ;; *) continue ;; esac
    cg_join "$_mp" "$TARGET_PATH" "$_root"
    _n=$((_n + 1))
    [ -d "$R$CG_DIR" ] && return 0
    _looked="${_looked:+$_looked, }$R$CG_DIR"
  done <"$R/proc/self/mountinfo"
  [ "$_n" -eq 0 ] && usage_fail "$_flag: no cgroup hierarchy is mounted ($R/proc/self/mountinfo lists none)"
  usage_fail "$_flag: no cgroup $TARGET_PATH (looked for $_looked)"
}
