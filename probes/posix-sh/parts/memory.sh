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
