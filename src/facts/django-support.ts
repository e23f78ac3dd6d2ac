// Django's release series: which Python each runs on, when it came out and until when it gets security fixes.
// The one place this table is kept; the agent, the POSIX-sh probe (given it at build time) and the judge read it.
// Sources, checked on DJANGO_SUPPORT_TABLE.checked:
// - Python versions: Django's FAQ, "What Python version can I use with Django?", and each series' release
//   notes (6.1: Python 3.12, 3.13 and 3.14). Versions added in a point release count for the series
//   (3.10 was added in Django 3.2.9, 3.14 in 5.2.8).
// - Release and end-of-support months: Django's download page, "Supported versions", and its release
//   roadmap (6.0 until April 2027, 5.2 LTS until April 2028, 6.1 until December 2027), cross-checked with
//   endoflife.date/django. Django gives months; a series counts as unsupported from the first day of the
//   month its extended (security) support ends.
// test/django-support.test.ts fails when the table is more than a year old, or its newest release is.

export interface DjangoSeries {
  series: string;
  /** Python minor versions ("3.10") the series supports. */
  python: readonly string[];
  lts: boolean;
  /** Month of the x.y.0 release, "YYYY-MM". */
  released: string;
  /** Month in which security fixes end (end of extended support), "YYYY-MM". */
  securityEnds: string;
}

export const DJANGO_SUPPORT_SOURCE = 'https://docs.djangoproject.com/en/dev/faq/install/#what-python-version-can-i-use-with-django';

/** Where the dates come from, and the day the whole table was last checked against them. */
export const DJANGO_SUPPORT_TABLE = {
  checked: '2026-11-30',
  sources: [
    'Django download page, supported versions (https://www.djangoproject.com/download/#supported-versions), and its release roadmap',
    DJANGO_SUPPORT_SOURCE,
    'https://endoflife.date/django',
  ],
} as const;

/** Oldest first. */
export const DJANGO_PYTHON_SUPPORT: readonly DjangoSeries[] = [
  { series: '1.11', python: ['2.7', '3.4', '3.5', '3.6', '3.7'], lts: true, released: '2017-04', securityEnds: '2020-04' },
  { series: '2.0', python: ['3.4', '3.5', '3.6', '3.7'], lts: false, released: '2017-12', securityEnds: '2019-04' },
  { series: '2.1', python: ['3.5', '3.6', '3.7'], lts: false, released: '2018-08', securityEnds: '2019-12' },
  { series: '2.2', python: ['3.5', '3.6', '3.7', '3.8', '3.9'], lts: true, released: '2019-04', securityEnds: '2022-04' },
  { series: '3.0', python: ['3.6', '3.7', '3.8', '3.9'], lts: false, released: '2019-12', securityEnds: '2021-04' },
  { series: '3.1', python: ['3.6', '3.7', '3.8', '3.9'], lts: false, released: '2020-08', securityEnds: '2021-12' },
  { series: '3.2', python: ['3.6', '3.7', '3.8', '3.9', '3.10'], lts: true, released: '2021-04', securityEnds: '2024-04' },
  { series: '4.0', python: ['3.8', '3.9', '3.10'], lts: false, released: '2021-12', securityEnds: '2023-04' },
  { series: '4.1', python: ['3.8', '3.9', '3.10', '3.11'], lts: false, released: '2022-08', securityEnds: '2023-12' },
  { series: '4.2', python: ['3.8', '3.9', '3.10', '3.11', '3.12'], lts: true, released: '2023-04', securityEnds: '2026-04' },
  { series: '5.0', python: ['3.10', '3.11', '3.12'], lts: false, released: '2023-12', securityEnds: '2025-04' },
  { series: '5.1', python: ['3.10', '3.11', '3.12', '3.13'], lts: false, released: '2024-08', securityEnds: '2025-12' },
  { series: '5.2', python: ['3.10', '3.11', '3.12', '3.13', '3.14'], lts: true, released: '2025-04', securityEnds: '2028-04' },
  { series: '6.0', python: ['3.12', '3.13', '3.14'], lts: false, released: '2025-12', securityEnds: '2027-04' },
  { series: '6.1', python: ['3.12', '3.13', '3.14'], lts: false, released: '2026-08', securityEnds: '2027-12' },
];

/** "YYYY-MM" or an ISO date/time -> "YYYY-MM"; null when it is neither. */
function monthOf(date: string): string | null {
  const match = /^(\d{4})-(\d{2})/.exec(date);
  return match ? `${match[1]}-${match[2]}` : null;
}

/** Series released by `date` and not yet out of security support, oldest first. */
export function supportedSeriesOn(date: string): DjangoSeries[] {
  const month = monthOf(date);
  if (month === null) return [];
  return DJANGO_PYTHON_SUPPORT.filter((d) => d.released <= month && month < d.securityEnds);
}

/** The oldest series still getting security fixes on `date` (an ISO date); null when the table lists none. */
export function oldestSupportedSeries(date: string): string | null {
  return supportedSeriesOn(date)[0]?.series ?? null;
}

/** The newest long-term-support series released by `date` and still supported; null when the table lists none. */
export function newestLtsSeries(date: string): string | null {
  return [...supportedSeriesOn(date)].reverse().find((d) => d.lts)?.series ?? null;
}

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
    return {
      series: null,
      lts: null,
      reason: `Python ${minor} is newer than every Django release in edgeprobe's support table (up to Django ${DJANGO_PYTHON_SUPPORT[DJANGO_PYTHON_SUPPORT.length - 1]?.series ?? '?'}); update edgeprobe`,
    };
  }
  return { series: null, lts: null, reason: `no Django release supports Python ${minor}` };
}
