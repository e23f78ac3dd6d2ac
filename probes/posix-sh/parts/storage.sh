# ---------------------------------------------------------------- storage (probes/storage.ts)
# The disk behind the deployment path, read as probes/lib/block-device.ts reads it: the mount holding the path,
# its block device, down through device-mapper and md (slaves) and partitions to the whole disk; the disk's kind
# from its sysfs path; for SD/eMMC the card registers and the classes in the SD Status register
# (probes/lib/parsers/storage.ts has the sources). Plain sysfs reading, so it works on recorded trees too.

# ST_MP ST_MM ST_FS ST_SRC <- the mount holding path $1 (the longest mount point containing it).
st_mount() {
  ST_MP=; ST_MM=; ST_FS=; ST_SRC=
  rd /proc/self/mountinfo || rd /proc/1/mountinfo || return 1
  while read -r _a _b _mm _root _mp _opts _rest; do
    # The optional fields before " - " may be absent: the separator then starts _rest.
    _rest=" $_rest"
    case $_rest in *" - "*) ;; *) continue ;; esac
    set -- ${_rest#*" - "}
    case $1 in '') continue ;; esac
    case $ST_P in "$_mp" | "$_mp"/*) ;; *) [ "$_mp" = / ] || continue ;; esac
    if [ -z "$ST_MP" ] || [ ${#_mp} -ge ${#ST_MP} ]; then ST_MP=$_mp; ST_MM=$_mm; ST_FS=$1; ST_SRC=${2:-}; fi
  done <<EOF
$F
EOF
  [ -n "$ST_MP" ]
}

# The whole disk of a partition by the kernel's naming: mmcblk0p2 -> mmcblk0, nvme0n1p1 -> nvme0n1, sda2 -> sda.
st_parent_by_name() {
  case $1 in
    mmcblk*p[0-9]* | nvme*n*p[0-9]* | loop*p[0-9]* | nbd*p[0-9]*) T=${1%p*} ;;
    sd[a-z]*[0-9] | vd[a-z]*[0-9] | xvd[a-z]*[0-9] | hd[a-z]*[0-9]) T=$(printf '%s' "$1" | sed 's/[0-9]*$//') ;;
    *) T= ;;
  esac
}

# ST_DEV <- the block device mounted at the mount found by st_mount.
st_device() {
  ST_DEV=
  _l=$(readlink "$R/sys/dev/block/$ST_MM" </dev/null 2>/dev/null)
  [ -n "$_l" ] && ST_DEV=${_l##*/} && return 0
  case $ST_SRC in
    /dev/mapper/*)
      for _d in "$R"/sys/class/block/dm-*; do
        rd1 "${_d#"$R"}/dm/name" && [ "$F" = "${ST_SRC#/dev/mapper/}" ] && ST_DEV=${_d##*/} && return 0
      done ;;
  esac
  _b=${ST_SRC#/dev/}
  case $ST_SRC in /dev/root | /dev/*/*) _b= ;; /dev/*) ;; *) _b= ;; esac
  if [ -n "$_b" ]; then
    [ -e "$R/sys/class/block/$_b" ] && ST_DEV=$_b && return 0
    st_parent_by_name "$_b"; ST_DEV=${T:-$_b}; return 0
  fi
  # The kernel's fixed majors (Documentation/admin-guide/devices.txt): 179 MMC, 8 SCSI disks.
  _minor=${ST_MM#*:}
  is_uint "$_minor" || return 1
  case $ST_MM in
    179:*) ST_DEV=mmcblk$((_minor / 8)) ;;
    8:*) [ "$_minor" -lt 416 ] && ST_DEV=sd$(printf '%s' abcdefghijklmnopqrstuvwxyz | cut -c$((_minor / 16 + 1))) ;;
  esac
  [ -n "$ST_DEV" ]
}

# ST_DISKS ST_CHAIN <- the whole disks under device $1, and the steps taken.
st_disks() {
  ST_DISKS=; ST_CHAIN=; _queue=$1; _steps=0
  while [ -n "$_queue" ] && [ $_steps -lt 16 ]; do
    _steps=$((_steps + 1))
    set -- $_queue; _n=$1; shift; _queue=$*
    ST_CHAIN="${ST_CHAIN:+$ST_CHAIN -> }$_n"
    _slaves=$(ls "$R/sys/class/block/$_n/slaves" 2>/dev/null | sort | tr '\n' ' ')
    if [ -n "$_slaves" ]; then _queue="$_queue $_slaves"; continue; fi
    if [ -e "$R/sys/class/block/$_n" ] && [ ! -e "$R/sys/class/block/$_n/partition" ]; then
      case " $ST_DISKS " in *" $_n "*) ;; *) ST_DISKS="${ST_DISKS:+$ST_DISKS }$_n" ;; esac
      continue
    fi
    _l=$(readlink "$R/sys/class/block/$_n" </dev/null 2>/dev/null); T=
    case $_l in */block/*/*) _t=${_l##*/block/}; T=${_t%%/*} ;; esac
    [ -z "$T" ] && st_parent_by_name "$_n"
    if [ -z "$T" ] || [ "$T" = "$_n" ]; then ST_DISKS="${ST_DISKS:+$ST_DISKS }$_n"; else _queue="$_queue $T"; fi
  done
}

# ST_KIND ST_SYS <- the kind of whole disk $1 (as storageKind in probes/lib/parsers/storage.ts) and its /sys path.
st_kind() {
  _l=$(readlink "$R/sys/class/block/$1" </dev/null 2>/dev/null)
  ST_SYS=; case $_l in ../../*) ST_SYS=/sys/${_l#../../} ;; esac
  case $1:$ST_SYS in
    mmcblk*:* | *:*/mmc_host/*) rd1 "/sys/class/block/$1/device/type" || F=; case $F in MMC | mmc) ST_KIND=emmc ;; *) ST_KIND=sd ;; esac ;;
    nvme*:* | *:*/nvme/*) ST_KIND=nvme ;;
    loop*:*) ST_KIND=loop ;;
    zram[0-9]*:* | ram[0-9]*:*) ST_KIND=ram ;;
    *:*/usb[0-9]*/*) ST_KIND=usb ;;
    *:*/virtio*) ST_KIND=virtio ;;
    *:*/ata[0-9]*/*) ST_KIND=sata ;;
    *:*/host[0-9]*/target*) ST_KIND=scsi ;;
    vd[a-z]*:*) ST_KIND=virtio ;;
    *) ST_KIND=other ;;
  esac
}

# ST_MODEL <- the model the kernel names for disk $1 of kind $2.
st_model() {
  ST_MODEL=; _b=/sys/class/block/$1
  case $2 in
    sd | emmc) rd1 "$_b/device/name" && ST_MODEL=$F; return 0 ;;
    nvme) rd1 "$_b/device/model" && ST_MODEL=$F; return 0 ;;
    virtio) return 0 ;;
    usb)
      _dir=${ST_SYS%/*}
      while case $_dir in /sys/devices/?*) true ;; *) false ;; esac; do
        if [ -r "$R$_dir/idVendor" ]; then
          _mf=; _pr=; rd1 "$_dir/manufacturer" && _mf=$F; rd1 "$_dir/product" && _pr=$F
          squash "$_mf $_pr"; ST_MODEL=$T; [ -n "$ST_MODEL" ] && return 0; break
        fi
        _dir=${_dir%/*}
      done ;;
  esac
  _v=; _m=; rd1 "$_b/device/vendor" && _v=$F; rd1 "$_b/device/model" && _m=$F
  squash "$_v $_m"; ST_MODEL=$T
}

# Is $1 one byte as the kernel prints it ("0x0b")?
st_hexbyte() { case $1 in 0x[0-9a-fA-F] | 0x[0-9a-fA-F][0-9a-fA-F]) return 0 ;; esac; return 1; }

# T <- "YYYY-MM" from the kernel's "MM/YYYY", or empty.
st_date() {
  T=
  case $1 in [0-9]/[0-9][0-9][0-9][0-9] | [0-9][0-9]/[0-9][0-9][0-9][0-9]) ;; *) return 0 ;; esac
  _mo=${1%/*}; _mo=${_mo#0}
  [ "$_mo" -ge 1 ] && [ "$_mo" -le 12 ] && T=${1#*/}-$(printf '%02d' "$_mo")
}

# T <- $1 lower-cased when it is exactly $2 hex digits, else empty.
st_register() {
  T=$(printf '%s' "$1" | tr 'A-F' 'a-f')
  case $T in *[!0-9a-f]*) T= ;; esac
  [ ${#T} -eq "$2" ] || T=
}

# The SD card's classes from its SD Status register ($1, 128 hex digits, bit 511 first): SPEED_CLASS in bits
# 447:440 (digits 17-18), UHS_SPEED_GRADE 399:396 (digit 29), VIDEO_SPEED_CLASS 391:384 (digits 31-32),
# APP_PERF_CLASS 339:336 (digit 44).
st_sd_classes() {
  _why=$2
  st_register "$1" 128
  if [ -z "$T" ]; then
    put_null storage.speed_class "$_why"
    put_null storage.uhs_speed_grade "$_why"
    put_null storage.video_speed_class "$_why"
    put_null storage.app_performance_class "$_why"
    return 0
  fi
  _s=$T
  case $((0x$(printf '%s' "$_s" | cut -c17-18))) in 0) _sc=0 ;; 1) _sc=2 ;; 2) _sc=4 ;; 3) _sc=6 ;; 4) _sc=10 ;; *) _sc= ;; esac
  put_num storage.speed_class "$_sc" "$_why"
  put_num storage.uhs_speed_grade "$((0x$(printf '%s' "$_s" | cut -c29)))" "$_why"
  put_num storage.video_speed_class "$((0x$(printf '%s' "$_s" | cut -c31-32)))" "$_why"
  put_num storage.app_performance_class "$((0x$(printf '%s' "$_s" | cut -c44)))" "$_why"
}

# Metric $1 from the card's file $2 (in _dev, for a card of kind _kind): the date as YYYY-MM, the registers checked.
st_card_text() {
  _r=$_not; T=
  if [ "$_kind" = sd ] || [ "$_kind" = emmc ]; then
    _r="no $_dev/$2"
    if rd1 "$_dev/$2"; then
      case $2 in date) st_date "$F" ;; cid | csd) st_register "$F" 32 ;; *) T=$F ;; esac
    fi
  fi
  put_str "$1" "$T" "$_r"
}

# The card's identity (SD and eMMC): the files drivers/mmc/core prints under /sys/class/block/DISK/device.
st_card() {
  _dev=/sys/class/block/$1/device; _kind=$2
  _not="$1 is $_kind, not an SD card or eMMC"
  st_card_text storage.card_name name
  st_card_text storage.card_manfid manfid
  st_card_text storage.card_oemid oemid
  st_card_text storage.card_type type
  st_card_text storage.card_date date
  st_card_text storage.card_cid cid
  st_card_text storage.card_csd csd
  if [ "$_kind" = sd ]; then
    F=; rd1 "$_dev/ssr" || F=
    st_sd_classes "$F" "no readable SD Status register ($_dev/ssr: kernels before 4.19 do not show it)"
  else
    st_sd_classes '' "$1 is $_kind: only SD cards declare these classes"
  fi
  _life=; _eol=; _r="$1 is $_kind, not eMMC"
  if [ "$_kind" = emmc ]; then
    _r="no life_time / pre_eol_info under $_dev (eMMC before 5.0, or an older kernel)"
    if rd1 "$_dev/life_time"; then
      set -- $F
      # Only well-formed bytes reach the arithmetic: anything else would stop the shell.
      if st_hexbyte "${1:-}" && st_hexbyte "${2:-}"; then
        _a=$(($1)); _bb=$(($2)); [ $_bb -gt $_a ] && _a=$_bb
        [ $_a -ge 1 ] && [ $_a -le 11 ] && _life=$((_a * 10))
      fi
    fi
    if rd1 "$_dev/pre_eol_info"; then case $F in 0x01 | 0x1 | 01 | 1) _eol=normal ;; 0x02 | 0x2 | 02 | 2) _eol=warning ;; 0x03 | 0x3 | 03 | 3) _eol=urgent ;; esac; fi
  fi
  put_num storage.emmc_life_used_percent "$_life" "$_r"
  put_str storage.emmc_pre_eol "$_eol" "$_r"
}

probe_storage() {
  p_begin storage
  ST_P=${OPT_PATH:-${HOME:-/}}
  if [ "$LIVE" = true ]; then _real=$(readlink -f "$ST_P" </dev/null 2>/dev/null); [ -n "$_real" ] && ST_P=$_real; fi
  det_str path "$ST_P"
  _why=
  if ! st_mount; then _why='no mount table (/proc/self/mountinfo) under the root'
  else
    case $ST_FS in
      tmpfs | ramfs) _why="$ST_P is on $ST_FS, in RAM: no block device"; put_str storage.kind ram '' ;;
      nfs | nfs4 | cifs | smb3 | smbfs | sshfs | fuse.sshfs | 9p | virtiofs | ceph | glusterfs) _why="$ST_P is on $ST_FS, a network filesystem: the disk is on another machine"; put_str storage.kind network '' ;;
      *) st_device || _why="no block device behind this $ST_FS filesystem ($ST_SRC)" ;;
    esac
  fi
  if [ -n "$_why" ]; then
    p_fill "$_why"
    p_end
    return 0
  fi
  st_disks "$ST_DEV"
  det_str chain "$ST_CHAIN"
  _disk=${ST_DISKS%% *}
  st_kind "$_disk"; _kind=$ST_KIND
  put_str storage.kind "$_kind" ''
  put_str storage.disk "$(printf '%s' "$ST_DISKS" | tr ' ' ',')" ''
  _mine=" $ST_DISKS "; _root=
  ST_P=/
  if st_mount && st_device; then
    st_disks "$ST_DEV"; _root=false
    for _d in $ST_DISKS; do case $_mine in *" $_d "*) _root=true ;; esac; done
  fi
  put_bool storage.root_on_same_disk "$_root" "the root filesystem's disk is unknown"
  _size=; rd1 "/sys/class/block/$_disk/size" && is_uint "$F" && [ "$F" -gt 0 ] && _size=$((F * 512))
  put_num storage.size_bytes "$_size" "no /sys/class/block/$_disk/size"
  st_kind "$_disk"; st_model "$_disk" "$_kind"
  put_str storage.model "$ST_MODEL" "the kernel names no model for $_disk"
  st_card "$_disk" "$_kind"
  p_fill 'the POSIX-sh probe does not time writes or project card life; run the Node agent (node >= 18) for it'
  p_end
}
