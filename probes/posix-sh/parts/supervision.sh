# ---------------------------------------------------------------- supervision (probes/supervision.ts)
# pid 1's kind, then what could restart a crashed Django and start it at boot: systemd (state, version, user
# manager, lingering), supervisord (running instances answering supervisorctl), runit, s6, OpenRC, docker and
# podman, with the Node agent's rules (probes/supervision/*.ts). The opt-in restart test is the Node agent's.

# INIT_KIND <- what probes/lib/parsers/supervision.ts classifyInit says for pid 1.
classify_init() {
  _exe_base=${INIT_EXE% (deleted)}; _exe_base=${_exe_base##*/}
  _argv0=${INIT_ARGV0##*/}
  _names=" $INIT_COMM $_exe_base $_argv0 "
  case $_names in *" systemd "*) INIT_KIND=systemd; return ;; esac
  case $INIT_EXE in */systemd/systemd) INIT_KIND=systemd; return ;; esac
  case $_names in *" openrc-init "*) INIT_KIND=openrc; return ;; esac
  case $_names in *" runit "*|*" runit-init "*) INIT_KIND=runit; return ;; esac
  case $_names in *" s6-svscan "*|*" s6-linux-init "*) INIT_KIND=s6; return ;; esac
  for _ci in tini dumb-init docker-init catatonit podman-init init.sh supervisord; do
    case $_names in *" $_ci "*) INIT_KIND=container-init; return ;; esac
  done
  case $_names in *" init "*)
    if [ "$_exe_base" = busybox ]; then INIT_KIND=busybox
    elif [ -e "$R/run/openrc/softlevel" ]; then INIT_KIND=openrc
    else INIT_KIND=sysvinit; fi
    return ;;
  esac
  case $_names in *" busybox "*) INIT_KIND=busybox; return ;; esac
  INIT_KIND=unknown
}

# One supervisor found: name, usable now, starts at boot (true, false or null), evidence.
SUP_JSON=
SUP_USABLE=
SUP_AVAILABLE=false
sup_add() {
  json_s "$1"; _n=$J; json_s "$4"; _e=$J
  SUP_JSON="${SUP_JSON:+$SUP_JSON,}{\"name\":$_n,\"usable\":$2,\"startsAtBoot\":$3,\"evidence\":[$_e]}"
  if [ "$2" = true ]; then
    SUP_USABLE="${SUP_USABLE:+$SUP_USABLE,}$1"
    [ "$3" = true ] && SUP_AVAILABLE=true
  fi
}

sup_systemd() {
  if ! find_exe systemctl; then
    _why='systemd is not installed (no systemctl)'
    programs_visible || _why=$NO_PROGRAM_DIRS
    put_null supervision.systemd_state "$_why"
    put_null supervision.systemd_version "$_why"
    put_null supervision.user_manager_running "$_why"
    put_null supervision.linger_enabled "$_why"
    return
  fi
  _ctl=$EXE; det_str systemctl "$_ctl"
  _state=; _state_why='recorded tree: systemctl cannot be asked'; _ver=; _ver_why=$_state_why
  if [ "$LIVE" = true ]; then
    _said=$(bounded 8 "$_ctl" is-system-running </dev/null 2>&1)
    squash "$_said"; _said=$T
    case ${_said%% *} in initializing|starting|running|degraded|maintenance|stopping|offline|unknown) _state=${_said%% *} ;; esac
    _state_why="systemctl is-system-running said \"$(printf '%s' "$_said" | cut -c1-120)\""
    _v=$(bounded 8 "$_ctl" --version </dev/null 2>/dev/null | sed -n '1s/^systemd \([0-9][0-9]*\).*/\1/p')
    _ver=$_v; _ver_why='systemctl --version printed no version'
  fi
  put_str supervision.systemd_state "$_state" "$_state_why"
  put_num supervision.systemd_version "$_ver" "$_ver_why"
  _user=$(id -un 2>/dev/null); _uid=$(id -u 2>/dev/null)
  _linger=false; [ -n "$_user" ] && [ -e "$R/var/lib/systemd/linger/$_user" ] && _linger=true
  _manager=false
  [ "$INIT_KIND" = systemd ] && [ -n "$_uid" ] && [ -e "$R/run/user/$_uid/systemd/private" ] && _manager=true
  put_raw supervision.linger_enabled "$_linger"
  put_raw supervision.user_manager_running "$_manager"
  if [ "$INIT_KIND" = systemd ]; then
    _usable=false
    case $_state in
      running|degraded|starting|initializing) _usable=true ;;
      '') [ "$LIVE" = false ] && _usable=true ;;
    esac
    sup_add systemd "$_usable" true "systemd is pid 1${_state:+; is-system-running: $_state}"
  else
    sup_add systemd false false 'systemd is installed but is not pid 1, so it supervises nothing'
  fi
}

# Where supervisord is enabled at boot under each init (probes/supervision/supervisord.ts).
supervisord_boot() {
  _boot=false
  [ "$1" = 1 ] && { _boot=true; return; }
  case $INIT_KIND in
    systemd) for _f in /etc/systemd/system/multi-user.target.wants/supervisor.service /etc/systemd/system/multi-user.target.wants/supervisord.service; do [ -e "$R$_f" ] && _boot=true; done ;;
    sysvinit)
      set +f
      for _f in "$R"/etc/rc2.d/S*supervisor* "$R"/etc/rc3.d/S*supervisor* "$R"/etc/rc5.d/S*supervisor*; do [ -e "$_f" ] && _boot=true; done
      set -f ;;
    openrc) for _f in /etc/runlevels/default/supervisord /etc/runlevels/default/supervisor; do [ -e "$R$_f" ] && _boot=true; done ;;
    runit) for _f in /etc/service/supervisor /etc/service/supervisord /var/service/supervisord; do [ -e "$R$_f" ] && _boot=true; done ;;
  esac
}

# CONF <- the config a supervisord process reads: its -c / --configuration argument, else the default search.
supervisord_config() {
  argv_of "$1"
  CONF=; _next=false
  while IFS= read -r _a; do
    if [ "$_next" = true ]; then CONF=$_a; break; fi
    case $_a in
      -c|--configuration) _next=true ;;
      --configuration=*) CONF=${_a#*=}; break ;;
      --*) ;;
      -*c) _next=true ;;
      -*c*) CONF=${_a#*c}; break ;;
    esac
  done <<EOF
$ARGV
EOF
  _cwd=$(readlink "$R/proc/$1/cwd" 2>/dev/null); [ -n "$_cwd" ] || _cwd=/
  if [ -n "$CONF" ]; then
    case $CONF in /*) ;; *) CONF=${_cwd%/}/$CONF ;; esac
    return
  fi
  for _c in supervisord.conf etc/supervisord.conf /etc/supervisord.conf /etc/supervisor/supervisord.conf; do
    case $_c in /*) _p=$_c ;; *) _p=${_cwd%/}/$_c ;; esac
    if [ -e "$R$_p" ]; then CONF=$_p; return; fi
  done
}

sup_supervisord() {
  find_exe supervisorctl && _sctl=$EXE || _sctl=
  find_exe supervisord && _sd=$EXE || _sd=
  # supervisord runs as its script's name, or as python running it.
  procs_named supervisord; _pids=$PIDS
  procs_named python3 python; for _p in $PIDS; do argv_of "$_p"; case $ARGV in *"$NL"*/supervisord|*"$NL"*/supervisord"$NL"*) _pids="$_pids $_p" ;; esac; done
  [ -z "$_sd" ] && [ -z "$_pids" ] && return
  group_roots "$_pids"
  _usable=false; _boot=null; _ev=; _inst=
  for _p in $ROOTS; do
    supervisord_config "$_p"
    supervisord_boot "$_p"
    _ok=false; _err=
    if [ "$LIVE" = false ]; then _err='recorded tree: supervisorctl cannot be asked'
    elif [ -z "$_sctl" ]; then _err='supervisorctl is not installed'
    elif [ -z "$CONF" ]; then _err='its config file could not be found'
    else
      _ans=$(bounded 8 "$_sctl" -c "$CONF" pid </dev/null 2>&1)
      trim "$_ans"
      if [ "$T" = "$_p" ]; then _ok=true; else _err="supervisorctl -c $CONF pid said \"$(printf '%s' "$T" | cut -c1-160)\""; fi
    fi
    if [ "$_ok" = true ]; then
      _usable=true
      if [ "$_boot" = true ]; then _boot_all=true; fi
    fi
    _ev="${_ev:+$_ev; }pid $_p (${CONF:-no config}): ${_err:-answers supervisorctl}"
    json_s "$CONF"; [ -z "$CONF" ] && J=null
    _inst="${_inst:+$_inst,}{\"pid\":$_p,\"config\":$J,\"usable\":$_ok,\"startsAtBoot\":$_boot}"
  done
  if [ "$_usable" = true ]; then _boot=${_boot_all:-false}; else _boot=null; fi
  _boot_all=
  [ -z "$ROOTS" ] && _ev='installed but not running'
  json_s "$_sd"; [ -z "$_sd" ] && J=null; _sdj=$J
  json_s "$_sctl"; [ -z "$_sctl" ] && J=null
  det_raw supervisord "{\"installed\":$_sdj,\"supervisorctl\":$J,\"instances\":[$_inst]}"
  sup_add supervisord "$_usable" "$_boot" "$_ev"
}

# runsvdir (runit) or s6-svscan: usable when running; at boot when pid 1 is theirs or systemd (or it is pid 1).
sup_scanner() {
  _name=$1; _proc=$2; shift 2
  if procs_named "$_proc"; then
    _pid=${PIDS%% *}; _boot=false
    case $INIT_KIND in systemd|"$_name") _boot=true ;; esac
    [ "$_pid" = 1 ] && _boot=true
    sup_add "$_name" true "$_boot" "$_proc is running (pid $_pid)"
  elif find_exe "$@"; then
    sup_add "$_name" false null "installed, $_proc not running"
  fi
}

sup_openrc() {
  _running=false; [ -e "$R/run/openrc/softlevel" ] && _running=true
  [ "$_running" = false ] && ! find_exe openrc rc-status && return
  _usable=false
  [ "$_running" = true ] && find_exe supervise-daemon && _usable=true
  if [ "$_running" = true ]; then _ev='OpenRC is the running rc system (/run/openrc/softlevel); services restart under supervise-daemon'; else _ev='installed, not running'; fi
  sup_add openrc "$_usable" "$_running" "$_ev"
}

sup_containers() {
  if procs_named dockerd; then
    _boot=null
    if [ "$INIT_KIND" = systemd ]; then
      _boot=false; [ -e "$R/etc/systemd/system/multi-user.target.wants/docker.service" ] && _boot=true
    fi
    sup_add docker true "$_boot" "dockerd is running (pid ${PIDS%% *}): containers started with --restart=always are supervised"
  fi
  if find_exe podman && [ "$INIT_KIND" = systemd ]; then
    case ",$SUP_USABLE," in *,systemd,*) sup_add podman true true 'podman with systemd: containers run as systemd units (quadlet)' ;; esac
  fi
}

probe_supervision() {
  p_begin supervision
  IN_CONTAINER=${IN_CONTAINER:-false}
  if [ "$LIVE" = false ] && [ ! -e "$R/proc/1/comm" ]; then
    p_fill 'the recorded tree has no /proc/1 (pid 1 was not recorded)'
    put_raw supervision.in_container "$IN_CONTAINER"
    p_end; return
  fi
  INIT_COMM=; INIT_EXE=; INIT_ARGV0=
  [ -r "$R/proc/1/comm" ] && IFS= read -r INIT_COMM <"$R/proc/1/comm"
  INIT_EXE=$(readlink "$R/proc/1/exe" 2>/dev/null)
  argv_of 1; INIT_ARGV0=${ARGV%%"$NL"*}
  classify_init
  put_str supervision.init "$INIT_KIND"
  _pid1=$INIT_COMM; [ -z "$_pid1" ] && _pid1=${INIT_EXE##*/}
  put_str supervision.pid1 "$_pid1" 'no /proc/1/comm'
  put_raw supervision.in_container "$IN_CONTAINER"
  json_s "$INIT_KIND"; _k=$J; json_s "$_pid1"; _nm=$J; json_s "$INIT_EXE"; [ -z "$INIT_EXE" ] && J=null
  det_raw pid1 "{\"kind\":$_k,\"name\":$_nm,\"exe\":$J}"
  SUP_JSON=; SUP_USABLE=; SUP_AVAILABLE=false
  sup_systemd
  sup_supervisord
  sup_scanner runit runsvdir runsvdir sv
  sup_scanner s6 s6-svscan s6-svscan
  sup_openrc
  sup_containers
  # An empty list is a value (none usable), as the Node agent reports it.
  json_s "$SUP_USABLE"; put_raw supervision.supervisors "$J"
  put_raw supervision.available "$SUP_AVAILABLE"
  det_raw supervisorsFound "[$SUP_JSON]"
  if [ "$SUP_AVAILABLE" = false ]; then
    _r=
    case $INIT_KIND in systemd|openrc|runit|s6|sysvinit|busybox) ;; *) _r="pid 1 is \"$_pid1\"${INIT_EXE:+ ($INIT_EXE)}, not an init system, so nothing starts services at boot" ;; esac
    [ "$IN_CONTAINER" = true ] && _r="${_r:+$_r; }inside a container: a restart policy (docker run --restart, compose restart:) is set on the host and is not visible from inside"
    _oldifs=$IFS; IFS=,
    for _s in $SUP_USABLE; do _r="${_r:+$_r; }$_s is running but nothing starts it at boot"; done
    IFS=$_oldifs
    [ -z "$SUP_USABLE" ] && _r="${_r:+$_r; }no supervisor that can restart a crashed process is running"
    det_str availableReason "$_r"
    det_str supervisionWarning "no supervision that survives a reboot: $_r"
  fi
  put_null supervision.restart_verified 'opt-in test: run the Node agent with --active-supervision (the POSIX-sh probe does not run it)'
  p_end
}
