# ---------------------------------------------------------------- django: the agent's Django project, through a Python helper
probe_django() {
  p_begin django
  _why=
  if [ "$LIVE" = false ]; then _why='needs the live system (--root points at a recorded tree)'
  elif [ "$OPT_QUICK" = true ]; then _why='skipped by --quick'
  elif [ -z "$PY" ]; then _why='no Python 3 interpreter found (sudo apt install python3)'
  elif [ -z "${EDGEPROBE_DJANGO_SRC:-}" ] || [ -z "${EDGEPROBE_DJANGO_PROJECT:-}" ]; then
    _why='the Python django helper did not come with this sh probe: edgeprobe ssh streams it when its build has it'
  fi
  _dur=${OPT_DJANGO_DURATION:-24}
  is_num "$_dur" || _dur=24
  _target=${OPT_LATENCY_TARGET:-100}
  is_num "$_target" || _target=100
  if [ -z "$_why" ]; then
    # The project, the benchmark and the metric ids reach the helper through its environment: nothing is on
    # its command line, and it writes the project into a temp directory it removes again.
    export EDGEPROBE_DJANGO_PROJECT EDGEPROBE_CPYTHON_BENCH_SRC EDGEPROBE_METRICS_django
    # Four server runs share the load time; the starts, the migrations and the benchmark come on top.
    cap_secs "$((${_dur%.*} * 5 / 4 + 120))"
    [ "$S" -lt 30 ] && _why='no time left for it within --timeout'
  fi
  if [ -z "$_why" ]; then
    _out=$(bounded "$S" "$PY" -c "$EDGEPROBE_DJANGO_SRC" --available "${MEM_EFF_AVAIL:-unknown}" --cpus "${EFF_CPUS:-unknown}" \
      --duration "$_dur" --target "$_target" --seconds "$S" --asgi "${OPT_ASGI_SERVER:-}" </dev/null 2>/dev/null)
    read3 "$_out"
    if [ -n "$_ml$_ul" ]; then
      [ -n "$_ml" ] && { P_M="${P_M:+$P_M,}$_ml"; ALL_M="${ALL_M:+$ALL_M,}$_ml"; }
      [ -n "$_ul" ] && P_U="${P_U:+$P_U,}$_ul"
      [ -n "$_dl" ] && P_D="${P_D:+$P_D,}$_dl"
      for _id in $(printf '%s\n' "$_ml" | tr ',' '\n' | grep '^"django\.' | cut -d'"' -f2); do P_SEEN="$P_SEEN$_id "; done
    else
      _why='the Python django helper did not answer (killed by --timeout?)'
    fi
  fi
  if [ -n "$_why" ]; then
    det_str skipped "$_why"
    p_fill "$_why"
  fi
  p_end
}
