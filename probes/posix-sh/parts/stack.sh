# ---------------------------------------------------------------- stack (probes/stack.ts)
# Reverse proxy (nginx, caddy, apache2, lighttpd), Redis (version; running and answering PING), PostgreSQL,
# memcached, cron, and whether ports 80, 443 and 8000 are free, with the Node agent's rules. Redis is asked with
# redis-cli, or with python3 where redis-cli is missing, at the ports its processes listen on, the port and
# socket of /etc/redis/redis.conf and the default 127.0.0.1:6379.
NO_PROCESSES='no processes visible under the root'

# V <- a version out of a version line, by the Node parser's pattern (sed -n with one \(...\) group).
version_of() {
  V=
  if [ "$LIVE" = false ]; then V_WHY='recorded tree: programs cannot be run'; return 1; fi
  _prog=$1; _pattern=$2; shift 2
  V=$(bounded 5 "$_prog" "$@" </dev/null 2>&1 | sed -n "s/$_pattern/\\1/p" | sed -n 1p)
  V_WHY="$_prog $* printed no version"
  [ -n "$V" ]
}

stack_proxies() {
  _found=; _first=; _running_any=false; _det=
  for _spec in 'nginx|nginx|nginx|-v|.*nginx version: [a-zA-Z]*/\([0-9][0-9.]*\).*' \
      'caddy|caddy|caddy|version|.*v\([0-9][0-9]*\.[0-9][0-9]*[0-9.]*\).*' \
      'apache2|apache2ctl apachectl httpd apache2|apache2 httpd|-v|.*Apache/\([0-9][0-9.]*\).*' \
      'lighttpd|lighttpd|lighttpd|-v|.*lighttpd/\([0-9][0-9.]*\).*'; do
    _oldifs=$IFS; IFS='|'; set -- $_spec; IFS=$_oldifs
    _name=$1; _bins=$2; _procs=$3; _arg=$4; _pat=$5
    _path=; find_exe $_bins && _path=$EXE
    _run=false; procs_named $_procs && _run=true
    [ -z "$_path" ] && [ "$_run" = false ] && continue
    _ver=; [ -n "$_path" ] && version_of "$_path" "$_pat" "$_arg" && _ver=$V
    [ -z "$_first" ] && _first=$_name
    if [ "$_run" = true ]; then _running_any=true; [ -z "$_found" ] && _found=$_name; fi
    json_s "$_path"; [ -z "$_path" ] && J=null; _pj=$J
    json_s "$_ver"; [ -z "$_ver" ] && J=null
    _det="${_det:+$_det,}{\"name\":\"$_name\",\"path\":$_pj,\"version\":$J,\"running\":$_run}"
  done
  [ -z "$_found" ] && _found=$_first
  _why='none of nginx, caddy, apache2 or lighttpd is installed'; programs_visible || _why=$NO_PROGRAM_DIRS
  put_str stack.reverse_proxy "$_found" "$_why"
  if have_procs; then put_raw stack.reverse_proxy_running "$_running_any"; else put_null stack.reverse_proxy_running "$NO_PROCESSES"; fi
  det_raw reverseProxies "[$_det]"
}

# R_ANSWERS, R_AUTH, R_VERSION <- what a Redis says to PING and INFO server: "tcp HOST PORT" or "unix PATH".
REDIS_PY='import socket,sys,time
a=sys.argv[1:]
s=socket.socket(socket.AF_UNIX) if a[0]=="unix" else socket.socket(socket.AF_INET6 if ":" in a[1] else socket.AF_INET)
s.settimeout(2)
try:
    s.connect(a[1] if a[0]=="unix" else (a[1],int(a[2])))
    s.sendall(b"PING\r\nINFO server\r\n")
    d=b""; t=time.time()+2
    while time.time()<t and (b"redis_version" not in d) and (b"NOAUTH" not in d) and (b"-ERR" not in d):
        c=s.recv(65536)
        if not c: break
        d+=c
    sys.stdout.write(d.decode("utf-8","replace"))
except Exception: pass'
redis_ask() {
  R_ANSWERS=false; R_AUTH=false; R_VERSION=
  if [ "$1" = unix ]; then _args="-s$NL$2"; else _args="-h$NL$2$NL-p$NL$3"; fi
  if [ -n "$REDIS_CLI" ]; then
    _oldifs=$IFS; IFS=$NL; set -- $_args; IFS=$_oldifs
    _said=$(bounded 3 "$REDIS_CLI" "$@" PING </dev/null 2>&1)
    [ "$_said" != PONG ] || _said=+PONG
    case $_said in *NOAUTH*) ;; *) _said="$_said$NL$(bounded 3 "$REDIS_CLI" "$@" INFO server </dev/null 2>/dev/null)" ;; esac
  elif [ -n "${RUNNER:-}" ]; then
    _said=$(bounded 4 "$RUNNER" -c "$REDIS_PY" "$@" </dev/null 2>/dev/null)
  else
    return 1
  fi
  case $_said in *+PONG*|*PONG*) R_ANSWERS=true ;; esac
  case $_said in *NOAUTH*|*"Authentication required"*) R_ANSWERS=true; R_AUTH=true ;; esac
  R_VERSION=$(printf '%s\n' "$_said" | sed -n 's/^redis_version:\([0-9][0-9.]*\).*/\1/p' | sed -n 1p)
  return 0
}

stack_redis() {
  find_exe redis-server && _bin=$EXE || _bin=
  _bver=; _bwhy='redis-server is not installed'; programs_visible || _bwhy=$NO_PROGRAM_DIRS
  if [ -n "$_bin" ]; then version_of "$_bin" '.*v=\([0-9][0-9]*\.[0-9][0-9.]*\).*' --version && _bver=$V; _bwhy=$V_WHY; fi
  find_exe redis-cli && REDIS_CLI=$EXE || REDIS_CLI=
  _targets=
  add_target() { case "$NL$_targets$NL" in *"$NL$1$NL"*) ;; *) _targets="${_targets:+$_targets$NL}$1" ;; esac; }
  procs_named redis-server; _rpids=$PIDS; _procs_det=
  for _p in $_rpids; do
    ports_of "$_p"
    _pl=
    for _fp in $PORTS; do
      _pl="${_pl:+$_pl,}${_fp#*:}"
      if [ "${_fp%%:*}" = 6 ]; then add_target "tcp ::1 ${_fp#*:}"; else add_target "tcp 127.0.0.1 ${_fp#*:}"; fi
    done
    _procs_det="${_procs_det:+$_procs_det,}{\"pid\":$_p,\"ports\":[$_pl]}"
  done
  for _conf in /etc/redis/redis.conf /etc/redis.conf; do
    [ -r "$R$_conf" ] || continue
    _port=; _bind=; _sock=
    while read -r _k _v _more; do
      case $_k in
        port) _port=$_v ;;
        bind) _bind=${_v#-} ;;
        unixsocket) _sock=${_v#\"}; _sock=${_sock%\"} ;;
      esac
    done <"$R$_conf"
    if is_uint "$_port" && [ "$_port" -gt 0 ]; then
      case $_bind in ''|'*'|0.0.0.0|127.*) _host=127.0.0.1 ;; '::'|'::*'|::1) _host=::1 ;; *) _host=$_bind ;; esac
      add_target "tcp $_host $_port"
    fi
    [ -n "$_sock" ] && add_target "unix $_sock"
  done
  add_target 'tcp 127.0.0.1 6379'
  _answering=; _ver=; _checked=
  if [ "$LIVE" = true ]; then
    while IFS= read -r _t; do
      [ -n "$_t" ] || continue
      set -- $_t
      redis_ask "$@" || continue
      json_s "$_t"; _checked="${_checked:+$_checked,}{\"target\":$J,\"answers\":$R_ANSWERS,\"authRequired\":$R_AUTH}"
      if [ "$R_ANSWERS" = true ]; then
        [ -z "$_answering" ] && _answering=$_t
        [ -z "$_ver" ] && _ver=$R_VERSION
      fi
    done <<EOF
$_targets
EOF
    if [ -n "$_answering" ]; then put_raw stack.redis_running true; else put_raw stack.redis_running false; fi
  else
    put_null stack.redis_running 'recorded tree: nothing can be asked'
  fi
  [ -z "$_ver" ] && _ver=$_bver
  _why=$_bwhy; [ -n "$_answering" ] && _why='the running Redis wants a password and no redis-server binary was found'
  put_str stack.redis_version "$_ver" "$_why"
  json_s "$_bin"; [ -z "$_bin" ] && J=null; _bj=$J; json_s "$_answering"; [ -z "$_answering" ] && J=null
  det_raw redis "{\"binary\":$_bj,\"processes\":[$_procs_det],\"checked\":[$_checked],\"answeringAt\":$J}"
}

stack_postgres() {
  # Debian keeps the server in /usr/lib/postgresql/<version>/bin: newest version first.
  _vdirs=$(ls "$R/usr/lib/postgresql" 2>/dev/null | sort -rn | sed 's|^\(.*\)$|/usr/lib/postgresql/\1/bin|' | tr '\n' ':')
  _bin=
  if find_exe postgres || find_exe_in "$_vdirs" postgres || find_exe psql pg_config; then _bin=$EXE; fi
  _ver=; _why='PostgreSQL (postgres, psql or pg_config) is not installed'; programs_visible || _why=$NO_PROGRAM_DIRS
  if [ -n "$_bin" ]; then version_of "$_bin" '.*PostgreSQL)*[[:space:]][[:space:]]*\([0-9][0-9]*\(\.[0-9][0-9]*\)*\).*' --version && _ver=$V; _why=$V_WHY; fi
  procs_named postgres postmaster; _all=$PIDS
  group_roots "$_all"
  if [ "$LIVE" = true ] || have_procs; then
    if [ -n "$ROOTS" ]; then put_raw stack.postgres_running true; else put_raw stack.postgres_running false; fi
  else
    put_null stack.postgres_running 'recorded tree without processes'
  fi
  put_str stack.postgres_version "$_ver" "$_why"
  json_s "$_bin"; [ -z "$_bin" ] && J=null
  det_raw postgres "{\"binary\":$J,\"postmasters\":[$(printf '%s' "$ROOTS" | tr ' ' ',')]}"
}

stack_cron() {
  find_exe cron crond cronie fcron && _cbin=$EXE || _cbin=
  procs_named cron crond fcron && _cpid=${PIDS%% *} || _cpid=
  _timers=false
  if [ -r "$R/proc/1/comm" ]; then IFS= read -r _c1 <"$R/proc/1/comm"; [ "$_c1" = systemd ] && _timers=true; fi
  if have_procs; then
    if [ -n "$_cpid" ] || [ "$_timers" = true ]; then put_raw stack.cron_available true; else put_raw stack.cron_available false; fi
  else
    put_null stack.cron_available "$NO_PROCESSES"
  fi
  json_s "$_cbin"; [ -z "$_cbin" ] && J=null
  det_raw cron "{\"binary\":$J,\"runningPid\":${_cpid:-null},\"systemdTimers\":$_timers}"
  if [ -n "$_cbin" ] && [ -z "$_cpid" ] && [ "$_timers" = false ]; then
    det_str cronNote "$_cbin is installed but no cron daemon is running, so scheduled jobs will not run"
  fi
}

# A port a Django deployment wants: free (nothing listens), or not.
port_free() {
  if ! sockets_visible; then put_null "$1" 'no /proc/net/tcp under the root'
  elif port_listened "$2"; then put_raw "$1" false
  else put_raw "$1" true; fi
}

probe_stack() {
  p_begin stack
  stack_proxies
  stack_redis
  stack_postgres
  _mbin=; find_exe memcached && _mbin=$EXE
  _mver=; _mwhy='memcached is not installed'; programs_visible || _mwhy=$NO_PROGRAM_DIRS
  [ -n "$_mbin" ] && { version_of "$_mbin" '^memcached \([0-9][0-9]*\.[0-9][0-9.]*\).*' -V && _mver=$V; _mwhy=$V_WHY; }
  put_str stack.memcached_version "$_mver" "$_mwhy"
  if have_procs; then
    if procs_named memcached; then put_raw stack.memcached_running true; else put_raw stack.memcached_running false; fi
  else put_null stack.memcached_running "$NO_PROCESSES"; fi
  stack_cron
  port_free stack.port_80_free 80
  port_free stack.port_443_free 443
  port_free stack.port_8000_free 8000
  p_end
}
