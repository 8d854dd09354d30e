/**
 * /api/export: every dashboard table as CSV (formula-injection safe) or JSON, streamed page by page,
 * constituency-scoped, and written to the audit log (who exported what, with which filters).
 */
import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { stringify } from 'csv-stringify/sync';
import { EdgewatchError } from '../../errors.js';
import { csvSafe } from '../../report/output.js';
import { audit } from '../audit.js';
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
  ];
}
