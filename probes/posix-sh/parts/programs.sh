# ---------------------------------------------------------------- programs, processes, listening ports
# What probes/lib/executables.ts and the stack probe's socket table do, with shell tools: the supervision and
# stack parts ask these. Everything is read under the root, so a recorded tree answers as far as it was recorded.
NO_PROGRAM_DIRS='the recorded tree holds no program folders (/usr/bin, /usr/sbin ...)'

# EXE <- the device path of the first of the names found in the search directories (the live PATH, then
# EDGEPROBE_SYSTEM_BIN_DIRS), as findExecutable does; fails when none is there.
find_exe() {
  _dirs=$EDGEPROBE_SYSTEM_BIN_DIRS
  [ "$LIVE" = true ] && _dirs="$PATH:$_dirs"
  find_exe_in "$_dirs" "$@"
}
# The same in given directories (colon-separated).
find_exe_in() {
  EXE=
  _dirs=$1; shift
  _oldifs=$IFS; IFS=:
  for _d in $_dirs; do
    case $_d in /*) ;; *) continue ;; esac
    for _n in "$@"; do
      if [ -f "$R$_d/$_n" ] && { [ "$LIVE" = false ] || [ -x "$_d/$_n" ]; }; then EXE=$_d/$_n; IFS=$_oldifs; return 0; fi
    done
  done
  IFS=$_oldifs
  return 1
}

# Can this root show which programs are installed? Always live; a recorded tree may hold no program folders.
programs_visible() {
  [ "$LIVE" = true ] && return 0
  _oldifs=$IFS; IFS=:
  for _d in $EDGEPROBE_SYSTEM_BIN_DIRS; do
    if [ -d "$R$_d" ]; then IFS=$_oldifs; return 0; fi
  done
  IFS=$_oldifs
  return 1
}

# PROCS <- one "pid comm" line per process under the root's /proc (a recorded tree usually has none).
PROCS=
PROCS_LOADED=false
procs_load() {
  [ "$PROCS_LOADED" = true ] && return 0
  PROCS_LOADED=true
  set +f
  for _e in "$R"/proc/[0-9]*; do
    [ -r "$_e/comm" ] || continue
    IFS= read -r _comm <"$_e/comm" 2>/dev/null || continue
    PROCS="$PROCS${_e##*/} $_comm$NL"
  done
  set -f
}
have_procs() { procs_load; [ -n "$PROCS" ]; }

# PIDS <- the pids (space-separated, ascending) of processes whose kernel name is one of the names.
procs_named() {
  procs_load
  PIDS=
  while IFS=' ' read -r _pid _comm; do
    [ -n "$_pid" ] || continue
    for _n in "$@"; do
      if [ "$_comm" = "$_n" ]; then PIDS="$PIDS $_pid"; break; fi
    done
  done <<EOF
$PROCS
EOF
  PIDS=$(printf '%s\n' $PIDS | sort -n | tr '\n' ' ')
  trim "$PIDS"; PIDS=$T
  [ -n "$PIDS" ]
}

# PPID_ <- the parent of a process (from /proc/PID/status); empty when unknown.
ppid_of() {
  PPID_=
  [ -r "$R/proc/$1/status" ] || return 1
  while IFS="$TAB " read -r _k _v _rest; do
    case $_k in PPid:) PPID_=$_v; return 0 ;; esac
  done <"$R/proc/$1/status"
  return 1
}

# ARGV <- a process's command line, one argument per line.
argv_of() {
  ARGV=$( { tr '\000' '\n' <"$R/proc/$1/cmdline"; } 2>/dev/null)
}

# Only the first processes of a group (no parent in the group), e.g. postmasters without their backends.
group_roots() {
  ROOTS=
  for _p in $1; do
    ppid_of "$_p"
    case " $1 " in *" $PPID_ "*) ;; *) ROOTS="$ROOTS $_p" ;; esac
  done
  trim "$ROOTS"; ROOTS=$T
}

# LISTENING <- "family port inode" of every TCP socket in LISTEN state under the root's /proc/net.
LISTENING=
LISTENING_SEEN=false
listening_load() {
  [ "$LISTENING_SEEN" = true ] && return 0
  LISTENING_SEEN=true
  # Variables of their own (_ll*): sh has one namespace, and callers loop over ports.
  for _llfam in 4 6; do
    _llf=$R/proc/net/tcp; [ "$_llfam" = 6 ] && _llf=$R/proc/net/tcp6
    [ -r "$_llf" ] || continue
    # Only LISTEN lines (st 0A, the one field " 0A " can be): a busy host holds thousands of connections.
    while read -r _llsl _lllocal _llremote _llst _llrest; do
      [ "$_llst" = 0A ] || continue
      set -- $_llrest
      # after st: tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      LISTENING="$LISTENING$_llfam $(( 0x${_lllocal##*:} )) ${6:-0}$NL"
    done <<EOF
$(grep ' 0A ' "$_llf" 2>/dev/null)
EOF
  done
}
sockets_visible() { [ -r "$R/proc/net/tcp" ]; }

# PORTS <- "family:port" of the listening sockets a process holds open (needs the same user, or root).
ports_of() {
  listening_load
  PORTS=
  _inodes=" $(ls -l "$R/proc/$1/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\].*/\1/p' | tr '\n' ' ') "
  while read -r _fam _port _inode; do
    [ -n "$_inode" ] || continue
    case $_inodes in *" $_inode "*) PORTS="$PORTS $_fam:$_port" ;; esac
  done <<EOF
$LISTENING
EOF
  trim "$PORTS"; PORTS=$T
}

# Does anything listen on this TCP port?
port_listened() {
  listening_load
  case "$NL$LISTENING" in *"$NL"4" $1 "*|*"$NL"6" $1 "*) return 0 ;; esac
  return 1
}
