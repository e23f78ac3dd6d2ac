# ---------------------------------------------------------------- lookups in the tables of src/facts/
# The assembler (probes/posix-sh/assemble.ts) injects each table as a variable holding one "key=value" line
# per entry: EDGEPROBE_PI_TYPES, EDGEPROBE_PI_MEMORY_MIB, EDGEPROBE_PI_OLD_CODES (src/facts/pi-revisions.ts),
# EDGEPROBE_ARM_PARTS (src/facts/arm-parts.ts); EDGEPROBE_DMI_PLACEHOLDERS holds one value per line
# (src/facts/dmi-placeholders.ts).

# V <- the value for key $2 in the table held by the variable named $1; fails when the key is absent.
table_get() {
  V=
  eval "_table=\"\$NL\${$1:-}\$NL\""
  case $_table in *"$NL$2="*) ;; *) return 1 ;; esac
  _table=${_table#*"$NL$2="}
  V=${_table%%"$NL"*}
  return 0
}

# ARM part numbers (implementer EDGEPROBE_ARM_IMPLEMENTER), as in probes/lib/parsers/cpuinfo.ts: V <- the core.
arm_part_name() { table_get EDGEPROBE_ARM_PARTS "$1"; }

# Raspberry Pi revision codes (probes/lib/parsers/pi-revision.ts): PI_MODEL, PI_RAM <- decoded, or fail.
pi_revision() {
  PI_MODEL=; PI_RAM=
  _code=$(printf '%s' "$1" | tr 'A-F' 'a-f')
  _code=${_code#0x}
  case $_code in ''|*[!0-9a-f]*) return 1 ;; esac
  [ ${#_code} -le 8 ] || return 1
  # Bit 24 marks a board whose warranty was voided by over-voltage; it does not change the model.
  _val=$((0x$_code & ~(1 << 24)))
  if [ $((_val & (1 << 23))) -ne 0 ]; then
    table_get EDGEPROBE_PI_TYPES "$(((_val >> 4) & 255))" || return 1
    _type=$V
    table_get EDGEPROBE_PI_MEMORY_MIB "$(((_val >> 20) & 7))" || return 1
    _mib=$V
    _rev="1.$((_val & 15))"
  else
    # "MiB revision type": the type, last, may hold spaces.
    table_get EDGEPROBE_PI_OLD_CODES "$((_val & 65535))" || return 1
    _mib=${V%% *}; V=${V#* }; _rev=${V%% *}; _type=${V#* }
  fi
  case $_type in
    A|B) PI_MODEL="Raspberry Pi Model $_type" ;;
    A+) PI_MODEL="Raspberry Pi Model A Plus" ;;
    B+) PI_MODEL="Raspberry Pi Model B Plus" ;;
    *) PI_MODEL="Raspberry Pi $_type" ;;
  esac
  PI_MODEL="$PI_MODEL Rev $_rev"
  PI_RAM=$((_mib * 1048576))
  return 0
}

# Is $1 a DMI string that vendors leave unfilled (probes/host.ts)? Compared whole, ignoring case.
dmi_placeholder() {
  _lc=$(printf '%s' "$1" | tr 'A-Z' 'a-z')
  case "$NL$EDGEPROBE_DMI_PLACEHOLDERS$NL" in *"$NL$_lc$NL"*) return 0 ;; esac
  for _ch in $EDGEPROBE_DMI_PLACEHOLDER_REPEATED; do
    case $_lc in *[!"$_ch"]*) ;; *) return 0 ;; esac
  done
  return 1
}
