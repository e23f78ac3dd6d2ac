# ---------------------------------------------------------------- run
now_ms; T_START=$NOW
measure_budget_scale
# A unit or cgroup that does not exist stops the run here, before anything is probed (exit 2).
cg_target_resolve
CREATED=$(date -u '+%Y-%m-%dT%H:%M:%SZ' </dev/null 2>/dev/null)
UUID=
[ -r /proc/sys/kernel/random/uuid ] && IFS= read -r UUID </proc/sys/kernel/random/uuid
case $UUID in ????????-????-????-????-????????????) ;; *)
  _hex=$(od -An -tx1 -N16 /dev/urandom </dev/null 2>/dev/null | tr -d ' \n')
  UUID=$(printf '%s' "$_hex" | cut -c1-8)-$(printf '%s' "$_hex" | cut -c9-12)-4$(printf '%s' "$_hex" | cut -c14-16)-a$(printf '%s' "$_hex" | cut -c18-20)-$(printf '%s' "$_hex" | cut -c21-32)
  ;;
esac
HOSTNAME_=
if [ "$LIVE" = false ] && rd1 /etc/hostname; then HOSTNAME_=$F; fi
[ -z "$HOSTNAME_" ] && [ -r /proc/sys/kernel/hostname ] && IFS= read -r HOSTNAME_ </proc/sys/kernel/hostname
[ -z "$HOSTNAME_" ] && HOSTNAME_=$(uname -n </dev/null 2>/dev/null)
[ -z "$HOSTNAME_" ] && HOSTNAME_=unknown

probe_host
probe_memory
probe_cpu
probe_python
probe_supervision
probe_stack
probe_disk
probe_streaming
probe_django
probe_storage
# Probes of the catalogue this script does not know at all.
for _p in ${EDGEPROBE_PROBES:-}; do
  case $DONE_PROBES in *" $_p "*) ;; *) p_skipped "$_p" 'not measured by the POSIX-sh probe; run the Node agent (node >= 18) for it' ;; esac
done

json_s "$HOSTNAME_"; _host="\"hostname\":$J"
if [ -n "$OPT_LABEL" ]; then json_s "$OPT_LABEL"; _host="$_host,\"label\":$J"; fi
json_s "$ROOT"; _opts="\"root\":$J,\"quick\":$OPT_QUICK"
if [ -n "$OPT_PATH" ]; then json_s "$OPT_PATH"; _opts="$_opts,\"path\":$J"; fi
if [ -n "$OPT_PYTHON" ]; then json_s "$OPT_PYTHON"; _opts="$_opts,\"python\":$J"; fi
is_num "$OPT_DURATION" && _opts="$_opts,\"duration\":$OPT_DURATION"
if [ -n "$HAVE_UNIT" ]; then json_s "$OPT_UNIT"; _opts="$_opts,\"unit\":$J"; fi
if [ -n "$HAVE_CGROUP" ]; then json_s "$OPT_CGROUP"; _opts="$_opts,\"cgroup\":$J"; fi
if [ -n "$TARGET_PATH" ]; then json_s "$TARGET_PATH"; _jp=$J; json_s "$TARGET_SOURCE"; _opts="$_opts,\"measuredGroup\":{\"path\":$_jp,\"source\":$J}"; fi
_opts="$_opts,\"budgetScale\":$BUDGET_SCALE_JSON"
json_s "$EDGEPROBE_VERSION"; _ver=$J
now_ms
printf '{"schema":"edgeprobe.report/v1","id":"%s","createdAt":"%s","agent":{"version":%s,"node":null,"mode":"posix-sh"},"host":{%s},"metrics":{%s},"probes":[%s],"options":{%s}}\n' \
  "$UUID" "$CREATED" "$_ver" "$_host" "$ALL_M" "$ENVS" "$_opts"
