/**
 * /api/auth: log in (rate-limited per address and user name, and failed logins per address over
 * all user names; sets an HttpOnly, SameSite=Strict
 * session cookie and returns the session's CSRF token), log out, who am I, and personal API tokens.
 */
import { audit } from '../audit.js';
import { LoginGuard } from '../login-guard.js';
import { SESSION_COOKIE } from '../server.js';
import type { ApiRoute, RouteContext } from './index.js';

const loginBody = {
  type: 'object',
  required: ['username', 'password'],
  additionalProperties: false,
  properties: { username: { type: 'string', maxLength: 64 }, password: { type: 'string', maxLength: 1024 } },
} as const;

export function publicUser(u: { username: string; role: string; constituencies: string[] }) {
  return { username: u.username, role: u.role, constituencies: u.constituencies };
}

export function authRoutes(ctx: RouteContext): ApiRoute[] {
  // One address may fail at most 3× the per-user-name limit per minute, whatever names it tries.
  const guard = new LoginGuard(ctx.loginPerMinute * 3);
  return [
    {
      method: 'POST',
      url: '/auth/login',
      scoped: false,
      summary: 'Log in with a user name and password; sets the session cookie and returns the CSRF token',
      schema: { body: loginBody },
      rateLimit: {
        max: ctx.loginPerMinute,
        timeWindow: 60_000,
        keyGenerator: (req) => `${req.ip}|${String((req.body as { username?: unknown } | undefined)?.username ?? '').slice(0, 64)}`,
      },
      handler: async (req, reply) => {
        const { username, password } = req.body as { username: string; password: string };
        if (guard.blocked(req.ip)) {
          await audit(ctx.store.db, { actor: username.slice(0, 64) || '-', action: 'login_blocked', remote: req.ip });
          return reply.code(429).send({ error: 'too_many_requests', message: 'too many failed logins from this address; try again in a minute' });
        }
        const user = await ctx.users.authenticate(username, password);
        if (!user) {
          guard.failed(req.ip);
          await audit(ctx.store.db, { actor: username.slice(0, 64) || '-', action: 'login_failed', remote: req.ip });
          return reply.code(401).send({ error: 'unauthorized', message: 'wrong user name or password' });
        }
        const s = await ctx.users.createSession(user.id);
        reply.setCookie(SESSION_COOKIE, s.cookie, {
          httpOnly: true,
          sameSite: 'strict',
          secure: 'auto',
          path: '/',
          expires: s.expires,
        });
        await audit(ctx.store.db, { actor: user.username, action: 'login', remote: req.ip });
        return { user: publicUser(user), csrf: s.csrf };
      },
    },
    {
      method: 'POST',
      url: '/auth/logout',
      permission: 'read',
      scoped: false,
      summary: 'End the session',
      handler: async (req, reply) => {
        const cookie = req.cookies[SESSION_COOKIE];
        if (cookie) await ctx.users.endSession(cookie);
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        await audit(ctx.store.db, { actor: req.user?.username ?? '-', action: 'logout', remote: req.ip });
        return { ok: true };
      },
    },
    {
      method: 'GET',
      url: '/auth/me',
      permission: 'read',
      scoped: false,
      summary: 'The logged-in user (and the CSRF token of a cookie session)',
      handler: async (req) => ({ user: req.user ? publicUser(req.user) : null, csrf: req.via === 'session' ? req.csrf : undefined }),
    },
    {
      method: 'POST',
      url: '/auth/tokens',
      permission: 'read',
      scoped: false,
      summary: 'Create a personal API token (shown once)',
      schema: {
        body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 100 } } },
      },
      handler: async (req) => {
        const user = req.user as NonNullable<typeof req.user>;
        const t = await ctx.users.createToken(user.id, (req.body as { name: string }).name);
        await audit(ctx.store.db, { actor: user.username, action: 'token_create', target: t.id, remote: req.ip });
        return t;
      },
    },
  ];
}
