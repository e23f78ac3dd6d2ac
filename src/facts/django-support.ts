// Which Django release series run on which Python: the one place this table is kept.
// Source: Django's FAQ, "What Python version can I use with Django?"
// (https://docs.djangoproject.com/en/dev/faq/install/#what-python-version-can-i-use-with-django),
// cross-checked with https://endoflife.date/django. Python versions added in a point release count as
// supported by the series (e.g. 3.10 was added in Django 3.2.9).

export interface DjangoSeries {
  series: string;
  /** Python minor versions ("3.10") the series supports. */
  python: readonly string[];
  lts: boolean;
}

export const DJANGO_SUPPORT_SOURCE = 'https://docs.djangoproject.com/en/dev/faq/install/#what-python-version-can-i-use-with-django';

/** Oldest first. */
export const DJANGO_PYTHON_SUPPORT: readonly DjangoSeries[] = [
  { series: '1.11', python: ['2.7', '3.4', '3.5', '3.6', '3.7'], lts: true },
  { series: '2.0', python: ['3.4', '3.5', '3.6', '3.7'], lts: false },
  { series: '2.1', python: ['3.5', '3.6', '3.7'], lts: false },
  { series: '2.2', python: ['3.5', '3.6', '3.7', '3.8', '3.9'], lts: true },
  { series: '3.0', python: ['3.6', '3.7', '3.8', '3.9'], lts: false },
  { series: '3.1', python: ['3.6', '3.7', '3.8', '3.9'], lts: false },
  { series: '3.2', python: ['3.6', '3.7', '3.8', '3.9', '3.10'], lts: true },
  { series: '4.0', python: ['3.8', '3.9', '3.10'], lts: false },
  { series: '4.1', python: ['3.8', '3.9', '3.10', '3.11'], lts: false },
  { series: '4.2', python: ['3.8', '3.9', '3.10', '3.11', '3.12'], lts: true },
  { series: '5.0', python: ['3.10', '3.11', '3.12'], lts: false },
  { series: '5.1', python: ['3.10', '3.11', '3.12', '3.13'], lts: false },
  { series: '5.2', python: ['3.10', '3.11', '3.12', '3.13', '3.14'], lts: true },
  { series: '6.0', python: ['3.12', '3.13', '3.14'], lts: false },
];

/**
 * The newest long-term-support series in the table: interpreters that run it rank first when the probes pick
 * the best Python (probes/python.ts and the POSIX-sh probe's helper).
 */
export const CURRENT_DJANGO_LTS: string = newestLts();

function newestLts(): string {
  const lts = DJANGO_PYTHON_SUPPORT.filter((d) => d.lts);
  const newest = lts[lts.length - 1];
  if (!newest) throw new Error('the Django support table names no long-term-support series');
  return newest.series;
}

/** "3.11.2" -> "3.11"; null when the text is not a version. */
export function pythonMinor(version: string): string | null {
  const match = /^(\d+)\.(\d+)/.exec(version.trim());
  return match ? `${match[1]}.${match[2]}` : null;
}

/** Compares dotted version strings numerically: "3.10" > "3.9". */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((part) => parseInt(part, 10));
  const pb = b.split(/[.+-]/).map((part) => parseInt(part, 10));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    const nx = x === undefined || Number.isNaN(x) ? 0 : x;
    const ny = y === undefined || Number.isNaN(y) ? 0 : y;
    if (nx !== ny) return nx < ny ? -1 : 1;
  }
  return 0;
}

export interface MaxDjango {
  series: string | null;
  /** Newest long-term-support series for this Python. */
  lts: string | null;
  reason: string | null;
}

/** The newest Django series that supports this Python version, with the reason when there is none. */
export function maxDjangoFor(pythonVersion: string): MaxDjango {
  const minor = pythonMinor(pythonVersion);
  if (minor === null) return { series: null, lts: null, reason: `"${pythonVersion}" is not a Python version` };
  const supporting = DJANGO_PYTHON_SUPPORT.filter((d) => d.python.includes(minor));
  const newest = supporting[supporting.length - 1];
  if (newest) {
    const lts = [...supporting].reverse().find((d) => d.lts);
    return { series: newest.series, lts: lts?.series ?? null, reason: null };
  }
  const known = DJANGO_PYTHON_SUPPORT.flatMap((d) => d.python);
  const newestKnown = known.reduce((a, b) => (compareVersions(a, b) >= 0 ? a : b));
  if (compareVersions(minor, newestKnown) > 0) {
    return { series: null, lts: null, reason: `Python ${minor} is newer than every Django release in edgeprobe's support table (up to Django ${DJANGO_PYTHON_SUPPORT[DJANGO_PYTHON_SUPPORT.length - 1]?.series ?? '?'}); update edgeprobe` };
  }
  return { series: null, lts: null, reason: `no Django release supports Python ${minor}` };
}
