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
  cpu_arch
  put_str cpu.arch "$K_ARCH" "$K_WHY"
  put_str cpu.kernel_arch "$K_ARCH" "$K_WHY"
  put_str cpu.userland_arch "$U_ARCH" "$U_SRC"
  put_num cpu.userland_bits "$U_BITS" "$U_BITS_WHY"
  json_s "$K_SRC"; _jk=$J; json_s "$U_SRC"
  det_raw archSource "{\"kernel\":$_jk,\"userland\":$J}"

  _cores=
  if rd1 /sys/devices/system/cpu/online && count_cpulist "$F"; then _cores=$C; fi
  if [ -z "$_cores" ]; then ci_processors; [ "$N" -gt 0 ] && _cores=$N; fi
  put_num cpu.cores "$_cores" 'neither /sys/devices/system/cpu/online nor /proc/cpuinfo lists CPUs'

  # The effective cpuset is inherited: the group's own file, else its nearest ancestor's (effectiveCpuset).
  _cpuset=; CPUSET_AT=; _mpath=; _mdir=
  if cg_locate cpuset; then
    _mpath=$CG_PATH; _mdir=$CG_DIR
    cg_upwards "$CG_DIR" _cpuset_at
    if [ -n "$CPUSET_AT" ]; then
      _cpuset=$CPUSET_N
      json_s "$CPUSET_AT"; _jf=$J; json_s "$CPUSET_LIST"
      det_raw cpuset "{\"file\":$_jf,\"cpus\":$J}"
      _cswhy=
    else
      _cswhy="no cpuset file in $CG_DIR or its ancestors"
    fi
  else
    _cswhy='no cpuset cgroup'
  fi
  put_num cpu.cpuset_cpus "$_cpuset" "$_cswhy"

  QUOTA=
  if cg_locate cpu; then
    _mpath=$CG_PATH; _mdir=$CG_DIR
    cg_upwards "$CG_DIR" _quota_at
    json_s "$CG_DIR"; _jd=$J; json_s "$CG_PATH"; _jp=$J; json_s "${TARGET_SOURCE:-this process's own group (/proc/self/cgroup)}"
    det_raw cpuCgroup "{\"version\":$CG_VER,\"dir\":$_jd,\"path\":$_jp,\"source\":$J}"
    _qwhy=unlimited
  else
    _qwhy='no cpu cgroup'
  fi
  if [ -n "$QUOTA" ]; then hundredths "$QUOTA"; put_raw cpu.quota_cpus "$H"; else put_null cpu.quota_cpus "$_qwhy"; fi
  put_str cpu.cgroup_path "$_mpath" 'no cpu or cpuset cgroup found in /proc/self/cgroup and /proc/self/mountinfo'

  cpu_affinity "$_mdir"
  put_num cpu.affinity_cpus "$AFF_N" "$AFF_WHY"
  if [ -n "$AFF_N" ]; then json_s "$AFF_SRC"; _jf=$J; json_s "$AFF_LIST"; det_raw affinity "{\"file\":$_jf,\"cpus\":$J}"; fi

  _eff=
  [ -n "$_cores" ] && _eff=$((_cores * 100))
  [ -n "$_cpuset" ] && { min2 "$_eff" $((_cpuset * 100)); _eff=$M; }
  [ -n "$AFF_N" ] && { min2 "$_eff" $((AFF_N * 100)); _eff=$M; }
  [ -n "$QUOTA" ] && { min2 "$_eff" "$QUOTA"; _eff=$M; }
  EFF_CPUS=
  if [ -n "$_eff" ]; then hundredths "$_eff"; put_raw cpu.effective_cpus "$H"; EFF_CPUS=$H; else put_null cpu.effective_cpus 'core count unknown'; fi

  _model=
  ci_get 'CPU implementer'; _impl=$V
  ci_get 'CPU part'; _part=$(printf '%s' "$V" | tr 'A-F' 'a-f')
  if [ "$_impl" = "$EDGEPROBE_ARM_IMPLEMENTER" ] && [ -n "$_part" ] && arm_part_name "$_part"; then _model=$V
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
# A_ARCH, A_BITS <- `uname -m` as far as a recorded cpuinfo tells it (archFromCpuinfo in probes/lib/parsers/cpuinfo.ts)
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
# CPUSET_AT, CPUSET_LIST, CPUSET_N <- the first non-empty cpuset file at DIR $1, if none was found nearer
_cpuset_at() {
  [ -n "$CPUSET_AT" ] && return 0
  if [ "$CG_VER" = 2 ]; then _csfiles=cpuset.cpus.effective; else _csfiles='cpuset.effective_cpus cpuset.cpus'; fi
  for _csf in $_csfiles; do
    rd "$1/$_csf" || continue
    trim "$F"; [ -n "$T" ] || continue
    count_cpulist "$T" || continue
    CPUSET_AT="$1/$_csf"; CPUSET_LIST=$T; CPUSET_N=$C
    return 0
  done
  return 0
}
# AFF_N, AFF_LIST, AFF_SRC (or AFF_WHY) <- the scheduler affinity of the measured processes: this shell's own,
# or for a group named with --unit / --cgroup that of the first process in it (DIR $1) (processAffinity).
cpu_affinity() {
  AFF_N=; AFF_LIST=; AFF_SRC=/proc/self/status; AFF_WHY=
  if [ -n "$TARGET_PATH" ]; then
    if [ -z "$1" ]; then AFF_WHY='the named group is in no cpu or cpuset hierarchy'; return 0; fi
    _pid=
    if rd "$1/cgroup.procs"; then
      _oldifs=$IFS; IFS=$NL
      for _line in $F; do trim "$_line"; is_uint "$T" && { _pid=$T; break; }; done
      IFS=$_oldifs
    fi
    [ -n "$_pid" ] || { AFF_WHY="no process in $1/cgroup.procs to read the affinity of"; return 0; }
    AFF_SRC=/proc/$_pid/status
  fi
  # /proc/self read by the shell itself (read is a builtin), so it is this shell's own affinity.
  [ -r "$R$AFF_SRC" ] || { AFF_WHY="no $AFF_SRC"; return 0; }
  while IFS= read -r _line; do
    case $_line in Cpus_allowed_list:*) trim "${_line#*:}"; AFF_LIST=$T ;; esac
  done <"$R$AFF_SRC"
  if [ -n "$AFF_LIST" ] && count_cpulist "$AFF_LIST"; then AFF_N=$C; else AFF_WHY="no Cpus_allowed_list in $AFF_SRC"; fi
  return 0
}
