// soak: the Django/Channels load held for --soak DURATION while temperature, clock and throttling are sampled
// every second. Its figures describe the heat, so they are not themselves marked as load figures.
import { defineMetrics } from './define.js';

export const SOAK_METRICS = defineMetrics('soak', [
  { name: 'duration_seconds', type: 'number', unit: 'seconds', description: 'How long the sustained load ran' },
  {
    name: 'load',
    type: 'string',
    description:
      'The loads held: the Django Channels echo consumer (else the plain Python, else the Node echo server) and the Django HTTP server the django probe measured',
  },
  {
    name: 'initial_messages_per_second',
    type: 'number',
    unit: 'per_second',
    description: 'Messages per second over the first tenth of the soak (at least 5 s)',
  },
  {
    name: 'sustained_messages_per_second',
    type: 'number',
    unit: 'per_second',
    description: 'Messages per second over the last tenth of the soak (at least 5 s)',
  },
  { name: 'throughput_ratio', type: 'number', description: 'Sustained over initial throughput: below 1 the board slowed down under the heat' },
  {
    name: 'initial_requests_per_second',
    type: 'number',
    unit: 'per_second',
    description: "Django HTTP requests per second over the first tenth of the soak (the django probe's server, workers and clients)",
  },
  { name: 'sustained_requests_per_second', type: 'number', unit: 'per_second', description: 'Django HTTP requests per second over the last tenth of the soak' },
  { name: 'requests_ratio', type: 'number', description: 'Sustained over initial Django request rate' },
  { name: 'peak_temperature_celsius', type: 'number', unit: 'celsius', description: 'Highest SoC temperature sampled during the soak' },
  {
    name: 'seconds_to_first_throttle',
    type: 'number',
    unit: 'seconds',
    description: 'Seconds from the start of the load to the first sample with a get_throttled bit set',
  },
  {
    name: 'throttled',
    type: 'boolean',
    judged: true,
    description: 'The board throttled, capped its clock or hit its soft temperature limit during the soak (get_throttled)',
  },
  {
    name: 'undervoltage',
    type: 'boolean',
    judged: true,
    description: 'The supply sagged below the under-voltage line during the soak (get_throttled bit 0, or bit 16 newly set)',
  },
  { name: 'clock_fell', type: 'boolean', description: "cpu0's clock under load fell more than 5 % below the highest clock seen under load" },
  { name: 'min_clock_mhz', type: 'number', unit: 'mhz', description: 'Lowest cpu0 clock sampled under load (scaling_cur_freq)' },
  { name: 'max_clock_mhz', type: 'number', unit: 'mhz', description: 'Highest cpu0 clock sampled under load (scaling_cur_freq)' },
]);
