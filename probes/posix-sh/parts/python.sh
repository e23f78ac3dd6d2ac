# ---------------------------------------------------------------- python (probes/python.ts)
# The interpreters, their inspection (probes/assets/inspect_python.py), the ranking and the Django support
# table are the agent's: probes/posix-sh/sh_python.py runs them, with their sources and the tables it needs
# streamed in variables (EDGEPROBE_SH_PYTHON_SRC, EDGEPROBE_INSPECT_PY, EDGEPROBE_DJANGO_SUPPORT,
# EDGEPROBE_DJANGO_CURRENT_LTS, EDGEPROBE_METRICS_python, EDGEPROBE_SYSTEM_BIN_DIRS) by edgeprobe ssh or in
# dist/edgeprobe-probe.sh. PY is the best interpreter, for the streaming tier.
PY=
python_runner() {
  for _c in $OPT_PYTHON python3 /usr/bin/python3 /usr/local/bin/python3; do
    case $_c in /*) _path=$_c ;; *) _path=$(command -v "$_c" 2>/dev/null) || continue ;; esac
    [ -n "$_path" ] && [ -x "$_path" ] || continue
    if bounded 10 "$_path" -c 'import sys; sys.exit(0 if sys.version_info[0] >= 3 else 1)' </dev/null >/dev/null 2>&1; then
      RUNNER=$_path; return 0
    fi
  done
  return 1
}
# cc, gcc or clang on PATH or in the system directories (the agent's findExecutable).
have_compiler() {
  _oldifs=$IFS; IFS=:
  for _d in $PATH $EDGEPROBE_SYSTEM_BIN_DIRS; do
    case $_d in /*) ;; *) continue ;; esac
    for _n in cc gcc clang; do
      if [ -f "$_d/$_n" ] && [ -x "$_d/$_n" ]; then IFS=$_oldifs; return 0; fi
    done
  done
  IFS=$_oldifs
  return 1
}
probe_python() {
  p_begin python
  if [ "$LIVE" = false ]; then
    p_fill 'needs the live system (--root points at a recorded tree)'
    p_end; return
  fi
  _why=
  RUNNER=
  if ! python_runner; then
    put_raw python.found false
    put_raw python.interpreter_count 0
    if have_compiler; then put_raw python.compiler_available true; else put_raw python.compiler_available false; fi
    _why='no python3 on PATH, in /usr/bin, /usr/local/bin or pyenv'
  elif [ -z "${EDGEPROBE_SH_PYTHON_SRC:-}" ] || [ -z "${EDGEPROBE_INSPECT_PY:-}" ]; then
    _why='the Python inspection helpers did not come with this sh probe: use edgeprobe ssh, or dist/edgeprobe-probe.sh'
    PY=$RUNNER
  else
    export EDGEPROBE_INSPECT_PY EDGEPROBE_DJANGO_SUPPORT EDGEPROBE_DJANGO_CURRENT_LTS EDGEPROBE_METRICS_python EDGEPROBE_SYSTEM_BIN_DIRS
    if [ -n "$OPT_PYTHON" ]; then
      cap_secs 120
      _out=$(bounded "$S" "$RUNNER" -c "$EDGEPROBE_SH_PYTHON_SRC" --python "$OPT_PYTHON" </dev/null 2>/dev/null)
    else
      cap_secs 120
      _out=$(bounded "$S" "$RUNNER" -c "$EDGEPROBE_SH_PYTHON_SRC" </dev/null 2>/dev/null)
    fi
    read3 "$_out"
    case $_ul in
      \"\*\":*) _why=${_ul#\"\*\":\"}; _why=${_why%\"} ;;
      *)
        case $_ml in
          *\"python.found\":*)
            P_M=$_ml; ALL_M="${ALL_M:+$ALL_M,}$_ml"; P_U=$_ul; P_D=$_dl
            for _m in $EDGEPROBE_METRICS_python; do P_SEEN="$P_SEEN$_m "; done
            case $_ml in *\"python.path\":\"*) _p=${_ml#*\"python.path\":\"}; PY=${_p%%\"*} ;; esac
            json_s "$RUNNER"; det_raw runner "$J"
            ;;
          *) _why="the interpreter $RUNNER did not answer" ;;
        esac
        ;;
    esac
  fi
  [ -n "$_why" ] && p_fill "$_why"
  p_end
}
