# ---------------------------------------------------------------- characters
TAB=$(printf '\t')
CR=$(printf '\r')
NL='
'

# ---------------------------------------------------------------- small helpers
have() { command -v "$1" >/dev/null 2>&1; }

# Runs a command with a time bound when `timeout` exists (coreutils and busybox both have it). The bound is
# set for a fast machine: it is stretched by the device's budget scale (BUDGET_SCALE10, tenths), never past
# what is left of --timeout.
bounded() {
  cap_secs $(( ($1 * ${BUDGET_SCALE10:-10} + 9) / 10 )); _secs=$S; shift
  if [ -n "$HAVE_TIMEOUT" ]; then timeout "$_secs" "$@"; else "$@"; fi
}
HAVE_TIMEOUT=
if have timeout && timeout 5 true </dev/null >/dev/null 2>&1; then HAVE_TIMEOUT=1; fi

# The device's slowness against the reference machine, as the Node runner measures it (src/engine/budget-scale.ts)
# with what a shell has: the lower of two rounds of 20 starts of `true` from the file system, timed with
# /proc/uptime (10 ms steps), over the same on the reference (an x86-64 server core under dash: 10 ms).
# Bounded to 1..10; a recorded tree, or no clock, keeps 1. Sets BUDGET_SCALE10 and BUDGET_SCALE_JSON.
BUDGET_REF_MS=10
measure_budget_scale() {
  BUDGET_SCALE10=10
  _true=; for _t in /bin/true /usr/bin/true; do [ -x "$_t" ] && { _true=$_t; break; }; done
  if [ "$LIVE" = false ] || [ -z "$_true" ] || [ ! -r /proc/uptime ]; then
    _why='not measured: a recorded tree, or no /bin/true or /proc/uptime; budgets unchanged'
    BUDGET_SCALE_JSON="{\"factor\":1,\"reason\":\"$_why\",\"floor\":1,\"ceiling\":10}"
    return 0
  fi
  _best=
  for _round in 1 2; do
    now_ms; _t0=$NOW; _i=0
    while [ $_i -lt 20 ]; do "$_true"; _i=$((_i + 1)); done
    now_ms; _ms=$((NOW - _t0))
    if [ -z "$_best" ] || [ "$_ms" -lt "$_best" ]; then _best=$_ms; fi
  done
  _s10=$(( _best * 10 / BUDGET_REF_MS ))
  _bound=
  [ "$_s10" -lt 10 ] && { _s10=10; _bound=' (as fast as the reference or faster: budgets unchanged)'; }
  [ "$_s10" -gt 100 ] && { _s10=100; _bound=' (capped at 10)'; }
  BUDGET_SCALE10=$_s10
  _f="$((_s10 / 10)).$((_s10 % 10))"
  BUDGET_SCALE_JSON="{\"factor\":$_f,\"reason\":\"measured: 20 starts of true took ${_best} ms, ${BUDGET_REF_MS} ms on the reference$_bound\",\"measured\":{\"trueStarts20Ms\":$_best},\"reference\":{\"trueStarts20Ms\":$BUDGET_REF_MS},\"floor\":1,\"ceiling\":10}"
}

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
  repl "$1" '\' '\\'; repl "$R_" '"' '\"'; repl "$R_" "$TAB" ' '; repl "$R_" "$CR" ' '; repl "$R_" "$NL" '\n'
  # Any other control byte (a program's colour codes, say) would make the report invalid JSON: drop it.
  case $R_ in *[[:cntrl:]]*) R_=$(printf '%s' "$R_" | tr -d '\001-\037\177') ;; esac
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
# A probe the sh probe cannot run: every metric of the catalogue's for it null with the reason.
p_skipped() {
  _id=$1; _why=$2
  p_begin "$_id"
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
