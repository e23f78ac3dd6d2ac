# ---------------------------------------------------------------- disk (probes/disk.ts)
probe_disk() {
  p_begin disk
  if [ "$LIVE" = true ]; then
    _p=${OPT_PATH:-${HOME:-/}}
    [ -d "$_p" ] || _p=/
    _real=$(readlink -f "$_p" </dev/null 2>/dev/null)
    [ -n "$_real" ] && _p=$_real
    _free=; _total=
    _out=$(bounded 10 df -P -k "$_p" </dev/null 2>/dev/null)
    if [ -n "$_out" ]; then
      _line=${_out#*"$NL"}
      read -r _fs _blocks _used _availk _rest <<EOF
$_line
EOF
      # bavail (what an unprivileged deployment may use) and the size, as statfs gives them
      is_uint "$_availk" && _free=$((_availk * 1024))
      is_uint "$_blocks" && _total=$((_blocks * 1024))
    fi
    det_str path "$_p"
    put_num disk.free_bytes "$_free" "df -P -k $_p gave no figure"
    put_num disk.total_bytes "$_total" "df -P -k $_p gave no figure"
    # The mount holding the path: the longest mount point that contains it; the last one mounted wins.
    _best=; _bestfs=
    if [ -r /proc/self/mountinfo ]; then
      while read -r _a _b _c _root _mp _rest; do
        case $_rest in *" - "*) ;; *) continue ;; esac
        _right=${_rest#*" - "}
        _fst=${_right%% *}
        case $_p in "$_mp"|"$_mp"/*) ;; *) [ "$_mp" = / ] || continue ;; esac
        if [ -z "$_best" ] || [ ${#_mp} -ge ${#_best} ]; then _best=$_mp; _bestfs=$_fst; fi
      done </proc/self/mountinfo
    fi
    put_str disk.filesystem "$_bestfs" 'no mount table (/proc/self/mountinfo)'
    put_null disk.fsync_p99_ms 'the POSIX-sh probe cannot time fsync; run the Node agent for it'
  else
    for _m in disk.free_bytes disk.total_bytes; do put_null "$_m" 'recorded tree: free space is a live measurement'; done
    put_null disk.fsync_p99_ms 'recorded tree: the write test needs the live disk'
  fi
  p_fill 'the POSIX-sh probe does not measure this; run the Node agent (node >= 18) for it'
  p_end
}
