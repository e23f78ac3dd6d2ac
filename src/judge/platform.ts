// The platform gate: Django needs CPython, and CPython needs an operating system with processes and virtual
// memory; on these boards that means Linux. A board that runs no Linux (a microcontroller: no MMU) cannot host
// Django whatever else it offers, so the gate fails it under every profile. It is not a profile check: no
// profile can remove or relax it, and --allow cannot override it (parseAllowances refuses its id).
// Everything else about a board (architecture, cores, clock, memory, throughput) is left to the profile's
// checks, which warn or fail on the figures.
import type { MetricValue } from '../report/types.js';
import type { CheckResult, JudgeSubject } from './verdict.js';

export const PLATFORM_GATE_ID = 'platform.linux';
const METRIC = 'host.linux';

const WHY =
  'Django runs on CPython, and CPython runs on an operating system with processes and virtual memory: Linux on single-board computers. A microcontroller has no MMU and runs no Linux, so no Django can run on it, whatever is allowed.';
const ADVICE =
  'Run Django on a Linux board (a Pi Zero 2 W or better) and let the microcontroller talk to it (MicroPython or C, over HTTP, WebSockets or MQTT).';
const SOURCES = [
  'PEP 11, CPython platform support: Linux is a supported platform; bare-metal microcontrollers are not (MicroPython and CircuitPython target them, without Django)',
  'RP2040 and RP2350 datasheets: Cortex-M0+ / Cortex-M33 cores without an MMU, 264-520 KB of SRAM',
];

export const PLATFORM_GATE_TITLE = 'Runs Linux (CPython and Django need it)';

/** The gate for one subject: fail where the subject says it runs no Linux, unknown where it does not say. */
export function platformGate(subject: JudgeSubject): CheckResult {
  const raw = subject.metrics[METRIC];
  const actual: MetricValue = raw === undefined ? null : raw;
  const result: CheckResult = {
    id: PLATFORM_GATE_ID,
    title: PLATFORM_GATE_TITLE,
    metric: METRIC,
    operator: '==',
    expected: '== true (else fail; cannot be allowed)',
    thresholds: { fail: true },
    actual,
    status: 'pass',
    message: '',
    why: WHY,
    advice: ADVICE,
    sources: SOURCES,
    canFail: true,
    hardware: true,
  };
  if (actual === false) {
    result.status = 'fail';
    result.message =
      subject.basis === 'spec-sheet'
        ? `${PLATFORM_GATE_TITLE}: no, the ${subject.label} spec sheet states no Linux (a microcontroller without an MMU)`
        : `${PLATFORM_GATE_TITLE}: no, the probe found no Linux kernel`;
  } else if (actual === true) {
    result.message = `${PLATFORM_GATE_TITLE}: yes${subject.basis === 'spec-sheet' ? ', as the spec sheet states' : ', measured'}`;
  } else {
    // Missing data never improves a verdict: a report whose host probe failed cannot vouch for its platform.
    result.status = 'unknown';
    result.unknownReason = subject.unmeasured(METRIC) ?? (raw === undefined ? 'not in the report' : 'could not be measured');
    result.message = `${PLATFORM_GATE_TITLE}: unknown (${result.unknownReason})`;
  }
  return result;
}
