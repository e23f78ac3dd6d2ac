# ---------------------------------------------------------------- streaming: the python and channels tiers where python3 exists
probe_streaming() {
  p_begin streaming
  _node_why='the Node tier needs the Node agent (node >= 18)'
  put_null streaming.node_messages_per_second "$_node_why"
  put_null streaming.node_p99_ms "$_node_why"
  _why=
  if [ "$LIVE" = false ]; then _why='needs the live system (--root points at a recorded tree)'
  elif [ "$OPT_QUICK" = true ]; then _why='skipped by --quick'
  elif [ -z "$PY" ]; then _why='no Python 3 interpreter on PATH'
  elif [ -z "${EDGEPROBE_WS_SERVER_SRC:-}" ] || [ -z "${EDGEPROBE_WS_CLIENT_SRC:-}" ] || [ -z "${EDGEPROBE_WS_DRIVER_SRC:-}" ] || [ -z "${EDGEPROBE_WS_VALIDITY_SRC:-}" ]; then
    _why='the Python streaming helpers (servers, driver) did not come with this sh probe: edgeprobe ssh streams them when its build has them'
  fi
  _dur=${OPT_DURATION:-20}
  is_num "$_dur" || _dur=20
  if [ -z "$_why" ]; then
    # The servers, the Channels project, the driver and the metric ids arrive in variables: nothing is on the
    # helper's command line, and the only file it writes is the project, in a temp directory it removes again.
    export EDGEPROBE_WS_SERVER_SRC EDGEPROBE_WS_DRIVER_SRC EDGEPROBE_WS_VALIDITY_SRC EDGEPROBE_CHANNELS_PROJECT EDGEPROBE_METRICS_streaming
    # Two servers start (Django and daphne take seconds on a Pi); the phases take about 2/3 of --duration. Under a
    # tight --timeout the phases shrink to fit, and the helper leaves out a tier whose server has no time to start.
    cap_secs "$((${_dur%.*} + 90))"
    _fit=$(( (S - 5) * 100 / 67 ))
    if [ "$_fit" -lt 1 ]; then
      _why='no time left for it within --timeout'
    else
      [ "$_fit" -lt "${_dur%.*}" ] && { _dur=$_fit; det_str durationNote "phases shortened to fit --timeout: --duration $_dur"; }
    fi
  fi
  if [ -z "$_why" ]; then
    _out=$(bounded "$S" "$PY" -c "$EDGEPROBE_WS_CLIENT_SRC" --available "${MEM_EFF_AVAIL:-unknown}" --cpus "${EFF_CPUS:-unknown}" --duration "$_dur" \
      --seconds "$((S - 2))" --asgi "${OPT_ASGI_SERVER:-}" </dev/null 2>/dev/null)
    read3 "$_out"
    case $_ul in
      \"\*\":*) _why=${_ul#\"\*\":\"}; _why=${_why%\"} ;;
      *)
        if [ -n "$_ml" ]; then
          P_M="${P_M:+$P_M,}$_ml"; ALL_M="${ALL_M:+$ALL_M,}$_ml"
          [ -n "$_ul" ] && P_U="${P_U:+$P_U,}$_ul"
          [ -n "$_dl" ] && P_D="${P_D:+$P_D,}$_dl"
          for _id in $(printf '%s\n' "$_ml" | tr ',' '\n' | cut -d'"' -f2); do P_SEEN="$P_SEEN$_id "; done
        else
          _why='the Python streaming helper did not answer (killed by --timeout?)'
        fi
        ;;
    esac
  fi
  if [ -n "$_why" ]; then
    for _m in streaming.python_messages_per_second streaming.channels_messages_per_second streaming.bytes_per_connection; do
      put_null "$_m" "$_why"
    done
  fi
  _redis_why='the sh probe measures Channels on the in-memory layer only: the channels_redis tier needs the Node agent (node >= 18)'
  put_null streaming.channels_redis_messages_per_second "$_redis_why"
  put_null streaming.redis_cpu_share "$_redis_why"
  p_fill "${_why:-measured by the Node agent only (node >= 18)}"
  p_end
}
