// What a soak's second-by-second samples say: throughput at the start and at the end, the peak temperature,
// when the board first throttled, and whether the clock fell. Pure, so that it is tested on time series.
//
// get_throttled bits (Raspberry Pi documentation, vcgencmd get_throttled): 0 under-voltage now, 1 ARM frequency
// capped now, 2 throttled now, 3 soft temperature limit now; 16-19 the same since boot.

export interface SoakSample {
  /** Seconds since the load started. */
  t: number;
  celsius: number | null;
  /** scaling_cur_freq of cpu0, in MHz. */
  mhz: number | null;
  /** get_throttled; null on boards without it. */
  throttled: number | null;
  /** Messages echoed during the second that ends at t. */
  operations: number;
  /** Django HTTP requests answered during that second, when the soak ran the Django load too. */
  requests?: number;
}

export interface SoakSummary {
  seconds: number;
  /** Operations per second over the first and the last window (a tenth of the soak, at least 5 s). */
  initialRate: number | null;
  sustainedRate: number | null;
  /** sustainedRate / initialRate. */
  ratio: number | null;
  /** The same for the Django HTTP requests, when they ran; null otherwise. */
  initialRequestRate: number | null;
  sustainedRequestRate: number | null;
  requestRatio: number | null;
  windowSeconds: number;
  peakCelsius: number | null;
  /** Seconds from the start to the first sample that shows throttling; null when it never did. */
  firstThrottleSeconds: number | null;
  throttled: boolean | null;
  underVoltage: boolean | null;
  minMhz: number | null;
  maxMhz: number | null;
  /** The clock under load dropped more than 5 % below the highest clock seen under load. */
  clockFell: boolean | null;
}

/** The clock must drop by more than this share to count as fallen: ondemand steps are coarser, noise finer. */
export const CLOCK_FALL_SHARE = 0.05;
/** The first samples are the load starting up (connections opening): not part of the initial rate. */
const WARM_UP_SECONDS = 1;

const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

function meanRate(samples: readonly SoakSample[], of: (s: SoakSample) => number | undefined = (s) => s.operations): number | null {
  const values = samples.map(of).filter((v): v is number => v !== undefined);
  return values.length === 0 ? null : round(values.reduce((sum, v) => sum + v, 0) / values.length, 1);
}

const ratioOf = (initial: number | null, sustained: number | null): number | null =>
  initial !== null && sustained !== null && initial > 0 ? round(sustained / initial, 2) : null;

function throttleOf(samples: readonly SoakSample[]): Pick<SoakSummary, 'firstThrottleSeconds' | 'throttled' | 'underVoltage'> {
  const readings = samples.filter((s): s is SoakSample & { throttled: number } => s.throttled !== null);
  const first = readings[0];
  if (!first) return { firstThrottleSeconds: null, throttled: null, underVoltage: null };
  // A "since boot" bit set before the soak began says nothing about the soak; a new one, or a "now" bit, does.
  const during = (s: { throttled: number }): boolean => (s.throttled & 0xf) !== 0 || (s.throttled & ~first.throttled & 0xf0000) !== 0;
  const hit = readings.find(during);
  const underVoltage = readings.some((s) => (s.throttled & 0x1) !== 0 || (s.throttled & ~first.throttled & 0x10000) !== 0);
  return { firstThrottleSeconds: hit ? hit.t : null, throttled: hit !== undefined, underVoltage };
}

function clockOf(samples: readonly SoakSample[]): Pick<SoakSummary, 'minMhz' | 'maxMhz' | 'clockFell'> {
  const clocks = samples
    .filter((s) => s.t > WARM_UP_SECONDS)
    .map((s) => s.mhz)
    .filter((m): m is number => m !== null);
  if (clocks.length === 0) return { minMhz: null, maxMhz: null, clockFell: null };
  const minMhz = Math.min(...clocks);
  const maxMhz = Math.max(...clocks);
  return { minMhz, maxMhz, clockFell: minMhz < maxMhz * (1 - CLOCK_FALL_SHARE) };
}

export function summariseSoak(samples: readonly SoakSample[]): SoakSummary {
  const loaded = samples.filter((s) => s.t > WARM_UP_SECONDS);
  const seconds = samples.length === 0 ? 0 : Math.max(...samples.map((s) => s.t));
  const windowSeconds = Math.max(5, Math.round(seconds / 10));
  const first = loaded.filter((s) => s.t <= WARM_UP_SECONDS + windowSeconds);
  const last = loaded.filter((s) => s.t > seconds - windowSeconds);
  const initial = meanRate(first);
  const sustained = meanRate(last);
  const initialRequests = meanRate(first, (s) => s.requests);
  const sustainedRequests = meanRate(last, (s) => s.requests);
  const temperatures = samples.map((s) => s.celsius).filter((c): c is number => c !== null);
  return {
    seconds,
    initialRate: initial,
    sustainedRate: sustained,
    ratio: ratioOf(initial, sustained),
    initialRequestRate: initialRequests,
    sustainedRequestRate: sustainedRequests,
    requestRatio: ratioOf(initialRequests, sustainedRequests),
    windowSeconds,
    peakCelsius: temperatures.length > 0 ? Math.max(...temperatures) : null,
    ...throttleOf(samples),
    ...clockOf(samples),
  };
}

/** At most `points` samples for a chart: each bucket keeps its hottest temperature, lowest clock, mean rate and any throttle bit. */
export function downsample(samples: readonly SoakSample[], points: number): SoakSample[] {
  if (samples.length <= points) return [...samples];
  const size = Math.ceil(samples.length / points);
  const out: SoakSample[] = [];
  for (let i = 0; i < samples.length; i += size) {
    const bucket = samples.slice(i, i + size);
    const last = bucket[bucket.length - 1] as SoakSample;
    const temps = bucket.map((s) => s.celsius).filter((c): c is number => c !== null);
    const clocks = bucket.map((s) => s.mhz).filter((m): m is number => m !== null);
    const bits = bucket.map((s) => s.throttled).filter((b): b is number => b !== null);
    const requests = bucket.map((s) => s.requests).filter((r): r is number => r !== undefined);
    out.push({
      ...(requests.length > 0 ? { requests: round(requests.reduce((sum, r) => sum + r, 0) / requests.length, 1) } : {}),
      t: last.t,
      celsius: temps.length > 0 ? Math.max(...temps) : null,
      mhz: clocks.length > 0 ? Math.min(...clocks) : null,
      throttled: bits.length > 0 ? bits.reduce((a, b) => a | b, 0) : null,
      operations: round(bucket.reduce((sum, s) => sum + s.operations, 0) / bucket.length, 1),
    });
  }
  return out;
}
