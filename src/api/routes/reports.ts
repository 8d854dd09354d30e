/**
 * /api/reports: the scan report of `edgewatch report` (JSON by default, or its CSV / Markdown form),
 * with the CLI's options as query parameters. Built by src/api/report.ts from the store's report
 * functions, which count every host of a scan: denied (403) to constituency-scoped users, who get
 * their figures from /api/scans/:id/figures, /countries, /versions and /trend instead. Every report
 * fetched is written to the audit log (it leaves the system with its TLP label).
 */
import { audit } from '../audit.js';
import { buildFullReport, REPORT_BY, REPORT_DEFAULT_BY, REPORT_FORMATS, type ApiReportFormat, renderApiReport } from '../report.js';
import type { ApiRoute, RouteContext } from './index.js';

const SCAN_REF = { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f]+$' } as const;

const reportQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    scan: { ...SCAN_REF, description: 'scan id, id prefix, label, `latest` (default) or `previous` (as `edgewatch report [SCAN]`)' },
    since: { ...SCAN_REF, description: 'compare with this earlier scan (with `trend`: every scan in between), as `--since`' },
    trend: { type: 'boolean', description: 'figures per scan up to this scan, as `--trend`' },
    by: {
      type: 'string',
      maxLength: 200,
      description: `sections, comma-separated: ${REPORT_BY.join(', ')} (default ${REPORT_DEFAULT_BY.join(',')}), as \`--by\``,
    },
    tlp: { type: 'string', maxLength: 20, description: 'TLP label: CLEAR, GREEN, AMBER (default), AMBER+STRICT, RED' },
    format: { type: 'string', enum: [...REPORT_FORMATS], default: 'json', description: 'json (default; as `--format json`), csv or markdown' },
  },
} as const;

const countRows = { type: 'array', items: { type: 'object', properties: { key: { type: ['string', 'null'] }, count: { type: 'integer' } } } } as const;

/** Documentation of the JSON answer (not used to serialise: the rendered report is sent as is). */
const reportJson = {
  description: 'The report object of `edgewatch report --format json` (docs/reports.md)',
  type: 'object',
  properties: {
    tlp: { type: 'string' },
    meta: {
      type: 'object',
      description: 'generated_at, edgewatch_version, checks (pack, version, origin, cves), data_sources',
      additionalProperties: true,
    },
    scan: { type: 'object', description: 'the scan row (id, label, state, started_at, finished_at, total, done …)', additionalProperties: true },
    byStatus: countRows,
    byReason: countRows,
    byProduct: countRows,
    byCve: { type: 'object', description: 'CVE → [{key: classification, count}]', additionalProperties: countRows },
    byVersion: countRows,
    compromise: { type: 'object', description: 'hosts {true,false,unknown} and byCve (classification × compromised)', additionalProperties: true },
    attribution: {
      type: ['object', 'null'],
      description: 'coverage, by.{country,sector,org,asn,group} rows, orgsBehind; null without attribution sections',
      additionalProperties: true,
    },
    trend: { type: ['object', 'null'], description: 'points per scan and changes first → last; null without trend/since', additionalProperties: true },
  },
} as const;

export function reportRoutes(ctx: RouteContext): ApiRoute[] {
  return [
    {
      method: 'GET',
      url: '/reports',
      permission: 'read',
      scoped: false,
      unscopedOnly: true,
      summary: 'The scan report of `edgewatch report` (counts, attribution, trend) as JSON, CSV or Markdown; not for constituency-scoped users',
      schema: {
        querystring: reportQuery,
        response: {
          200: {
            description: reportJson.description,
            content: {
              'application/json': { schema: reportJson },
              'text/csv': { schema: { type: 'string' } },
              'text/markdown': { schema: { type: 'string' } },
            },
          },
        },
      },
      handler: async (req, reply) => {
        const q = req.query as { scan?: string; since?: string; trend?: boolean; by?: string; tlp?: string; format: ApiReportFormat };
        const by = q.by
          ?.split(',')
          .map((x) => x.trim())
          .filter(Boolean);
        const full = await buildFullReport(ctx.store, { scan: q.scan, since: q.since, trend: q.trend, by, tlp: q.tlp });
        const text = renderApiReport(full, q.format);
        await audit(ctx.store.db, {
          actor: req.user?.username ?? '-',
          action: 'report',
          target: full.base.scan.id,
          detail: { format: q.format, tlp: full.meta.tlp, by: by ?? null, trend: q.trend === true, since: q.since ?? null },
          remote: req.ip,
        });
        const type = q.format === 'json' ? 'application/json' : q.format === 'csv' ? 'text/csv' : 'text/markdown';
        reply.header('Content-Type', `${type}; charset=utf-8`);
        if (q.format !== 'json') reply.header('Content-Disposition', `attachment; filename="report-${full.base.scan.id}.${q.format === 'csv' ? 'csv' : 'md'}"`);
        return reply.send(text);
      },
    },
  ];
}
