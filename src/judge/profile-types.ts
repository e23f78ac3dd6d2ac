// The shapes of a deployment profile: as written in targets/profiles/*.json (Raw*) and once loaded.
import type { DatedFactName } from './dated-facts.js';

export const OPERATORS = ['>=', '<=', '==', 'in', 'version>='] as const;
export type Operator = (typeof OPERATORS)[number];
export type ScalarThreshold = number | string | boolean;
export type Threshold = ScalarThreshold | ScalarThreshold[];

export interface ProfileCheck {
  id: string;
  title: string;
  metric: string;
  operator: Operator;
  /** The metric must satisfy `actual OP warn`, else the check warns. */
  warn?: Threshold;
  /** The metric must satisfy `actual OP fail`, else the check fails. */
  fail?: Threshold;
  /** Thresholds named as dated facts, resolved on the report's date (src/judge/dated-facts.ts). */
  dated?: { warn?: DatedFactName; fail?: DatedFactName };
  message: string;
  advice: string;
  sources: string[];
  /** Profile file the check (or its last override) comes from. */
  definedIn: string;
}

export interface ServiceReservation {
  name: string;
  bytes: number;
  presentWhen?: string;
  source: string;
}

export interface CapacityParams {
  server: 'asgi' | 'wsgi';
  workerBytes: number;
  workerMemorySource: string;
  osBaselineBytes: number;
  osBaselineSource: string;
  headroomFraction: number;
  workersPerCpu: number;
  extraWorkers: number;
  workersSource: string;
  services: ServiceReservation[];
  connectionBytes: number;
  connectionMemorySource: string;
  messagesPerClientPerSecond: number;
  minClients: number;
  cpuUtilisationTarget: number;
  channelsToPythonRatio: number;
  channelsToPythonRatioSource: string;
  channelLayer: 'memory' | 'redis';
  latencyTargetMs: number;
  latencyTargetSource: string;
}

export interface Profile {
  name: string;
  title: string;
  description: string;
  /** Where it was read from: "targets/profiles/NAME.json" for built-ins, an absolute path otherwise. */
  file: string;
  builtIn: boolean;
  /** Names along the extends chain, this profile first. */
  chain: string[];
  assumes: string[];
  checks: ProfileCheck[];
  capacity: CapacityParams;
}

/** A threshold as written: a value, or `{ "fact": NAME }` for a dated fact. */
export type RawThreshold = Threshold | { fact: string };

export interface RawCheck {
  id: string;
  title?: string;
  metric?: string;
  operator?: string;
  warn?: RawThreshold;
  fail?: RawThreshold;
  message?: string;
  advice?: string;
  sources?: string[];
}

export interface RawService {
  name: string;
  memory: number | string;
  presentWhen?: string;
  source: string;
}

export interface RawCapacity {
  server?: 'asgi' | 'wsgi';
  workerMemory?: number | string;
  workerMemorySource?: string;
  osBaseline?: number | string;
  osBaselineSource?: string;
  headroomFraction?: number;
  workersPerCpu?: number;
  extraWorkers?: number;
  workersSource?: string;
  services?: RawService[];
  connectionMemory?: number | string;
  connectionMemorySource?: string;
  messagesPerClientPerSecond?: number;
  minClients?: number;
  cpuUtilisationTarget?: number;
  channelsToPythonRatio?: number;
  channelsToPythonRatioSource?: string;
  channelLayer?: 'memory' | 'redis';
  latencyTargetMs?: number;
  latencyTargetSource?: string;
}

export interface RawProfile {
  name: string;
  title: string;
  description: string;
  extends?: string;
  assumes?: string[];
  remove?: string[];
  capacity?: RawCapacity;
  checks?: RawCheck[];
}

export interface Located {
  raw: RawProfile;
  file: string;
  builtIn: boolean;
  dir: string | null;
}

export interface MergedCheck {
  raw: RawCheck;
  file: string;
  index: number;
}
