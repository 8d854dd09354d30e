/**
 * /api/export: every dashboard table as CSV (formula-injection safe) or JSON, streamed page by page,
 * constituency-scoped, and written to the audit log (who exported what, with which filters): hosts,
 * organisations, scans, cases, countries, builds, the trend, and one host's timeline.
 */
import { isIP } from 'node:net';
import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { stringify } from 'csv-stringify/sync';
import { EdgewatchError } from '../../errors.js';
import { csvSafe } from '../../report/output.js';
import { CASE_STATES, type CaseState } from '../../cases/types.js';
import { audit } from '../audit.js';
import { listCases } from '../case-queries.js';
import * as q from '../queries.js';
import { ALL_VISIBLE } from '../visibility.js';
import { type HostQuery, hostFilter, hostQuery } from './data.js';
import type { ApiRoute, RouteContext } from './index.js';

const FORMAT = { type: 'string', enum: ['csv', 'json'], default: 'csv' } as const;
const PAGE = 1000;

function csvLine(values: unknown[]): string {
  return stringify([values.map((v) => (v === null || v === undefined ? '' : csvSafe(String(v))))]);
}

/** A JSON array or CSV table streamed from an async row source. */
function tableStream(format: 'csv' | 'json', columns: string[], rows: AsyncIterable<Record<string, unknown>>): Readable {
  return Readable.from(
    (async function* () {
      if (format === 'csv') yield csvLine(columns);
      else yield '[';
      let first = true;
      for await (const r of rows) {
        if (format === 'csv') yield csvLine(columns.map((c) => r[c]));
        else {
          yield `${first ? '' : ','}\n${JSON.stringify(r)}`;
          first = false;
        }
      }
      if (format === 'json') yield '\n]\n';
    })(),
  );
}

function attachment(name: string, format: string) {
  return {
    'Content-Type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
    'Content-Disposition': `attachment; filename="${name}.${format}"`,
  };
}

/** Rows held in memory (small tables) as an async source. */
async function* each<T>(rows: readonly T[]): AsyncGenerator<Record<string, unknown>> {
  for (const r of rows) yield r as unknown as Record<string, unknown>;
}

/** `CVE-A=vulnerable CVE-B=patched` for a CSV cell. */
function cveCell(m: unknown): string {
  return Object.entries((m as Record<string, string> | null) ?? {})
    .map(([k, st]) => `${k}=${st}`)
    .join(' ');
}

const SCAN_ID = { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,80}$' } as const;
const CVE = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,40}$' } as const;

async function exported(ctx: RouteContext, req: FastifyRequest, what: string, detail: Record<string, unknown>) {
  await audit(ctx.store.db, { actor: req.user?.username ?? '-', action: 'export', target: what, detail, remote: req.ip });
}

export function exportRoutes(ctx: RouteContext): ApiRoute[] {
  const db = ctx.store.db;
  const hostCols = ['ip', 'port', 'host', 'status', 'reason', 'product', 'version', 'compromised', 'cc', 'asn', 'org_key', 'org_name', 'sector', 'cve'];
  return [
    {
      method: 'GET',
      url: '/export/hosts',
      permission: 'export',
      scoped: true,
      summary: 'Export the hosts of a scan (same filters as the hosts table) as CSV or JSON',
      schema: {
        querystring: {
          ...hostQuery,
          required: ['scan'],
          properties: { ...hostQuery.properties, scan: { type: 'string', maxLength: 80 }, format: FORMAT },
        },
      },
      handler: async (req, reply) => {
        const query = req.query as HostQuery & { scan: string; format: 'csv' | 'json' };
        if (!(await ctx.store.getScan(query.scan))) throw new EdgewatchError('EW_STORE_SCAN_NOT_FOUND', 'no such scan');
        const v = req.visibility ?? ALL_VISIBLE;
        const base = hostFilter(query.scan, { ...query, page: 1, per_page: PAGE });
        await exported(ctx, req, `hosts of ${query.scan}`, { format: query.format, filters: { ...base, page: undefined, perPage: undefined } });
        async function* rows(): AsyncGenerator<Record<string, unknown>> {
          for (let page = 1; page <= 100_000; page++) {
            const r = await q.hosts(db, { ...base, page }, v);
            for (const h of r.rows as unknown as Array<Record<string, unknown> & { cve: Record<string, string> }>) {
              yield query.format === 'csv'
                ? {
                    ...h,
                    cve: Object.entries(h.cve)
                      .map(([k, s]) => `${k}=${s}`)
                      .join(' '),
                  }
                : h;
            }
            if (r.rows.length < PAGE) return;
          }
        }
        reply.headers(attachment(`hosts-${query.scan}`, query.format));
        return reply.send(tableStream(query.format, hostCols, rows()));
      },
    },
    {
      method: 'GET',
      url: '/export/organisations',
      permission: 'export',
      scoped: true,
      summary: 'Export the organisations table as CSV or JSON',
      schema: {
        querystring: { type: 'object', additionalProperties: false, properties: { scan: { type: 'string', maxLength: 80 }, format: FORMAT } },
      },
      handler: async (req, reply) => {
        const query = req.query as { scan?: string; format: 'csv' | 'json' };
        const orgs = await q.organisations(db, query.scan, req.visibility ?? ALL_VISIBLE);
        await exported(ctx, req, 'organisations', { format: query.format, scan: query.scan ?? null, rows: orgs.length });
        reply.headers(attachment('organisations', query.format));
        const cols = ['key', 'name', 'sector', 'language', 'hosts', 'vulnerable', 'mitigated', 'compromised', 'worst'];
        return reply.send(
          tableStream(
            query.format,
            cols,
            (async function* () {
              yield* orgs;
            })(),
          ),
        );
      },
    },
    {
      method: 'GET',
      url: '/export/scans',
      permission: 'export',
      scoped: true,
      summary: 'Export the list of scans as CSV or JSON',
      schema: { querystring: { type: 'object', additionalProperties: false, properties: { format: FORMAT } } },
      handler: async (req, reply) => {
        const query = req.query as { format: 'csv' | 'json' };
        const scans = await q.listScans(db, req.visibility ?? ALL_VISIBLE);
        await exported(ctx, req, 'scans', { format: query.format });
        reply.headers(attachment('scans', query.format));
        return reply.send(
          tableStream(
            query.format,
            ['id', 'label', 'state', 'started_at', 'finished_at', 'total', 'done'],
            (async function* () {
              yield* scans as unknown as Record<string, unknown>[];
            })(),
          ),
        );
      },
    },
    {
      method: 'GET',
      url: '/export/cases',
      permission: 'export',
      scoped: true,
      summary: 'Export the cases table (owner, sector, hosts, worst state, notification state, age) as CSV or JSON',
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { state: { type: 'string', maxLength: 200 }, q: { type: 'string', maxLength: 100 }, format: FORMAT },
        },
      },
      handler: async (req, reply) => {
        const query = req.query as { state?: string; q?: string; format: 'csv' | 'json' };
        const states = query.state?.split(',').filter(Boolean);
        if (states?.some((st) => !(CASE_STATES as readonly string[]).includes(st))) {
          return reply.code(400).send({ error: 'bad_request', message: `state: one of ${CASE_STATES.join(', ')}` });
        }
        const cases = await listCases(db, req.visibility ?? ALL_VISIBLE, { state: states as CaseState[] | undefined, q: query.q });
        await exported(ctx, req, 'cases', { format: query.format, state: query.state ?? null, q: query.q ?? null, rows: cases.length });
        reply.headers(attachment('cases', query.format));
        const cols = ['id', 'state', 'worst', 'org_key', 'org_name', 'grp', 'sector', 'hosts_open', 'hosts_total', 'notified_at', 'opened_at', 'updated_at', 'resolved_at', 'age_days'];
        return reply.send(tableStream(query.format, cols, each(cases)));
      },
    },
    {
      method: 'GET',
      url: '/export/countries',
      permission: 'export',
      scoped: true,
      summary: 'Export hosts at risk per country for one CVE of a scan as CSV or JSON',
      schema: {
        querystring: { type: 'object', required: ['scan'], additionalProperties: false, properties: { scan: SCAN_ID, cve: CVE, format: FORMAT } },
      },
      handler: async (req, reply) => {
        const query = req.query as { scan: string; cve?: string; format: 'csv' | 'json' };
        if (!(await ctx.store.getScan(query.scan))) throw new EdgewatchError('EW_STORE_SCAN_NOT_FOUND', 'no such scan');
        const cve = query.cve ?? 'CVE-2019-19781';
        const rows = await q.countries(db, query.scan, cve, req.visibility ?? ALL_VISIBLE);
        await exported(ctx, req, `countries of ${query.scan}`, { format: query.format, cve });
        reply.headers(attachment(`countries-${query.scan}`, query.format));
        return reply.send(tableStream(query.format, ['cc', 'vulnerable', 'mitigated', 'compromised', 'total'], each(rows)));
      },
    },
    {
      method: 'GET',
      url: '/export/versions',
      permission: 'export',
      scoped: true,
      summary: 'Export the builds in use in a scan as CSV or JSON',
      schema: { querystring: { type: 'object', required: ['scan'], additionalProperties: false, properties: { scan: SCAN_ID, format: FORMAT } } },
      handler: async (req, reply) => {
        const query = req.query as { scan: string; format: 'csv' | 'json' };
        if (!(await ctx.store.getScan(query.scan))) throw new EdgewatchError('EW_STORE_SCAN_NOT_FOUND', 'no such scan');
        const rows = await q.versions(db, query.scan, req.visibility ?? ALL_VISIBLE);
        await exported(ctx, req, `versions of ${query.scan}`, { format: query.format });
        reply.headers(attachment(`builds-${query.scan}`, query.format));
        return reply.send(tableStream(query.format, ['version', 'hosts'], each(rows)));
      },
    },
    {
      method: 'GET',
      url: '/export/trend',
      permission: 'export',
      scoped: true,
      summary: 'Export each classification of one CVE across scans as CSV or JSON',
      schema: { querystring: { type: 'object', additionalProperties: false, properties: { cve: CVE, format: FORMAT } } },
      handler: async (req, reply) => {
        const query = req.query as { cve?: string; format: 'csv' | 'json' };
        const cve = query.cve ?? 'CVE-2019-19781';
        const rows = (await q.trend(db, cve, req.visibility ?? ALL_VISIBLE)).map((r) => ({
          scan: r.scan,
          label: r.label,
          started_at: r.started_at,
          cve,
          vulnerable: r.counts.vulnerable ?? 0,
          mitigated: r.counts.mitigated ?? 0,
          patched: r.counts.patched ?? 0,
          unknown: r.counts.unknown ?? 0,
          not_applicable: r.counts.not_applicable ?? 0,
        }));
        await exported(ctx, req, 'trend', { format: query.format, cve });
        reply.headers(attachment('trend', query.format));
        const cols = ['scan', 'label', 'started_at', 'cve', 'vulnerable', 'mitigated', 'patched', 'unknown', 'not_applicable'];
        return reply.send(tableStream(query.format, cols, each(rows)));
      },
    },
    {
      method: 'GET',
      url: '/export/host/:ip',
      permission: 'export',
      scoped: true,
      summary: 'Export one address: JSON = everything the host page shows; CSV = its timeline (one row per observation)',
      schema: {
        params: { type: 'object', required: ['ip'], properties: { ip: { type: 'string', maxLength: 64 } } },
        querystring: { type: 'object', additionalProperties: false, properties: { format: FORMAT } },
      },
      handler: async (req, reply) => {
        const { ip } = req.params as { ip: string };
        const { format } = req.query as { format: 'csv' | 'json' };
        if (isIP(ip) === 0) return reply.code(400).send({ error: 'bad_request', message: 'not an IP address' });
        const h = await q.hostDetail(db, ip, req.visibility ?? ALL_VISIBLE);
        if (!h) return reply.code(404).send({ error: 'not_found', message: 'no such host' });
        await exported(ctx, req, `host ${ip}`, { format });
        reply.headers(attachment(`host-${ip.replace(/:/g, '_')}`, format));
        if (format === 'json') return reply.send(`${JSON.stringify(h, null, 1)}\n`);
        const rows = h.observations.map((o) => ({
          scan: o.scan,
          scan_label: o.scan_label,
          scanned_at: o.record.scanned_at ?? o.scan_started,
          port: o.record.port,
          host: o.record.host,
          status: o.record.status,
          reason: o.record.reason,
          product: o.record.product,
          version: o.record.version,
          compromised: o.record.compromised,
          cve: cveCell(o.record.cve),
        }));
        const cols = ['scan', 'scan_label', 'scanned_at', 'port', 'host', 'status', 'reason', 'product', 'version', 'compromised', 'cve'];
        return reply.send(tableStream('csv', cols, each(rows)));
      },
    },
  ];
}
