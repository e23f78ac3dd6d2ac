# ---------------------------------------------------------------- host
probe_host() {
  p_begin host
  ci_get Revision; _revcode=$V
  _pi=false
  if [ -n "$_revcode" ] && pi_revision "$_revcode"; then _pi=true; fi
  _board=
  for _f in /proc/device-tree/model /sys/firmware/devicetree/base/model; do
    if [ -r "$R$_f" ]; then
      _m=$(tr '\000' ' ' <"$R$_f" 2>/dev/null)
      trim "$_m"
      if [ -n "$T" ]; then _board=$T; det_str boardSource 'device-tree model'; break; fi
    fi
  done
  if [ -z "$_board" ] && ci_get Model && [ -n "$V" ]; then _board=$V; det_str boardSource 'cpuinfo Model line'; fi
  if [ -z "$_board" ] && [ "$_pi" = true ]; then _board=$PI_MODEL; det_str boardSource "decoded Raspberry Pi revision code $_revcode"; fi
  if [ -z "$_board" ] && rd1 /sys/class/dmi/id/product_name; then
    _product=$F
    if [ -n "$_product" ] && ! dmi_placeholder "$_product"; then
      _vendor=
      rd1 /sys/class/dmi/id/sys_vendor && _vendor=$F
      _board=$_product
      if [ -n "$_vendor" ] && ! dmi_placeholder "$_vendor"; then
        _lp=$(printf '%s' "$_product" | tr 'A-Z' 'a-z'); _lv=$(printf '%s' "$_vendor" | tr 'A-Z' 'a-z')
        case $_lp in *"$_lv"*) ;; *) _board="$_vendor $_product" ;; esac
      fi
      det_str boardSource 'DMI product name'
    fi
  fi
  put_str host.board "$_board" 'no device-tree model, cpuinfo Model, Raspberry Pi revision code or DMI product name'
  if [ "$_pi" = true ]; then
    put_num host.board_ram_bytes "$PI_RAM"
  else
    put_null host.board_ram_bytes 'only known for Raspberry Pi boards (decoded from the revision code)'
  fi
  _os=; _name=; _version=
  _osfile=/etc/os-release
  [ -r "$R$_osfile" ] || _osfile=/usr/lib/os-release
  if [ -r "$R$_osfile" ]; then
    while IFS= read -r _line; do
      trim "$_line"; _line=$T
      case $_line in PRETTY_NAME=*|NAME=*|VERSION=*|VERSION_CODENAME=*) ;; *) continue ;; esac
      _key=${_line%%=*}; _val=${_line#*=}
      case $_val in \"*\"|\'*\') _val=${_val#?}; _val=${_val%?}; repl "$_val" '\"' '"'; _val=$R_; repl "$_val" '\\' '\'; _val=$R_ ;; esac
      case $_key in
        PRETTY_NAME) _os=$_val ;; NAME) _name=$_val ;; VERSION) _version=$_val ;;
        VERSION_CODENAME) [ -n "$_val" ] && det_str osCodename "$_val" ;;
      esac
    done <"$R$_osfile"
    [ -z "$_os" ] && _os=$(printf '%s' "$_name${_name:+${_version:+ }}$_version")
  fi
  put_str host.os "$_os" 'no /etc/os-release'
  _kernel=
  rd1 /proc/sys/kernel/osrelease && _kernel=$F
  if [ -z "$_kernel" ] && [ "$LIVE" = true ]; then _kernel=$(uname -r </dev/null 2>/dev/null); fi
  put_str host.kernel "$_kernel" 'no /proc/sys/kernel/osrelease in the recorded tree'
  # /proc/sys/kernel/osrelease exists only under Linux (probes/host.ts).
  if [ -e "$R/proc/sys/kernel/osrelease" ]; then put_raw host.linux true
  elif [ "$LIVE" = true ]; then
    if [ "$(uname -s </dev/null 2>/dev/null)" = Linux ]; then put_raw host.linux true; else put_raw host.linux false; fi
  else put_null host.linux 'no /proc/sys/kernel/osrelease in the recorded tree'; fi
  _evidence=
  [ -e "$R/.dockerenv" ] && _evidence="${_evidence:+$_evidence,}\"/.dockerenv exists\""
  [ -e "$R/run/.containerenv" ] && _evidence="${_evidence:+$_evidence,}\"/run/.containerenv exists (podman)\""
  if rd1 /run/systemd/container && [ -n "$F" ]; then json_s "/run/systemd/container says \"$F\""; _evidence="${_evidence:+$_evidence,}$J"; fi
  if rd /proc/1/cgroup; then
    for _kind in docker kubepods libpod lxc containerd; do
      case $F in *"$_kind"*) _evidence="${_evidence:+$_evidence,}\"pid 1 cgroup mentions $_kind\""; break ;; esac
    done
  fi
  IN_CONTAINER=false
  if [ -n "$_evidence" ]; then IN_CONTAINER=true; det_raw containerEvidence "[$_evidence]"; fi
  put_raw host.in_container "$IN_CONTAINER"
  # Which shell ran this probe (dash, busybox ash, bash ...), for the record.
  _shell=$(readlink "/proc/$$/exe" </dev/null 2>/dev/null)
  [ -n "$_shell" ] && det_str shell "$_shell"
  p_end
}
