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
