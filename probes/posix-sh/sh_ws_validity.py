"""edgeprobe POSIX-sh probe: whether the streaming figures can be trusted (streaming.suspect).

The Node agent's rules (judgeValidity in probes/lib/streaming/plan.ts, the snapshot in probes/streaming.ts):
the board throttled or was under-volted, reached 80 degrees C, had a load average above 3/4 of its CPUs before
the run, or other processes used more than max(0.25, 20 % of the CPUs) while it ran. Without this the sh probe
would leave a check unknown that the agent judges, and the two would not reach the same verdict on a busy host.
It arrives as the source text EDGEPROBE_WS_VALIDITY_SRC and is loaded by sh_ws_client.py.
"""
import glob
import os
import re
import subprocess
import time

HOT_CELSIUS = 80
USER_HZ = 100  # /proc/stat counts USER_HZ ticks, 100 a second on Linux


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def throttled():
    """The Raspberry Pi firmware's get_throttled bits (sysfs, else vcgencmd); None elsewhere."""
    paths = ["/sys/devices/platform/soc/soc:firmware/get_throttled"] + sorted(glob.glob("/sys/devices/platform/soc*/*firmware/get_throttled"))
    texts = [read(p) for p in paths]
    if not any(texts):
        try:
            texts = [subprocess.run(["vcgencmd", "get_throttled"], stdin=subprocess.DEVNULL, capture_output=True, timeout=3, text=True).stdout]
        except (OSError, subprocess.SubprocessError):
            return None
    for text in texts:
        match = re.match(r"^(?:throttled=)?(?:0x)?([0-9a-f]+)$", (text or "").strip(), re.I)
        if match:
            return int(match.group(1), 16)
    return None


def temperature():
    """The CPU's thermal zone (cpu, soc, x86_pkg or bcm2835 by type), else the first one, in degrees C."""
    readings = []
    for zone in sorted(glob.glob("/sys/class/thermal/thermal_zone*")):
        try:
            celsius = round(int((read(zone + "/temp") or "").strip()) / 100) / 10
        except ValueError:
            continue
        readings.append((celsius, (read(zone + "/type") or "").strip()))
    preferred = [c for c, kind in readings if re.search(r"cpu|soc|x86_pkg|bcm2835", kind, re.I)]
    return (preferred or [c for c, _ in readings] or [None])[0]


def proc_stat_cpu():
    """Busy and total ticks over all CPUs (iowait counts as idle; guest time is already in user)."""
    line = next((l for l in (read("/proc/stat") or "").split("\n") if l.startswith("cpu ")), None)
    try:
        values = [int(v) for v in line.split()[1:]] if line else []
    except ValueError:
        return None, None
    if len(values) < 4:
        return None, None
    user, nice, system, idle, iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    busy = user + nice + system + irq + softirq + steal
    return busy, busy + idle + iowait


def snapshot():
    busy, total = proc_stat_cpu()
    try:
        load = float((read("/proc/loadavg") or "").split()[0])
    except (ValueError, IndexError):
        load = None
    # This helper and its reaped children (the servers): their ticks are the probe's own, not other load.
    own = os.times()
    return {"throttled": throttled(), "temperatureCelsius": temperature(), "loadAverage1m": load, "cpuBusyTicks": busy,
            "cpuTotalTicks": total, "ownTicks": round((own[0] + own[1] + own[2] + own[3]) * USER_HZ), "at": time.monotonic()}


def judge(before, after, cpus):
    reasons = []
    b, a = before["throttled"], after["throttled"]
    if b is not None and a is not None:
        if a & 0xF or b & 0xF:
            reasons.append("the board was throttled or under-volted during the run (get_throttled 0x%x -> 0x%x)" % (b, a))
        elif a & ~b & 0xF0000:
            reasons.append("the board throttled during the run (get_throttled 0x%x -> 0x%x)" % (b, a))
    temps = [t for t in (before["temperatureCelsius"], after["temperatureCelsius"]) if t is not None]
    if temps and max(temps) >= HOT_CELSIUS:
        reasons.append("the CPU reached %.1f degrees C (throttling starts around %d degrees C)" % (max(temps), HOT_CELSIUS))
    load = before["loadAverage1m"]
    if load is not None and load > max(1, cpus * 0.75):
        reasons.append("the device was busy before the run (load average %.2f on %g CPU%s)" % (load, cpus, "" if cpus == 1 else "s"))
    other, elapsed = None, after["at"] - before["at"]
    if None not in (before["cpuBusyTicks"], after["cpuBusyTicks"], before["ownTicks"]) and elapsed > 0:
        total = after["cpuTotalTicks"] - before["cpuTotalTicks"]
        host_cpus = total / (elapsed * USER_HZ) if total > 0 else cpus
        busy, own = after["cpuBusyTicks"] - before["cpuBusyTicks"], after["ownTicks"] - before["ownTicks"]
        other = round(max(0, (busy - own) / (elapsed * USER_HZ)), 2)
        if other > max(0.25, 0.2 * min(cpus, host_cpus)):
            reasons.append("other processes used %.2f CPUs while the probe ran" % other)
    return {"suspect": bool(reasons), "reasons": reasons, "otherCpuLoad": other,
            "before": {k: v for k, v in before.items() if k != "at"}, "after": {k: v for k, v in after.items() if k != "at"}}
