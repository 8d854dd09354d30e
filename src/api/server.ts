/**
 * The HTTP API (`/api/…`, OpenAPI at `/docs/json`, browsable at `/docs`) and the dashboard's static
 * files on one port. Owns authentication (bearer API tokens or a session cookie with a per-session
 * CSRF token for state-changing requests), the per-route permission check, security headers, error
 * mapping and login rate limiting. Routes live in routes/ and declare their permission there.
 */
import { existsSync } from 'node:fs';
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { isEdgewatchError } from '../errors.js';
import type { Store } from '../store/types.js';
import { allows, type Permission } from './roles.js';
import { registerRoutes, type RouteContext } from './routes/index.js';
import { Users, type User } from './users.js';
import { visibilityFor, type Visibility } from './visibility.js';

export const SESSION_COOKIE = 'ew_session';

declare module 'fastify' {
  interface FastifyRequest {
    user?: User;
    via?: 'token' | 'session';
    csrf?: string;
    visibility?: Visibility;
  }
  interface FastifyContextConfig {
    /** The permission a route needs; undefined = public (login only). */
    permission?: Permission;
    /** Denied to constituency-scoped users. */
    unscopedOnly?: boolean;
  }
}

export interface ServerOptions {
  store: Store;
  /** Directory of the built dashboard (index.html + assets); omitted = API only. */
  webRoot?: string;
  /** Log requests (pino); secrets are redacted. */
  logger?: boolean;
  /** Where logs go (default stdout). */
  logStream?: NodeJS.WritableStream;
  /** Login attempts per minute per address and user name (default 10). */
  loginPerMinute?: number;
  /**
   * Behind a TLS-terminating reverse proxy: the proxy addresses to trust for X-Forwarded-For/-Proto
   * (fastify `trustProxy`), so the session cookie gets `Secure` and rate limits key on the client's
   * address. Default: trust nothing.
   */
  trustProxy?: string;
  /** Extra context for routes (e.g. how to start a scan). */
  context?: Partial<RouteContext>;
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m?.[1];
}

export async function buildServer(opts: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger
      ? {
          level: 'info',
          redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', 'body.password'],
          ...(opts.logStream ? { stream: opts.logStream } : {}),
        }
      : false,
    bodyLimit: 1024 * 1024,
    trustProxy: opts.trustProxy ?? false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array' } },
  });
  const users = new Users(opts.store.db);

  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, { global: false, hook: 'preHandler' });
  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'edgewatch API',
        version: '1',
        description:
          'Scans, hosts, figures, organisations and exports of an edgewatch store. Every route except login needs a session cookie (with X-CSRF-Token on changes) or `Authorization: Bearer ewt_…`.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('X-Frame-Options', 'DENY');
    if (req.url.startsWith('/api/')) reply.header('Cache-Control', 'no-store');
    else if (!req.url.startsWith('/docs'))
      reply.header(
        'Content-Security-Policy',
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
      );
    return payload;
  });

  // Authentication and authorisation for every /api/ route that declares a permission.
  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    const perm = req.routeOptions.config?.permission;
    if (!req.url.startsWith('/api/') || perm === undefined) return;
    const token = bearer(req);
    if (token !== undefined) {
      req.user = await users.userForToken(token);
      req.via = 'token';
    } else {
      const cookie = req.cookies[SESSION_COOKIE];
      const s = cookie ? await users.session(cookie) : undefined;
      if (s) {
        req.user = s.user;
        req.via = 'session';
        req.csrf = s.csrf;
      }
    }
    if (!req.user) return reply.code(401).send({ error: 'unauthorized', message: 'log in or send a valid bearer token' });
    if (req.via === 'session' && req.method !== 'GET' && req.method !== 'HEAD') {
      const sent = req.headers['x-csrf-token'];
      if (typeof sent !== 'string' || sent !== req.csrf) {
        return reply.code(403).send({ error: 'csrf', message: 'missing or wrong X-CSRF-Token header' });
      }
    }
    if (!allows(req.user.role, perm)) {
      return reply.code(403).send({ error: 'forbidden', message: `your role (${req.user.role}) may not ${perm}` });
    }
    if (req.routeOptions.config?.unscopedOnly && req.user.constituencies.length > 0) {
      return reply.code(403).send({ error: 'forbidden', message: 'not available to users limited to constituencies' });
    }
    req.visibility = await visibilityFor(opts.store.db, req.user);
  });

  app.setErrorHandler((err, req, reply) => {
    if (isEdgewatchError(err)) {
      const status = /NOT_FOUND$/.test(err.code) ? 404 : err.code === 'EW_USER_EXISTS' ? 409 : 400;
      return reply.code(status).send({ error: err.code, message: err.message });
    }
    const e = err as { statusCode?: number; validation?: unknown; message?: string; code?: string };
    if (e.validation) return reply.code(400).send({ error: 'bad_request', message: e.message });
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.code(e.statusCode).send({ error: e.code ?? 'bad_request', message: e.message });
    }
    req.log.error({ err }, 'internal error');
    return reply.code(500).send({ error: 'internal', message: 'internal error' });
  });

  const ctx: RouteContext = { store: opts.store, users, loginPerMinute: opts.loginPerMinute ?? 10, ...opts.context };
  await app.register(async (api) => registerRoutes(api, ctx), { prefix: '/api' });

  if (opts.webRoot && existsSync(opts.webRoot)) {
    await app.register(fastifyStatic, { root: opts.webRoot, prefix: '/', index: ['index.html'] });
    // Client-side routes (#/…) need no fallback; unknown paths under /api stay 404 JSON.
  }
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.slice(0, 200)}` }));
  return app;
}
