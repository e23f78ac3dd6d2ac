// Scheduled runs on a device (`edgeprobe ssh --install-timer DAILY|HOURLY`): the agent bundle, a wrapper that
// runs it and uploads through the spool, and a systemd timer (system units as root, user units with lingering
// otherwise) or, where systemd is not running, a crontab entry. Everything lives in one directory,
// ~/.local/share/edgeprobe/scheduled, so that `--remove-timer` leaves nothing but undelivered reports behind.
import { createHash } from 'node:crypto';
import { shellQuote } from '../platform/shell-quote.js';

export const TIMER_INTERVALS = ['DAILY', 'HOURLY'] as const;
export type TimerInterval = (typeof TIMER_INTERVALS)[number];
export type TimerKind = 'systemd' | 'systemd-user' | 'cron';

/** The unit name, the crontab marker and the folder name all derive from this. */
export const SCHEDULE_NAME = 'edgeprobe-scheduled';
/** Relative to the device user's home. */
export const SCHEDULE_DIR = '.local/share/edgeprobe/scheduled';
const FILE_MARKER = 'EDGEPROBE-FILE ';
const END_MARKER = 'EDGEPROBE-END-FILE';
const AGENT_MARKER = 'EDGEPROBE-AGENT';
export const TIMER_MARKER = 'EDGEPROBE-TIMER ';

export interface ScheduleSpec {
  interval: TimerInterval;
  /** The dashboard (already checked by dashboardUrl). */
  url: string;
  token: string;
  /** PEM of a private CA, copied to the device. */
  ca?: string;
  /** The report's label: the host's name in the inventory, as `ssh --upload` labels it. */
  label: string;
  /** Options for `run` (--quick, --only ...). */
  runArgs: readonly string[];
  timeoutS: number;
}

/** Minute and hour of the run, spread over the hour (and day) by the host's name so a fleet does not upload at once. */
export function scheduleTime(label: string): { minute: number; hour: number } {
  const hash = createHash('sha256').update(label, 'utf8').digest();
  return { minute: (hash[0] ?? 0) % 60, hour: (hash[1] ?? 0) % 24 };
}

/** Quotes a word for sh, with @DIR@ standing for "$dir" (expanded when the wrapper runs). */
function quoteWithDir(word: string): string {
  return word
    .split('@DIR@')
    .map((part) => (part === '' ? '' : `'${part.replace(/'/g, `'\\''`)}'`))
    .join('"$dir"');
}

/** The agent exits 1 for "not viable" and 3 for an incomplete report: both are successful scheduled runs. */
export function wrapperScript(spec: ScheduleSpec): string {
  const args = [
    'run',
    '--format',
    'json',
    '--output',
    '@DIR@/last-report.json',
    '--upload',
    spec.url,
    '--spool',
    '@DIR@/spool',
    '--label',
    spec.label,
    '--timeout',
    String(spec.timeoutS),
    ...(spec.ca ? ['--ca', '@DIR@/ca.pem'] : []),
    ...spec.runArgs,
  ]
    .map(quoteWithDir)
    .join(' ');
  return [
    '#!/bin/sh',
    `# ${SCHEDULE_NAME}: measures this device with the edgeprobe agent and uploads the report to ${spec.url.replace(/[\r\n]/g, '')};`,
    '# a report the dashboard cannot take now waits in the spool and goes with the next run that gets through.',
    '# Installed by `edgeprobe ssh --install-timer`; `edgeprobe ssh --remove-timer` removes it.',
    'dir=$(cd "$(dirname "$0")" && pwd) || exit 1',
    'node=$(cat "$dir/node") || exit 1',
    'set -a; . "$dir/upload.env"; set +a',
    'if command -v flock >/dev/null 2>&1; then',
    '  exec 9>"$dir/run.lock"',
    '  flock -n 9 || { echo "edgeprobe: the previous scheduled run is still going" >&2; exit 0; }',
    'fi',
    `"$node" "$dir/edgeprobe-agent.js" ${args} >"$dir/last-run.log" 2>&1`,
    'rc=$?',
    'printf "exit %s at %s\\n" "$rc" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$dir/last-run.log"',
    'case $rc in 0|1|3) exit 0 ;; *) exit "$rc" ;; esac',
    '',
  ].join('\n');
}

export function serviceUnit(spec: ScheduleSpec): string {
  return [
    '[Unit]',
    `Description=edgeprobe scheduled run: measure this device and upload to ${spec.url.replace(/[\r\n%]/g, '')}`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    // System units get no HOME of their own; the agent's disk probe looks there.
    'Environment=HOME=%h',
    `ExecStart=/bin/sh %h/${SCHEDULE_DIR}/run.sh`,
    'Nice=10',
    `TimeoutStartSec=${spec.timeoutS + 120}`,
    '',
  ].join('\n');
}

export function timerUnit(spec: ScheduleSpec): string {
  const { minute, hour } = scheduleTime(spec.label);
  const two = (n: number): string => String(n).padStart(2, '0');
  const calendar = spec.interval === 'DAILY' ? `*-*-* ${two(hour)}:${two(minute)}:00` : `*-*-* *:${two(minute)}:00`;
  return [
    '[Unit]',
    `Description=edgeprobe scheduled run (${spec.interval.toLowerCase()})`,
    '',
    '[Timer]',
    `OnCalendar=${calendar}`,
    // A run missed while the device was off happens at the next boot.
    'Persistent=true',
    'AccuracySec=1min',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
}

export function crontabLine(spec: ScheduleSpec): string {
  const { minute, hour } = scheduleTime(spec.label);
  const when = spec.interval === 'DAILY' ? `${minute} ${hour} * * *` : `${minute} * * * *`;
  return `${when} /bin/sh "$HOME/${SCHEDULE_DIR}/run.sh" # ${SCHEDULE_NAME}`;
}

/** What travels on the installer's stdin: the small files line by line, then the agent bundle. */
export function installPayload(spec: ScheduleSpec, agent: string): string {
  if (!/^[A-Za-z0-9_.~-]{1,512}$/.test(spec.token)) throw new Error('the token has characters an upload token never has');
  const files: [string, string][] = [
    ['upload.env', `EDGEPROBE_TOKEN=${spec.token}\n`],
    ['run.sh', wrapperScript(spec)],
    [`${SCHEDULE_NAME}.service`, serviceUnit(spec)],
    [`${SCHEDULE_NAME}.timer`, timerUnit(spec)],
    ['crontab.line', `${crontabLine(spec)}\n`],
    ...(spec.ca ? [['ca.pem', spec.ca.endsWith('\n') ? spec.ca : `${spec.ca}\n`] as [string, string]] : []),
  ];
  const framed = files.map(([name, text]) => `${FILE_MARKER}${name}\n${text}${END_MARKER}\n`).join('');
  return `${framed}${AGENT_MARKER}\n${agent}`;
}

/** Shared by the installer and the remover: where things are, and taking down whatever is installed. */
const COMMON = [
  'set -u',
  'say() { printf "EDGEPROBE-TIMER %s\\n" "$*"; }',
  `dir="$HOME/${SCHEDULE_DIR}"`,
  `unit=${SCHEDULE_NAME}`,
  'systemd_running() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }',
  'take_down() {',
  '  if systemd_running; then',
  '    if [ "$(id -u)" = 0 ] && [ -f "/etc/systemd/system/$unit.timer" ]; then',
  '      systemctl disable --now "$unit.timer" >/dev/null 2>&1',
  '      rm -f "/etc/systemd/system/$unit.timer" "/etc/systemd/system/$unit.service"; systemctl daemon-reload',
  '    fi',
  '    userdir="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user"',
  '    if [ -f "$userdir/$unit.timer" ]; then',
  '      systemctl --user disable --now "$unit.timer" >/dev/null 2>&1',
  '      rm -f "$userdir/$unit.timer" "$userdir/$unit.service"; systemctl --user daemon-reload >/dev/null 2>&1',
  '    fi',
  '  fi',
  '  if command -v crontab >/dev/null 2>&1 && crontab -l 2>/dev/null | grep -q "# $unit\\$"; then',
  // An emptied crontab is removed rather than left behind as an empty file.
  '    rest=$(crontab -l 2>/dev/null | grep -v "# $unit\\$")',
  '    if [ -n "$rest" ]; then printf "%s\\n" "$rest" | crontab - || return 1; else crontab -r || return 1; fi',
  '  fi',
  '  return 0',
  '}',
];

/** Runs on the device under `sh -c`: checks for node >= 18, writes the files, installs the timer or cron entry. */
export const INSTALL_SCRIPT = [
  ...COMMON,
  'nodebin=',
  'for n in node nodejs; do',
  '  p=$(command -v "$n" 2>/dev/null) || continue',
  '  if "$p" -e "process.exit(parseInt(process.versions.node)>=18?0:1)" </dev/null >/dev/null 2>&1; then nodebin=$p; break; fi',
  'done',
  '[ -n "$nodebin" ] || { say "error no node >= 18 on the device: scheduled runs need the agent (the POSIX-sh probe cannot upload)"; exit 0; }',
  'case $nodebin in /*) ;; *) nodebin="$(pwd)/$nodebin" ;; esac',
  'umask 077',
  'mkdir -p "$dir/spool" "$dir/.new" || { say "error cannot create $dir"; exit 0; }',
  'name=',
  'while IFS= read -r line; do',
  `  case $line in "${FILE_MARKER}"*) name=\${line#"${FILE_MARKER}"}; : >"$dir/.new/$name" ;;`,
  `    ${END_MARKER}) name= ;;`,
  `    ${AGENT_MARKER}) break ;;`,
  '    *) [ -n "$name" ] && printf "%s\\n" "$line" >>"$dir/.new/$name" ;;',
  '  esac',
  'done',
  'cat >"$dir/.new/edgeprobe-agent.js"',
  '[ -s "$dir/.new/edgeprobe-agent.js" ] && [ -s "$dir/.new/run.sh" ] || { rm -rf "$dir/.new"; say "error the files did not arrive whole"; exit 0; }',
  'printf "%s\\n" "$nodebin" >"$dir/.new/node"',
  'take_down || { say "error cannot remove the earlier crontab entry"; exit 0; }',
  'rm -f "$dir/ca.pem"',
  'for f in "$dir/.new/"* ; do mv -f "$f" "$dir/"; done; rmdir "$dir/.new"',
  'kind=',
  'if systemd_running; then',
  '  if [ "$(id -u)" = 0 ]; then',
  '    cp "$dir/$unit.service" "$dir/$unit.timer" /etc/systemd/system/ && systemctl daemon-reload && systemctl enable --now "$unit.timer" >/dev/null 2>&1 && kind=systemd',
  '  else',
  '    loginctl enable-linger "$(id -un)" >/dev/null 2>&1',
  '    if [ "$(loginctl show-user "$(id -un)" -p Linger --value 2>/dev/null)" = yes ] && systemctl --user show-environment >/dev/null 2>&1; then',
  '      userdir="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user"; mkdir -p "$userdir"',
  '      cp "$dir/$unit.service" "$dir/$unit.timer" "$userdir/" && systemctl --user daemon-reload && systemctl --user enable --now "$unit.timer" >/dev/null 2>&1 && kind=systemd-user',
  '    fi',
  '  fi',
  'fi',
  'if [ -z "$kind" ] && command -v crontab >/dev/null 2>&1; then',
  '  { crontab -l 2>/dev/null | grep -v "# $unit\\$"; cat "$dir/crontab.line"; } | crontab - && kind=cron',
  'fi',
  '[ -n "$kind" ] || { say "error neither a systemd timer (as root, or with lingering) nor crontab could be set up"; exit 0; }',
  'say "installed $kind $dir"',
].join('\n');

/** Runs on the device under `sh -c`: takes the timer or cron entry down and removes the files, keeping undelivered reports. */
export const REMOVE_SCRIPT = [
  ...COMMON,
  'take_down || { say "error cannot edit the crontab"; exit 0; }',
  'waiting=0',
  'if [ -d "$dir" ]; then',
  '  waiting=$(find "$dir/spool" -name "*.json" 2>/dev/null | wc -l | tr -d " ")',
  '  for f in "$dir"/* "$dir"/.new; do [ "$f" = "$dir/spool" ] || rm -rf "$f"; done',
  '  [ "$waiting" = 0 ] && rm -rf "$dir/spool" && rmdir "$dir" 2>/dev/null && rmdir "$HOME/.local/share/edgeprobe" 2>/dev/null',
  'fi',
  'say "removed $waiting"',
].join('\n');

export type ScheduleAnswer =
  | { ok: true; action: 'installed'; kind: TimerKind; dir: string }
  | { ok: true; action: 'removed'; waitingReports: number }
  | { ok: false; message: string };

/** Reads the installer's or remover's last marker line. */
export function parseScheduleAnswer(stdout: string): ScheduleAnswer | null {
  const line = stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(TIMER_MARKER));
  if (!line) return null;
  const [word = '', ...rest] = line.slice(TIMER_MARKER.length).split(' ');
  if (word === 'error') return { ok: false, message: rest.join(' ') };
  if (word === 'installed' && ['systemd', 'systemd-user', 'cron'].includes(rest[0] ?? '')) {
    return { ok: true, action: 'installed', kind: rest[0] as TimerKind, dir: rest.slice(1).join(' ') };
  }
  if (word === 'removed' && /^\d+$/.test(rest[0] ?? '')) return { ok: true, action: 'removed', waitingReports: Number(rest[0]) };
  return null;
}

export function scheduleCommand(script: string): string {
  return ['sh', '-c', script, SCHEDULE_NAME].map(shellQuote).join(' ');
}
