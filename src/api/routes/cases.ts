/**
 * /api cases and notifications: list and read cases (scoped), change a case's state or add a note
 * (analysts), plan notifications and approve drafts (analysts with `notify`). Sending stays a
 * command on the operator's machine (`edgewatch notify send`), where the SMTP credentials live.
 */
import { Cases } from '../../cases/repo.js';
import { CASE_STATES, type CaseState } from '../../cases/types.js';
import { updateCases } from '../../cases/update.js';
import { PAGE_PROPS, type PageQuery, pageOf } from '../paging.js';
import { parseNotifyConfig } from '../../notify/config.js';
import { approve, OUTBOX_STATES, type OutboxState } from '../../notify/outbox.js';
import { planNotifications } from '../../notify/plan.js';
import { audit } from '../audit.js';
import { caseDetail, caseVisible, listCases, outbox } from '../case-queries.js';
import { ALL_VISIBLE } from '../visibility.js';
import type { ApiRoute, RouteContext } from './index.js';

const TICKET = { type: 'string', pattern: '^EW-\\d{4}-\\d{6}$' } as const;

export function caseRoutes(ctx: RouteContext): ApiRoute[] {
  const db = ctx.store.db;
  const notifyConfig = () => parseNotifyConfig(ctx.notify ?? {});
  return [
    {
      method: 'GET',
      url: '/cases',
      permission: 'read',
      scoped: true,
      summary: 'Cases with owner, sector, hosts, worst state, notification state and age',
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            state: { type: 'string', maxLength: 200 },
            q: { type: 'string', maxLength: 100 },
            sort: { type: 'string', enum: ['worst', 'age', 'hosts', 'owner'] },
            ...PAGE_PROPS,
          },
        },
      },
      handler: async (req, reply) => {
        const query = req.query as { state?: string; q?: string; sort?: 'worst' | 'age' | 'hosts' | 'owner' } & PageQuery;
        const states = query.state?.split(',').filter(Boolean);
        if (states?.some((s) => !(CASE_STATES as readonly string[]).includes(s))) {
          return reply.code(400).send({ error: 'bad_request', message: `state: one of ${CASE_STATES.join(', ')}` });
        }
        const all = await listCases(db, req.visibility ?? ALL_VISIBLE, { state: states as CaseState[] | undefined, q: query.q });
        if (query.page === undefined) return { cases: all };
        // A page of the list, sorted on the server (the dashboard's cases page).
        type Row = (typeof all)[number];
        const rank: Record<string, number> = { patched_compromised: 0, compromised: 0, vulnerable: 1, mitigated: 2 };
        const owner = (c: Row) => c.org_name ?? c.grp ?? '';
        const compare: Record<string, (a: Row, b: Row) => number> = {
          worst: (a, b) => (rank[a.worst ?? ''] ?? 9) - (rank[b.worst ?? ''] ?? 9) || b.hosts_open - a.hosts_open || a.id.localeCompare(b.id),
          age: (a, b) => b.age_days - a.age_days || a.id.localeCompare(b.id),
          hosts: (a, b) => b.hosts_open - a.hosts_open || a.id.localeCompare(b.id),
          owner: (a, b) => owner(a).localeCompare(owner(b)) || a.id.localeCompare(b.id),
        };
        const p = pageOf(all, query, compare[query.sort ?? 'worst']);
        return { total: p.total, page: p.page, per_page: p.per_page, cases: p.rows };
      },
    },
    {
      method: 'GET',
      url: '/cases/:id',
      permission: 'read',
      scoped: true,
      summary: 'One case: hosts, full history, messages',
      schema: { params: { type: 'object', required: ['id'], properties: { id: TICKET } } },
      handler: async (req, reply) => {
        const d = await caseDetail(db, req.visibility ?? ALL_VISIBLE, (req.params as { id: string }).id);
        if (!d) return reply.code(404).send({ error: 'not_found', message: 'no such case' });
        return d;
      },
    },
    {
      method: 'POST',
      url: '/cases/:id/state',
      permission: 'cases',
      scoped: true,
      summary: 'Acknowledge, escalate, resolve or reopen a case (with a note)',
      schema: {
        params: { type: 'object', required: ['id'], properties: { id: TICKET } },
        body: {
          type: 'object',
          required: ['state'],
          additionalProperties: false,
          properties: { state: { type: 'string', enum: ['acknowledged', 'escalated', 'resolved', 'open'] }, note: { type: 'string', maxLength: 2000 } },
        },
      },
      handler: async (req, reply) => {
        const { id } = req.params as { id: string };
        const repo = new Cases(db);
        const c = await repo.get(id);
        if (!caseVisible(req.visibility ?? ALL_VISIBLE, c)) return reply.code(404).send({ error: 'not_found', message: 'no such case' });
        const b = req.body as { state: CaseState; note?: string };
        const after = await repo.transition(id, b.state, req.user?.username ?? '-', b.note);
        await audit(db, { actor: req.user?.username ?? '-', action: 'case_state', target: id, detail: { from: c.state, to: after.state }, remote: req.ip });
        return { case: after };
      },
    },
    {
      method: 'POST',
      url: '/cases/:id/notes',
      permission: 'cases',
      scoped: true,
      summary: 'Add a note to a case',
      schema: {
        params: { type: 'object', required: ['id'], properties: { id: TICKET } },
        body: { type: 'object', required: ['text'], additionalProperties: false, properties: { text: { type: 'string', minLength: 1, maxLength: 4000 } } },
      },
      handler: async (req, reply) => {
        const { id } = req.params as { id: string };
        const repo = new Cases(db);
        if (!caseVisible(req.visibility ?? ALL_VISIBLE, await repo.get(id))) return reply.code(404).send({ error: 'not_found', message: 'no such case' });
        await repo.note(id, req.user?.username ?? '-', (req.body as { text: string }).text);
        await audit(db, { actor: req.user?.username ?? '-', action: 'case_note', target: id, remote: req.ip });
        return { ok: true };
      },
    },
    {
      method: 'GET',
      url: '/notify/outbox',
      permission: 'notify',
      scoped: true,
      summary: 'Messages in the outbox (drafts to review, approved, sent, failed …)',
      schema: { querystring: { type: 'object', additionalProperties: false, properties: { state: { type: 'string', maxLength: 200 } } } },
      handler: async (req, reply) => {
        const st = (req.query as { state?: string }).state?.split(',').filter(Boolean);
        if (st?.some((s) => !(OUTBOX_STATES as readonly string[]).includes(s))) {
          return reply.code(400).send({ error: 'bad_request', message: `state: one of ${OUTBOX_STATES.join(', ')}` });
        }
        return { messages: await outbox(db, req.visibility ?? ALL_VISIBLE, st as OutboxState[] | undefined) };
      },
    },
    {
      method: 'POST',
      url: '/notify/plan',
      permission: 'notify',
      scoped: false,
      unscopedOnly: true,
      summary: 'Update cases from a scan, then draft the messages that are due',
      schema: { body: { type: 'object', additionalProperties: false, properties: { scan: { type: 'string', maxLength: 80 } } } },
      handler: async (req) => {
        const cfg = notifyConfig();
        const scan = (req.body as { scan?: string } | undefined)?.scan ?? (await ctx.store.listScans()).find((s) => s.state === 'finished')?.id;
        const summary = scan ? await updateCases(ctx.store, scan, { escalateAfterDays: cfg.escalate_after_days, actor: req.user?.username ?? '-' }) : null;
        const plan = await planNotifications(db, { config: cfg, actor: req.user?.username ?? '-' });
        await audit(db, { actor: req.user?.username ?? '-', action: 'notify_plan', target: scan ?? null, detail: { planned: plan.planned.length }, remote: req.ip });
        return { cases: summary, planned: plan.planned, skipped: plan.skipped };
      },
    },
    {
      method: 'POST',
      url: '/notify/approve',
      permission: 'notify',
      scoped: false,
      unscopedOnly: true,
      summary: 'Approve drafts for sending (all, per case, per template or by id)',
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            all: { type: 'boolean' },
            case: TICKET,
            template: { type: 'string', enum: ['initial', 'followup', 'escalation', 'resolved'] },
            ids: { type: 'array', maxItems: 10_000, items: { type: 'string', pattern: '^[0-9a-f]{32}$' } },
          },
        },
      },
      handler: async (req) => {
        const b = req.body as { all?: boolean; case?: string; template?: string; ids?: string[] };
        const n = await approve(db, { all: b.all, caseId: b.case, template: b.template, ids: b.ids }, req.user?.username ?? '-');
        await audit(db, { actor: req.user?.username ?? '-', action: 'notify_approve', detail: { ...b, approved: n }, remote: req.ip });
        return { approved: n };
      },
    },
  ];
}
