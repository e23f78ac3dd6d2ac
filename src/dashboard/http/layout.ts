// The pages' frame and the small pieces every page draws: times, verdict and check badges, measured values.

import { VERSION } from '../../platform/version.js';
import { formatMetric } from '../../report/display.js';
import { type MetricValue, type Report, unmeasuredReason } from '../../report/types.js';
import type { Dashboard, VerdictSummary } from '../service.js';
import type { CheckView } from '../verdicts.js';
import { type Html, html } from './html.js';
import type { RouteResult } from './route.js';

export const HTML_TYPE = 'text/html; charset=utf-8';

export function page(dashboard: Dashboard, title: string, body: Html, options: { status?: number; signedIn?: boolean } = {}): RouteResult {
  const signOut = options.signedIn ? html`<form method="post" action="/logout" class="signout"><button type="submit">Sign out</button></form>` : '';
  const doc = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · edgeprobe</title>
<link rel="stylesheet" href="/assets/app.css">
<link rel="stylesheet" href="/assets/views.css">
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<script src="/assets/app.js" defer></script>
</head>
<body>
<header class="top"><a class="brand" href="/">edgeprobe</a><nav><a href="/">Devices</a><a href="/compare">Compare</a></nav>${signOut}</header>
<main>
${body}
</main>
<footer>edgeprobe ${VERSION} · ${dashboard.store.kind} storage · keeps the last ${dashboard.settings.keepPerDevice} reports per device</footer>
</body>
</html>
`;
  return { status: options.status ?? 200, contentType: HTML_TYPE, body: doc.value };
}

export function renderErrorPage(status: number, message: string): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${status} · edgeprobe</title><link rel="stylesheet" href="/assets/app.css"><link rel="stylesheet" href="/assets/views.css"></head>
<body><header class="top"><a class="brand" href="/">edgeprobe</a><nav><a href="/">Devices</a><a href="/compare">Compare</a></nav></header>
<main><h1>${status === 404 ? 'Not found' : 'Cannot show this page'}</h1><p class="error">${message}</p><p><a href="/">Back to the devices</a></p></main></body></html>
`.value;
}

export function when(iso: string): Html {
  const shown = `${iso.slice(0, 16).replace('T', ' ')} UTC`;
  return html`<time datetime="${iso}" title="${iso}">${shown}</time>`;
}

export function verdictClass(verdict: string): string {
  return `v-${verdict.replace(/[^a-z-]/g, '')}`;
}

export function verdictBadge(v: VerdictSummary, href?: string): Html {
  const unknowns = v.headline.slice(v.verdict.length);
  const label = html`<span class="badge ${verdictClass(v.verdict)}" title="${v.title}: ${v.headline}"><span class="profile">${v.profile}</span> ${v.verdict}${unknowns ? html`<span class="unknowns">${unknowns}</span>` : ''}</span>`;
  return href ? html`<a class="badge-link" href="${href}">${label}</a>` : label;
}

export function checkBadge(status: CheckView['status']): Html {
  return html`<span class="badge c-${status}">${status}</span>`;
}

export function showValue(id: string, value: MetricValue | undefined, report?: Report, inlineReason = false): Html {
  if (value === undefined || value === null) {
    const reason = report ? unmeasuredReason(report, id) : null;
    return html`<span class="unknown" title="${reason ?? 'not measured'}">unknown</span>${inlineReason && reason ? html`<div class="muted">${reason}</div>` : ''}`;
  }
  return html`${formatMetric(id, value)}`;
}

/** A metric id that may wrap after its dots and underscores (and nowhere else) on narrow screens. */
export function metricName(id: string): Html {
  return html`<code class="metric">${id.split(/(?<=[._])/).map((part, i) => (i === 0 ? part : html`<wbr>${part}`))}</code>`;
}

const STATUS_WORDS = /^(pass|warn|fail|unknown|viable-with-warnings|viable|not-viable|not judged|allowed \([a-z]+\))(?:(?:: |, )(.*))?$/;

/** A compare cell such as "fail: 427 MiB", "viable" or "viable, 4 checks unknown": the status as a badge, the rest as text. */
export function statusCell(cell: string): Html {
  const match = STATUS_WORDS.exec(cell);
  if (!match) return cell === 'unknown' ? html`<span class="unknown">unknown</span>` : html`${cell}`;
  const word = match[1] ?? '';
  const status = word.startsWith('allowed') ? 'allowed' : word.replace(' ', '-');
  const cls = ['pass', 'warn', 'fail', 'unknown'].includes(status) ? `c-${status}` : verdictClass(status);
  return html`<span class="badge ${cls}">${word}</span>${match[2] ? html` <span class="actual">${match[2]}</span>` : ''}`;
}
