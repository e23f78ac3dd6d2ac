// Signing in to the pages with a read token (kept in an HttpOnly, SameSite=Strict cookie; Secure over
// HTTPS) and signing out. After sign-in the browser goes back where it was, but only to a path here.

import { type Dashboard, tooManyFailures } from '../service.js';
import { allows, SESSION_COOKIE, verifyToken } from './auth.js';
import { html } from './html.js';
import { page } from './layout.js';
import { safeNext } from './origin.js';
import type { Route, RouteResult } from './route.js';

const SESSION_SECONDS = 30 * 24 * 3600;

function loginPage(dashboard: Dashboard, next: string, message: string | null, status = 200): RouteResult {
  return page(
    dashboard,
    'Sign in',
    html`<h1>Sign in</h1>
<p>This dashboard needs a token with the <code>read</code> scope. Create one on the server with <code>edgeprobe serve token create --scope read</code>.</p>
${message ? html`<p class="error">${message}</p>` : ''}
<form method="post" action="/login" class="login"><input type="hidden" name="next" value="${next}">
<label>Token <input type="password" name="token" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form>`,
    { status },
  );
}

/** The session cookie; `Secure` whenever the browser reached us over HTTPS, so it never travels in clear. */
export function sessionCookie(value: string, maxAge: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}

export const LOGIN_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/login',
    scope: null,
    kind: 'page',
    summary: 'sign-in form (token)',
    handler: async ({ dashboard, url, origin }) => loginPage(dashboard, safeNext(url.searchParams.get('next'), origin), null),
  },
  {
    method: 'POST',
    path: '/login',
    scope: null,
    kind: 'page',
    summary: 'sign in: sets an HttpOnly, SameSite=Strict session cookie holding the token (Secure over HTTPS)',
    handler: async (ctx) => {
      const form = new URLSearchParams(await ctx.body(['application/x-www-form-urlencoded']));
      const next = safeNext(form.get('next'), ctx.origin);
      const wait = ctx.dashboard.authLimiter.retryAfter(ctx.clientAddress);
      if (wait > 0) throw tooManyFailures(wait);
      const token = await verifyToken(ctx.dashboard.store, form.get('token') ?? '');
      if (!token) ctx.dashboard.authLimiter.fail(ctx.clientAddress);
      if (!token) return loginPage(ctx.dashboard, next, 'That token is unknown, revoked or mistyped.', 401);
      if (!allows(token.scopes, 'read'))
        return loginPage(ctx.dashboard, next, `The token "${token.name}" cannot read (scopes: ${token.scopes.join(', ')}).`, 403);
      const cookie = sessionCookie(encodeURIComponent(form.get('token') ?? ''), SESSION_SECONDS, ctx.secure);
      return { status: 303, contentType: 'text/plain; charset=utf-8', body: 'signed in\n', headers: { location: next, 'set-cookie': cookie } };
    },
  },
  {
    method: 'POST',
    path: '/logout',
    scope: null,
    kind: 'page',
    summary: 'sign out: clears the session cookie',
    handler: async ({ secure }) => ({
      status: 303,
      contentType: 'text/plain; charset=utf-8',
      body: 'signed out\n',
      headers: { location: '/login', 'set-cookie': sessionCookie('', 0, secure) },
    }),
  },
];
