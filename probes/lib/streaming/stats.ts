// Pure arithmetic of the streaming probe: percentiles, RFC 3550 jitter, the sustained-stream verdict
// of each frame. Kept apart so that it can be tested without sockets.

/** Nearest-rank percentile (p in 0..100) of unsorted samples; null for no samples. */
export function percentile(samples: readonly number[], p: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? null;
}

export function roundTo(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/**
 * Interarrival jitter as RFC 3550 section 6.4.1 defines it, with the frames' scheduled send times as the
 * sender timestamps: J += (|D(i-1,i)| - J) / 16, where D = (R_i - R_{i-1}) - (S_i - S_{i-1}).
 * Frames are taken in the order they were scheduled; frames never received are skipped.
 */
export function rfc3550Jitter(frames: ReadonlyArray<{ scheduledMs: number; receivedMs: number | null }>): number | null {
  let jitter = 0;
  let previous: { scheduledMs: number; receivedMs: number } | null = null;
  let pairs = 0;
  for (const frame of frames) {
    if (frame.receivedMs === null) continue;
    const current = { scheduledMs: frame.scheduledMs, receivedMs: frame.receivedMs };
    if (previous) {
      const d = current.receivedMs - previous.receivedMs - (current.scheduledMs - previous.scheduledMs);
      jitter += (Math.abs(d) - jitter) / 16;
      pairs++;
    }
    previous = current;
  }
  return pairs === 0 ? null : jitter;
}

export interface SustainedFrame {
  scheduledMs: number;
  receivedMs: number | null;
  bytes: number;
}

export interface SustainedSummary {
  framesScheduled: number;
  framesEchoed: number;
  /** Echoed later than one frame interval after the frame was due to be sent, or never echoed. */
  lateFrames: number;
  lostFrames: number;
  achievedBytesPerSecond: number;
  targetBytesPerSecond: number;
  jitterMs: number | null;
  delayP50Ms: number | null;
  delayP99Ms: number | null;
  delayMaxMs: number | null;
}

/**
 * Sums up a fixed-bitrate stream: frames of `frameBytes` scheduled every `intervalMs` from `startMs` for
 * `durationMs`. The achieved rate counts echoed payload bytes over the longer of the planned duration and
 * the time the last echo took to arrive, so a stream that falls behind shows a lower rate.
 */
export function summariseSustained(frames: readonly SustainedFrame[], startMs: number, durationMs: number, intervalMs: number): SustainedSummary {
  const delays: number[] = [];
  let late = 0;
  let lost = 0;
  let bytes = 0;
  let lastArrival = startMs;
  for (const frame of frames) {
    if (frame.receivedMs === null) {
      lost++;
      late++;
      continue;
    }
    const delay = frame.receivedMs - frame.scheduledMs;
    delays.push(delay);
    if (delay > intervalMs) late++;
    bytes += frame.bytes;
    lastArrival = Math.max(lastArrival, frame.receivedMs);
  }
  const frameBytes = frames[0]?.bytes ?? 0;
  const elapsedMs = Math.max(durationMs, lastArrival - startMs);
  const jitter = rfc3550Jitter(frames);
  const p50 = percentile(delays, 50);
  const p99 = percentile(delays, 99);
  return {
    framesScheduled: frames.length,
    framesEchoed: frames.length - lost,
    lateFrames: late,
    lostFrames: lost,
    achievedBytesPerSecond: elapsedMs > 0 ? Math.round((bytes * 1000) / elapsedMs) : 0,
    targetBytesPerSecond: intervalMs > 0 ? Math.round((frameBytes * 1000) / intervalMs) : 0,
    jitterMs: jitter === null ? null : roundTo(jitter, 3),
    delayP50Ms: p50 === null ? null : roundTo(p50, 3),
    delayP99Ms: p99 === null ? null : roundTo(p99, 3),
    delayMaxMs: delays.length === 0 ? null : roundTo(Math.max(...delays), 3),
  };
}
