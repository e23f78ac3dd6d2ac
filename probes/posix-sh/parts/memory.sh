# ---------------------------------------------------------------- memory (probes/memory.ts)
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

  LIMIT=; LIMIT_AT=; HIGH=; HIGH_AT=; HEADROOM=; HEADROOM_AT=; BELOW_WS=; BELOW_AT=; _usage=; _first=1
  _found=; cg_locate memory && _found=1
  mem_controller_off "$_found"
  [ -n "$MEM_OFF" ] && det_str memoryController "$MEM_OFF"
  if [ -n "$_found" ] && [ -z "$MEM_OFF" ]; then
    json_s "$CG_DIR"; _jd=$J; json_s "$CG_PATH"; _jp=$J; json_s "${TARGET_SOURCE:-this process's own group (/proc/self/cgroup)}"
    det_raw cgroup "{\"version\":$CG_VER,\"dir\":$_jd,\"path\":$_jp,\"source\":$J}"
    put_str memory.cgroup_path "$CG_PATH" 'no memory cgroup'
    cg_upwards "$CG_DIR" _mem_level
    if [ "$CG_VER" = 1 ]; then
      # With use_hierarchy the kernel folds every ancestor's limit into hierarchical_memory_limit, also those
      # above a container's view; their usage is unknown, so the nearest measured working set stands in.
      _stat_value "$CG_DIR" hierarchical_memory_limit; mem_limit_of "$V"
      if [ -n "$V" ] && { [ -z "$LIMIT" ] || [ "$V" -lt "$LIMIT" ]; }; then
        LIMIT=$V; LIMIT_AT="(an ancestor outside this hierarchy's visible part)"
        _headroom_candidate "$V" "${BELOW_WS:-0}" "$LIMIT_AT"
      fi
    fi
    [ -n "$LIMIT_AT" ] && det_str cgroupLimitSetAt "$LIMIT_AT"
    [ -n "$HIGH_AT" ] && det_str memoryHighSetAt "$HIGH_AT"
    put_num memory.cgroup_usage_bytes "$_usage" "no usage file in $CG_DIR"
    put_num memory.cgroup_limit_bytes "$LIMIT" unlimited
    if [ "$CG_VER" = 1 ]; then _why='cgroup v1 has no memory.high'; else _why='no memory.high set'; fi
    put_num memory.cgroup_high_bytes "$HIGH" "$_why"
  else
    _why=${MEM_OFF:-'no memory cgroup found in /proc/self/cgroup and /proc/self/mountinfo'}
    if [ -n "$_found" ]; then
      json_s "$CG_DIR"; _jd=$J; json_s "$CG_PATH"; _jp=$J; json_s "${TARGET_SOURCE:-this process's own group (/proc/self/cgroup)}"
      det_raw cgroup "{\"version\":$CG_VER,\"dir\":$_jd,\"path\":$_jp,\"source\":$J}"
      put_str memory.cgroup_path "$CG_PATH" "$_why"
    else
      put_null memory.cgroup_path "$_why"
    fi
    put_null memory.cgroup_usage_bytes "$_why"
    put_null memory.cgroup_limit_bytes "$_why"; put_null memory.cgroup_high_bytes "$_why"
  fi
  min2 "$_total" "$LIMIT"; min2 "$M" "$HIGH"
  put_num memory.effective_total_bytes "$M" 'neither MemTotal nor a cgroup limit is known'
  min2 "$_avail" "$HEADROOM"
  MEM_EFF_AVAIL=$M
  if [ -n "$HEADROOM" ] && [ "$M" = "$HEADROOM" ]; then det_str availableBoundBy "$HEADROOM_AT"; else det_str availableBoundBy MemAvailable; fi
  put_num memory.effective_available_bytes "$M" 'neither MemAvailable nor a cgroup limit is known'
  [ -n "$_found" ] && [ -z "$MEM_OFF" ] && _own_group_headroom
  p_end
}
# V <- the value of key $2 in DIR $1's memory.stat, empty when absent
_stat_value() {
  V=
  rd "$1/memory.stat" || return 0
  _oldifs=$IFS; IFS=$NL
  for _line in $F; do
    case $_line in "$2 "*) V=${_line#"$2 "} ;; esac
  done
  IFS=$_oldifs
  is_uint "$V" || V=
}
# Over every level that has a limit: min(max, high) − (usage − inactive_file) at that level (cgroupMemoryHeadroom
# in probes/lib/parsers/cgroup-memory.ts); an unreadable usage borrows the nearest descendant's working set.
_mem_level() {
  _lvl=$1
  if [ "$CG_VER" = 2 ]; then _lf=memory.max; _uf=memory.current; _ik=inactive_file; else _lf=memory.limit_in_bytes; _uf=memory.usage_in_bytes; _ik=total_inactive_file; fi
  _lmax=; _lhigh=; _lusage=; _lws=
  rd1 "$_lvl/$_lf" && { mem_limit_of "$F"; _lmax=$V; }
  [ "$CG_VER" = 2 ] && rd1 "$_lvl/memory.high" && { mem_limit_of "$F"; _lhigh=$V; }
  rd1 "$_lvl/$_uf" && is_uint "$F" && _lusage=$F
  if [ -n "$_first" ]; then _usage=$_lusage; _first=; fi
  if [ -n "$_lusage" ]; then
    _stat_value "$_lvl" "$_ik"
    _lws=$((_lusage - ${V:-0})); [ "$_lws" -lt 0 ] && _lws=0
  fi
  if [ -n "$_lmax" ] && { [ -z "$LIMIT" ] || [ "$_lmax" -lt "$LIMIT" ]; }; then LIMIT=$_lmax; LIMIT_AT=$_lvl; fi
  if [ -n "$_lhigh" ] && { [ -z "$HIGH" ] || [ "$_lhigh" -lt "$HIGH" ]; }; then HIGH=$_lhigh; HIGH_AT=$_lvl; fi
  min2 "$_lmax" "$_lhigh"
  [ -n "$M" ] && _headroom_candidate "$M" "${_lws:-${BELOW_WS:-0}}" "$_lvl"
  [ -n "$_lws" ] && BELOW_WS=$_lws
  return 0
}
_headroom_candidate() {
  _h=$(($1 - $2)); [ "$_h" -lt 0 ] && _h=0
  if [ -z "$HEADROOM" ] || [ "$_h" -lt "$HEADROOM" ]; then HEADROOM=$_h; HEADROOM_AT=$3; fi
}
# With --unit / --cgroup the streaming load still runs in this shell's own group: its headroom bounds the load.
_own_group_headroom() {
  [ -n "$TARGET_PATH" ] || return 0
  _saved_avail=$MEM_EFF_AVAIL
  LIMIT=; HIGH=; HEADROOM=; BELOW_WS=; _first=1
  cg_locate memory own || return 0
  cg_upwards "$CG_DIR" _mem_level
  min2 "$_avail" "$HEADROOM"; _own=$M
  json_s "$CG_PATH"
  det_raw ownGroup "{\"path\":$J${_own:+,\"availableBytes\":$_own}}"
  min2 "$_saved_avail" "$_own"; MEM_EFF_AVAIL=$M
}
# MEM_OFF <- why no memory limit can be enforced on this kernel, empty when the controller is on or nothing
# says (probes/lib/parsers/memory-controller.ts). $1 is set when cg_locate found the group (CG_VER, CG_MNT).
mem_controller_off() {
  MEM_OFF=; _cmd=; _enabled=; _rootc=; _signs=
  if rd /proc/cmdline; then
    for _w in $F; do
      case $_w in
        cgroup_disable=*) case ",${_w#*=}," in *,memory,*) _cmd=off ;; esac ;;
        cgroup_enable=*) case ",${_w#*=}," in *,memory,*) _cmd=on ;; esac ;;
      esac
    done
  fi
  if [ -r "$R/proc/cgroups" ]; then
    while read -r _n _h _c _e; do
      [ "$_n" = memory ] && case $_e in 0|1) _enabled=$_e ;; esac
    done <"$R/proc/cgroups"
  fi
  # Only the true v2 root (it has no cgroup.type) lists what the kernel offers; a namespace's root does not.
  _haveroot=
  if [ -n "$1" ] && [ "$CG_VER" = 2 ] && [ ! -e "$R$CG_MNT/cgroup.type" ] && rd "$CG_MNT/cgroup.controllers"; then
    # shellcheck disable=SC2086
    set -- $F; _rootc="$*"; _haveroot=1
  fi
  [ "$_cmd" = off ] && _signs='cgroup_disable=memory on the kernel command line'
  [ "$_enabled" = 0 ] && _signs="${_signs:+$_signs; }/proc/cgroups lists it disabled"
  if [ -n "$_haveroot" ]; then
    case " $_rootc " in *" memory "*) return 0 ;; esac
    _signs="${_signs:+$_signs; }the cgroup v2 root offers only: ${_rootc:-none}"
  fi
  [ -n "$_signs" ] && [ "$_enabled" != 1 ] || return 0
  _hint=; [ "$_cmd" = off ] && _hint='; on a Raspberry Pi, cgroup_enable=memory at the end of cmdline.txt turns it on'
  MEM_OFF="the kernel's memory controller is off ($_signs): no memory limit is enforced and MemoryMax=/MemoryHigh= are ignored$_hint"
}
