/**
 * /api admin routes: users (create, list, change role/scope/disable), API tokens, the audit log.
 * Every change is audited; passwords and token secrets never appear in answers or logs.
 */
import { audit, listAudit } from '../audit.js';
import { ROLES, type Role } from '../roles.js';
import type { ApiRoute, RouteContext } from './index.js';

const userBody = {
  type: 'object',
  required: ['username', 'password', 'role'],
  additionalProperties: false,
  properties: {
    username: { type: 'string', maxLength: 64 },
    password: { type: 'string', maxLength: 1024 },
    role: { type: 'string', enum: [...ROLES] },
    constituencies: { type: 'array', maxItems: 100, items: { type: 'string', maxLength: 64 } },
  },
} as const;

export function adminRoutes(ctx: RouteContext): ApiRoute[] {
  const db = ctx.store.db;
  const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const;
  return [
    {
      method: 'GET',
      url: '/users',
      permission: 'users',
      scoped: false,
      summary: 'List users',
      handler: async () => ({ users: await ctx.users.list() }),
    },
    {
      method: 'POST',
      url: '/users',
      permission: 'users',
      scoped: false,
      summary: 'Create a user',
      schema: { body: userBody },
      handler: async (req, reply) => {
        const b = req.body as { username: string; password: string; role: Role; constituencies?: string[] };
        const u = await ctx.users.create(b);
        await audit(db, {
          actor: req.user?.username ?? '-',
          action: 'user_create',
          target: u.username,
          detail: { role: u.role, constituencies: u.constituencies },
          remote: req.ip,
        });
        return reply.code(201).send({ user: u });
      },
    },
    {
      method: 'PATCH',
      url: '/users/:id',
      permission: 'users',
      scoped: false,
      summary: 'Change a user’s role, constituencies, password or disabled flag',
      schema: {
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            role: { type: 'string', enum: [...ROLES] },
            constituencies: { type: 'array', maxItems: 100, items: { type: 'string', maxLength: 64 } },
            disabled: { type: 'boolean' },
            password: { type: 'string', maxLength: 1024 },
          },
        },
      },
      handler: async (req) => {
        const { id } = req.params as { id: number };
        const patch = req.body as { role?: Role; constituencies?: string[]; disabled?: boolean; password?: string };
        const u = await ctx.users.update(id, patch);
        await audit(db, {
          actor: req.user?.username ?? '-',
          action: 'user_update',
          target: u.username,
          detail: { ...patch, password: patch.password === undefined ? undefined : '(changed)' },
          remote: req.ip,
        });
        return { user: u };
      },
    },
    {
      method: 'GET',
      url: '/tokens',
      permission: 'users',
      scoped: false,
      summary: 'List API tokens (never their secrets)',
      handler: async () => ({ tokens: await ctx.users.listTokens() }),
    },
    {
      method: 'DELETE',
      url: '/tokens/:id',
      permission: 'users',
      scoped: false,
      summary: 'Revoke an API token',
      schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9a-f]{12}$' } } } },
      handler: async (req, reply) => {
        const { id } = req.params as { id: string };
        const ok = await ctx.users.revokeToken(id);
        if (!ok) return reply.code(404).send({ error: 'not_found', message: 'no such active token' });
        await audit(db, { actor: req.user?.username ?? '-', action: 'token_revoke', target: id, remote: req.ip });
        return { ok: true };
      },
    },
    {
      method: 'GET',
      url: '/audit',
      permission: 'audit',
      scoped: false,
      summary: 'The audit log, newest first',
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, before: { type: 'integer', minimum: 1 } },
        },
      },
      handler: async (req) => {
        const { limit, before } = req.query as { limit: number; before?: number };
        return { entries: await listAudit(db, { limit, before }) };
      },
    },
  ];
}
