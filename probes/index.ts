// Every probe the agent runs, in report order. One probe per file in this folder.
import type { ProbeDefinition } from '../src/engine/probe.js';
import { cpuProbe } from './cpu.js';
import { diskProbe } from './disk.js';
import { djangoProbe } from './django.js';
import { hostProbe } from './host.js';
import { memoryProbe } from './memory.js';
import { pythonProbe } from './python.js';
import { soakProbe } from './soak.js';
import { stackProbe } from './stack.js';
import { storageProbe } from './storage.js';
import { supervisionProbe } from './supervision.js';
import { streamingProbe } from './streaming.js';

export const ALL_PROBES: readonly ProbeDefinition[] = [
  hostProbe,
  memoryProbe,
  cpuProbe,
  pythonProbe,
  supervisionProbe,
  stackProbe,
  diskProbe,
  streamingProbe,
  djangoProbe,
  storageProbe,
  soakProbe,
];

export const PROBE_IDS: readonly string[] = ALL_PROBES.map((p) => p.id);
