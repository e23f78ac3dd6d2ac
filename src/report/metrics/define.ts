// The shape of one catalogue entry, and the helper each probe's list is written with.
// docs/architecture.md, "Adding a metric", says what each field decides.

export type MetricType = 'number' | 'string' | 'boolean';
export type MetricUnit = 'bytes' | 'bytes_per_second' | 'seconds' | 'ms' | 'per_second' | 'celsius' | 'mhz' | 'cpus' | 'bits' | 'bytes_per_hour' | 'years';

export interface MetricSpec {
  /** `<probe>.<name>`: snake_case, with a Prometheus-style unit suffix. */
  id: string;
  /** The probe that measures it (the part of the id before the dot). */
  probe: string;
  type: MetricType;
  /** Every metric may be null ("could not be measured", never 0); kept for the report schema's sake. */
  nullable: boolean;
  unit?: MetricUnit;
  description: string;
  /** Profiles may judge it. The others are facts for people: shown, compared, never a requirement. */
  judged: boolean;
  /** A hardware spec sheet may state it, so a board can be rated before anyone buys it. */
  specSheet: boolean;
  /** Measured under load: suspect when the board throttled or was under-volted during the run. */
  load: boolean;
}

export interface MetricEntry {
  name: string;
  type: MetricType;
  unit?: MetricUnit;
  description: string;
  judged?: boolean;
  specSheet?: boolean;
  load?: boolean;
}

export function defineMetrics(probe: string, entries: readonly MetricEntry[]): readonly MetricSpec[] {
  return entries.map((entry) => {
    const spec: MetricSpec = {
      id: `${probe}.${entry.name}`, probe, type: entry.type, nullable: true, description: entry.description,
      judged: entry.judged ?? false, specSheet: entry.specSheet ?? false, load: entry.load ?? false,
    };
    if (entry.unit !== undefined) spec.unit = entry.unit;
    return spec;
  });
}
