/**
 * /api read routes: scans, figures per CVE with the change since the previous scan, trend, countries,
 * builds, hosts (filtered, sorted, paginated), one host, organisations; live scan progress as
 * server-sent events; starting a scan. All answers are constituency-scoped.
 */
import { isIP } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EdgewatchError } from '../../errors.js';
import { audit } from '../audit.js';
import * as q from '../queries.js';
import { matches, PAGE_PROPS, type PageQuery, pageOf } from '../paging.js';
import { ALL_VISIBLE } from '../visibility.js';
import type { ApiRoute, RouteContext, StartScanRequest } from './index.js';

const SCAN_ID = { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,80}$' } as const;
const CVE = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,40}$' } as const;
const scanParams = { type: 'object', required: ['id'], properties: { id: SCAN_ID } } as const;

function vis(req: FastifyRequest) {
  return req.visibility ?? ALL_VISIBLE;
}

async function requireScan(ctx: RouteContext, id: string) {
  const s = await ctx.store.getScan(id);
  if (!s) throw new EdgewatchError('EW_STORE_SCAN_NOT_FOUND', `no scan with id ${id.slice(0, 80)}`);
  return s;
}

export const hostQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cve: CVE,
    state: { type: 'string', enum: ['vulnerable', 'mitigated', 'patched', 'unknown', 'not_applicable'] },
    compromised: { type: 'boolean' },
    cc: { type: 'string', pattern: '^[A-Za-z]{2}$' },
    org: { type: 'string', maxLength: 200 },
    sector: { type: 'string', maxLength: 100 },
    q: { type: 'string', maxLength: 100 },
    sort: { type: 'string', enum: [...q.HOST_SORTS] },
    desc: { type: 'boolean' },
    page: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 1 },
    per_page: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
  },
} as const;

export type HostQuery = {
  cve?: string;
  state?: string;
  compromised?: boolean;
  cc?: string;
  org?: string;
  sector?: string;
  q?: string;
  sort?: q.HostSort;
  desc?: boolean;
  page: number;
  per_page: number;
};

export function hostFilter(scan: string, h: HostQuery): q.HostFilter {
  return {
    scan,
    cve: h.cve,
    state: h.state,
    compromised: h.compromised,
    cc: h.cc,
    org: h.org,
    sector: h.sector,
    q: h.q,
    sort: h.sort,
    desc: h.desc,
    page: h.page,
    perPage: h.per_page,
  };
}

export function dataRoutes(ctx: RouteContext): ApiRoute[] {
  const db = ctx.store.db;
  return [
    {
      method: 'GET',
      url: '/scans',
      permission: 'read',
      scoped: true,
      summary: 'Scans, newest first (target totals hidden from constituency-scoped users)',
      handler: async (req) => ({ scans: await q.listScans(db, vis(req)) }),
    },
    {
      method: 'GET',
      url: '/scans/:id/figures',
      permission: 'read',
      scoped: true,
      summary: 'Headline figures per CVE, with those of the previous scan for the change',
      schema: { params: scanParams },
      handler: async (req) => {
        const { id } = req.params as { id: string };
        await requireScan(ctx, id);
        const prev = await q.previousScan(db, id);
        const [current, previous] = await q.figuresOf(db, prev ? [id, prev] : [id], vis(req));
        return { current, previous: previous ?? null };
      },
    },
    {
      method: 'GET',
      url: '/scans/:id/countries',
      permission: 'read',
      scoped: true,
      summary: 'Hosts at risk per country for one CVE',
      schema: { params: scanParams, querystring: { type: 'object', properties: { cve: CVE }, additionalProperties: false } },
      handler: async (req) => {
        const { id } = req.params as { id: string };
        await requireScan(ctx, id);
        const cve = (req.query as { cve?: string }).cve ?? 'CVE-2019-19781';
        return { cve, countries: await q.countries(db, id, cve, vis(req)) };
      },
    },
    {
      method: 'GET',
      url: '/scans/:id/versions',
      permission: 'read',
      scoped: true,
      summary: 'Builds in use',
      schema: { params: scanParams },
      handler: async (req) => {
        const { id } = req.params as { id: string };
        await requireScan(ctx, id);
        return { versions: await q.versions(db, id, vis(req)) };
      },
    },
    {
      method: 'GET',
      url: '/scans/:id/hosts',
      permission: 'read',
      scoped: true,
      summary: 'Hosts of a scan with each CVE side by side; filtered, sorted and paginated',
      schema: { params: scanParams, querystring: hostQuery },
      handler: async (req) => {
        const { id } = req.params as { id: string };
        await requireScan(ctx, id);
        const h = req.query as HostQuery;
        const r = await q.hosts(db, hostFilter(id, h), vis(req));
        return { page: h.page, per_page: h.per_page, total: r.total, hosts: r.rows };
      },
    },
    {
      method: 'GET',
      url: '/scans/:id/events',
      permission: 'read',
      scoped: true,
      summary: 'Live progress of a scan (server-sent events; ends when the scan stops)',
      schema: { params: scanParams },
      handler: async (req, reply) => progressStream(ctx, req, reply),
    },
    {
      method: 'POST',
      url: '/scans',
      permission: 'scan',
      scoped: false,
      summary: 'Start a scan (targets are checked against the server scope and exclusions)',
      schema: {
        body: {
          type: 'object',
          required: ['targets'],
          additionalProperties: false,
          properties: {
            targets: { type: 'array', minItems: 1, maxItems: 100_000, items: { type: 'string', minLength: 1, maxLength: 300 } },
            label: { type: 'string', maxLength: 200 },
            ports: { type: 'array', maxItems: 16, items: { type: 'integer', minimum: 1, maximum: 65535 } },
            lab: { type: 'boolean' },
          },
        },
      },
      handler: async (req, reply) => {
        if (!ctx.startScan) return reply.code(501).send({ error: 'not_available', message: 'this server cannot start scans' });
        const body = req.body as StartScanRequest;
        const actor = req.user?.username ?? '-';
        const id = await ctx.startScan(body, actor);
        await audit(db, { actor, action: 'scan_start', target: id, detail: { targets: body.targets.length, label: body.label ?? null }, remote: req.ip });
        return reply.code(202).send({ scan: id });
      },
    },
    {
      method: 'GET',
      url: '/trend',
      permission: 'read',
      scoped: true,
      summary: 'Each classification of one CVE across scans (oldest first)',
      schema: { querystring: { type: 'object', properties: { cve: CVE }, additionalProperties: false } },
      handler: async (req) => {
        const cve = (req.query as { cve?: string }).cve ?? 'CVE-2019-19781';
        return { cve, scans: await q.trend(db, cve, vis(req)) };
      },
    },
    {
      method: 'GET',
      url: '/hosts/:ip',
      permission: 'read',
      scoped: true,
      summary: 'One address: every observation with its evidence, enrichment, attribution, triage runs and their findings',
      schema: { params: { type: 'object', required: ['ip'], properties: { ip: { type: 'string', maxLength: 64 } } } },
      handler: async (req, reply) => {
        const { ip } = req.params as { ip: string };
        if (isIP(ip) === 0) return reply.code(400).send({ error: 'bad_request', message: 'not an IP address' });
        const h = await q.hostDetail(db, ip, vis(req));
        if (!h) return reply.code(404).send({ error: 'not_found', message: 'no such host' });
        return h;
      },
    },
    {
      method: 'GET',
      url: '/organisations',
      permission: 'read',
      scoped: true,
      summary: 'Organisations with their hosts and worst state in a scan',
      schema: {
        querystring: {
          type: 'object',
          properties: {
            scan: SCAN_ID,
            q: { type: 'string', maxLength: 100 },
            sort: { type: 'string', enum: ['worst', 'hosts', 'name', 'sector'] },
            ...PAGE_PROPS,
          },
          additionalProperties: false,
        },
      },
      handler: async (req) => {
        const query = req.query as { scan?: string; q?: string; sort?: 'worst' | 'hosts' | 'name' | 'sector' } & PageQuery;
        if (query.scan !== undefined) await requireScan(ctx, query.scan);
        const all = await q.organisations(db, query.scan, vis(req));
        if (query.page === undefined) return { organisations: all };
        // A page of the list, filtered and sorted on the server (the dashboard's organisations page).
        const rank: Record<string, number> = { compromised: 0, vulnerable: 1, mitigated: 2, ok: 3, none: 4 };
        type Org = (typeof all)[number];
        const byName = (a: Org, b: Org) => a.name.localeCompare(b.name);
        const compare: Record<string, (a: Org, b: Org) => number> = {
          worst: (a, b) => (rank[a.worst] ?? 9) - (rank[b.worst] ?? 9) || b.hosts - a.hosts || byName(a, b),
          hosts: (a, b) => b.hosts - a.hosts || byName(a, b),
          name: byName,
          sector: (a, b) => (a.sector ?? '').localeCompare(b.sector ?? '') || byName(a, b),
        };
        const p = pageOf(
          all.filter((o) => matches(query.q, o.name, o.sector, o.key)),
          query,
          compare[query.sort ?? 'worst'],
        );
        return { total: p.total, page: p.page, per_page: p.per_page, organisations: p.rows };
      },
    },
  ];
}

/** SSE: one `progress` event a second (done/total/state; counts only for unscoped users) until the scan stops. */
async function progressStream(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const { id } = req.params as { id: string };
  await requireScan(ctx, id);
  const unscoped = (req.visibility ?? ALL_VISIBLE).orgKeys === null;
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    'X-Content-Type-Options': 'nosniff',
  });
  let open = true;
  req.raw.on('close', () => {
    open = false;
  });
  const deadline = Date.now() + 6 * 3600_000;
  while (open && Date.now() < deadline) {
    const s = await ctx.store.getScan(id);
    if (!s) break;
    const ev = { scan: id, state: s.state, done: unscoped ? s.done : null, total: unscoped ? s.total : null, at: new Date().toISOString() };
    res.write(`event: progress\ndata: ${JSON.stringify(ev)}\n\n`);
    if (s.state !== 'running') break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  res.end();
}
