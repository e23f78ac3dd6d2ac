# edgeprobe POSIX-sh probe: the agentless fallback for devices without Node >= 18.
# Writes one edgeprobe.report/v1 report (agent.mode "posix-sh") as JSON on stdout.
# Needs only a POSIX sh (dash, busybox ash, bash) and coreutils or busybox (cat, tr, od, df, uname, date);
# uses python3 where present for the python metrics, the Python streaming tier and the django probe.
# The memory and cpu sections follow probes/memory.ts and probes/cpu.ts step by step (same files, same
# cgroup logic: mountinfo root, ancestors, v1 and v2) so that both agents report the same figures.
# Runs as assembled by probes/posix-sh/assemble.ts (dist/edgeprobe-probe.sh, or streamed by edgeprobe ssh):
# the metric ids and lookup tables arrive as variables ahead of these parts (probes/posix-sh/parts/).
#
#   sh dist/edgeprobe-probe.sh [--root DIR] [--path DIR] [--label NAME] [--python PATH] [--quick] [--duration S]
#                              [--unit NAME.service | --cgroup PATH]
#     [--django-duration S] [--latency-target MS] [--asgi-server daphne|uvicorn]
#   ssh pi@device sh -s -- --label kitchen < edgeprobe-probe.sh
#
# Every child reads /dev/null, not stdin: under `sh -s` stdin is this script itself.
set -f
EDGEPROBE_VERSION=${EDGEPROBE_VERSION:-unknown}
ROOT=/
OPT_PATH=
OPT_LABEL=
OPT_PYTHON=
OPT_QUICK=false
OPT_DURATION=
OPT_TIMEOUT=
OPT_UNIT=
OPT_CGROUP=
HAVE_UNIT=
HAVE_CGROUP=
OPT_DJANGO_DURATION=
OPT_LATENCY_TARGET=
OPT_ASGI_SERVER=
while [ $# -gt 0 ]; do
  case $1 in
    --root) ROOT=${2:-/}; shift ;;
    --root=*) ROOT=${1#*=} ;;
    --path) OPT_PATH=${2:-}; shift ;;
    --path=*) OPT_PATH=${1#*=} ;;
    --label) OPT_LABEL=${2:-}; shift ;;
    --label=*) OPT_LABEL=${1#*=} ;;
    --python) OPT_PYTHON=${2:-}; shift ;;
    --python=*) OPT_PYTHON=${1#*=} ;;
    --duration) OPT_DURATION=${2:-}; shift ;;
    --duration=*) OPT_DURATION=${1#*=} ;;
    --django-duration) OPT_DJANGO_DURATION=${2:-}; shift ;;
    --django-duration=*) OPT_DJANGO_DURATION=${1#*=} ;;
    --latency-target) OPT_LATENCY_TARGET=${2:-}; shift ;;
    --latency-target=*) OPT_LATENCY_TARGET=${1#*=} ;;
    --asgi-server) OPT_ASGI_SERVER=${2:-}; shift ;;
    --asgi-server=*) OPT_ASGI_SERVER=${1#*=} ;;
    --quick) OPT_QUICK=true ;;
    --unit) OPT_UNIT=${2:-}; HAVE_UNIT=1; shift ;;
    --unit=*) OPT_UNIT=${1#*=}; HAVE_UNIT=1 ;;
    --cgroup) OPT_CGROUP=${2:-}; HAVE_CGROUP=1; shift ;;
    --cgroup=*) OPT_CGROUP=${1#*=}; HAVE_CGROUP=1 ;;
    run) ;;
    --timeout) OPT_TIMEOUT=${2:-}; shift ;;
    --timeout=*) OPT_TIMEOUT=${1#*=} ;;
    --only|--skip) shift ;;
    --only=*|--skip=*|--verbose|-v|--format=*|--active-supervision) ;;
    --format) shift ;;
    *) printf 'edgeprobe-probe.sh: unknown option %s\n' "$1" >&2; exit 2 ;;
  esac
  shift
done
ROOT=${ROOT%/}
R=$ROOT
LIVE=false
if [ -z "$ROOT" ]; then LIVE=true; R=; ROOT=/; fi
if [ "$LIVE" = false ] && [ ! -d "$R/proc" ]; then
  printf 'edgeprobe-probe.sh: --root %s does not look like a device tree (no proc/ inside)\n' "$ROOT" >&2
  exit 2
fi

