/**
 * The API's route table: every route with its method, URL, the permission it needs and whether its
 * answers are constituency-scoped. registerRoutes() mounts them under /api; the authorisation
 * matrix test enumerates the same table, so a route cannot be added without being tested.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { Store } from '../../store/types.js';
import type { Permission } from '../roles.js';
import type { Users } from '../users.js';
import { adminRoutes } from './admin.js';
import { authRoutes } from './auth.js';
import { caseRoutes } from './cases.js';
import { dataRoutes } from './data.js';
import { exportRoutes } from './export.js';
import { reportRoutes } from './reports.js';

export interface StartScanRequest {
  targets: string[];
  label?: string;
  ports?: number[];
  lab?: boolean;
}

export interface RouteContext {
  store: Store;
  users: Users;
  loginPerMinute: number;
  /** The config's `notify:` section (templates, intervals) for planning from the API. */
  notify?: Record<string, unknown>;
  /** Starts a scan in the background; returns its id. Absent = POST /api/scans answers 501. */
  startScan?: (req: StartScanRequest, actor: string) => Promise<string>;
}

export interface ApiRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Relative to /api. */
  url: string;
  /** undefined = public (login). */
  permission?: Permission;
  /** Answers depend on the user's constituencies. */
  scoped: boolean;
  /** Denied (403) to constituency-scoped users: its effect or answer spans every constituency. */
  unscopedOnly?: boolean;
  summary: string;
  schema?: FastifySchema;
  rateLimit?: { max: number; timeWindow: number; keyGenerator?: (req: FastifyRequest) => string };
  handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

export function apiRoutes(ctx: RouteContext): ApiRoute[] {
  return [...authRoutes(ctx), ...dataRoutes(ctx), ...caseRoutes(ctx), ...exportRoutes(ctx), ...reportRoutes(ctx), ...adminRoutes(ctx)];
}

export async function registerRoutes(api: FastifyInstance, ctx: RouteContext): Promise<void> {
  for (const r of apiRoutes(ctx)) {
    api.route({
      method: r.method,
      url: r.url,
      schema: { summary: r.summary, ...(r.schema ?? {}), ...(r.permission === undefined ? { security: [] } : {}) },
      config: { permission: r.permission, unscopedOnly: r.unscopedOnly === true, ...(r.rateLimit ? { rateLimit: r.rateLimit } : {}) },
      handler: r.handler,
    });
  }
}
