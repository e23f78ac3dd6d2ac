// `npm run bench -- --only SECTIONS --update FILE`: re-measure some sections and keep the other figures of
// the run FILE holds, each still dated by the run that measured it, so one file can hold every figure
// without re-running the sections a change did not touch (the dashboard's alone loads PostgreSQL for 5 min).
import type { Figure } from './figures.js';

/** A figure of the file, dated by the run that measured it. */
export interface DatedFigure extends Figure {
  /** ISO time the figure's run started. */
  measuredAt?: string;
}

interface EarlierRun {
  startedAt: string;
  figures: DatedFigure[];
}

/** The JSON block of a file `--write` or `--update` produced, or null when there is none or it does not parse. */
export function earlierRun(document: string): EarlierRun | null {
  const match = /```json\n([\s\S]*?)\n```/.exec(document);
  if (!match?.[1]) return null;
  try {
    const parsed = JSON.parse(match[1]) as { startedAt?: unknown; figures?: unknown };
    if (typeof parsed.startedAt !== 'string' || !Array.isArray(parsed.figures)) return null;
    return { startedAt: parsed.startedAt, figures: parsed.figures as DatedFigure[] };
  } catch {
    return null;
  }
}

/**
 * This run's figures in place of the earlier ones with the same id; the earlier figures this run did not
 * measure stay where they were, with the time of their own run. New figures go where their section put them.
 */
export function mergeFigures(earlier: EarlierRun | null, fresh: readonly Figure[], startedAt: string): DatedFigure[] {
  const dated: DatedFigure[] = fresh.map((f) => ({ ...f, measuredAt: startedAt }));
  if (!earlier) return dated;
  const freshById = new Map(dated.map((f) => [f.id, f]));
  const merged: DatedFigure[] = earlier.figures.map((f) => freshById.get(f.id) ?? { ...f, measuredAt: f.measuredAt ?? earlier.startedAt });
  const placed = new Set(merged.map((f) => f.id));
  for (const f of dated) if (!placed.has(f.id)) merged.push(f);
  return merged;
}
