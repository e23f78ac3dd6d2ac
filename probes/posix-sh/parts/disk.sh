# ---------------------------------------------------------------- disk (probes/disk.ts)
# The mount holding a path (the longest mount point that contains it; the last one mounted wins), its
# filesystem, and the kind of device under it (probes/lib/parsers/disk.ts deviceKind).
disk_mount() {
  _dp=$1; _best=; _bestfs=; _bestsrc=; _bestmm=
  _mi=$R/proc/self/mountinfo; [ -r "$_mi" ] || _mi=$R/proc/1/mountinfo
  if [ -r "$_mi" ]; then
    while read -r _a _b _mm _root _mp _rest; do
      case $_rest in *" - "*) ;; *) continue ;; esac
      _right=${_rest#*" - "}
      case $_dp in "$_mp"|"$_mp"/*) ;; *) [ "$_mp" = / ] || continue ;; esac
      if [ -z "$_best" ] || [ ${#_mp} -ge ${#_best} ]; then
        _best=$_mp; _bestfs=${_right%% *}; _src=${_right#* }; _bestsrc=${_src%% *}; _bestmm=$_mm
      fi
    done <"$_mi"
  fi
  put_str disk.filesystem "$_bestfs" 'no mount table (/proc/self/mountinfo) under the root'
  if [ -z "$_best" ]; then put_null disk.device_kind 'no mount table under the root'; return; fi
  # The whole disk: from sysfs, else the device name, else the kernel's fixed majors (179 MMC, 8 SCSI).
  _disk=; _link=$(readlink "$R/sys/dev/block/$_bestmm" 2>/dev/null)
  case $_link in */block/*) _disk=${_link##*/block/}; _disk=${_disk%%/*} ;; esac
  if [ -z "$_disk" ]; then
    case $_bestsrc in
      /dev/root|/dev/) ;;
      /dev/*)
        _n=${_bestsrc##*/}
        case $_n in
          mmcblk*p*|nvme*n*p*|loop*p*|nbd*p*) _disk=${_n%p*} ;;
          sd*|vd*|xvd*|hd*) _disk=$(printf '%s' "$_n" | sed 's/[0-9]*$//') ;;
          *) _disk=$_n ;;
        esac ;;
    esac
  fi
  if [ -z "$_disk" ]; then
    _maj=${_bestmm%%:*}; _min=${_bestmm#*:}
    if is_uint "$_maj" && is_uint "$_min"; then
      [ "$_maj" = 179 ] && _disk=mmcblk$((_min / 8))
      [ "$_maj" = 8 ] && _disk=sd$(printf '%s' abcdefghijklmnopqrstuvwxyz | cut -c$((_min / 16 + 1)))
    fi
  fi
  _kind=; _why=
  case $_bestfs in
    tmpfs|ramfs) _kind=ram ;;
    nfs|nfs4|cifs|smb3|smbfs|sshfs|fuse.sshfs|9p|virtiofs|ceph|glusterfs) _kind=network ;;
    *)
      if [ -z "$_disk" ]; then
        if [ "$_bestfs" = overlay ]; then _why='overlay filesystem (a container layer): the device underneath is not visible from inside'
        else _why="no block device behind this $_bestfs filesystem"; fi
      else
        case $_disk in
          mmcblk*) _kind=sd; rd1 "/sys/block/$_disk/device/type" && [ "$F" = MMC ] && _kind=emmc ;;
          nvme*) _kind=nvme ;;
          zram*|ram*) _kind=ram ;;
          *)
            _rot=; rd1 "/sys/block/$_disk/queue/rotational" && _rot=$F
            # Over USB a 1 says nothing (sticks report no rotation rate); a 0 is the device's own answer.
            case $_rot:$_link in 0:*) _kind=ssd ;; *:*/usb*) _kind=usb ;; 1:*) _kind=rotational ;; *) _why="no /sys/block/$_disk/queue/rotational" ;; esac ;;
        esac
      fi ;;
  esac
  put_str disk.device_kind "$_kind" "$_why"
}

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
    disk_mount "$_p"
    put_null disk.fsync_p99_ms 'the POSIX-sh probe cannot time fsync; run the Node agent for it'
  else
    for _m in disk.free_bytes disk.total_bytes; do put_null "$_m" 'recorded tree: free space is a live measurement'; done
    disk_mount "${OPT_PATH:-${HOME:-/}}"
    put_null disk.fsync_p99_ms 'recorded tree: the write test needs the live disk'
  fi
  p_fill 'the POSIX-sh probe does not measure this; run the Node agent (node >= 18) for it'
  p_end
}
