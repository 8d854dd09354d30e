/**
 * CLI: `edgewatch cases …` (update cases from a scan, list, show a case with its hosts and history,
 * acknowledge, note, change state by hand) and `edgewatch notify …` (plan, list, show, approve,
 * cancel; `send` and `ingest` come from notify-delivery.ts).
 */
import type { Command } from 'commander';
import { Cases } from '../../cases/repo.js';
import { CASE_STATES, type CaseState } from '../../cases/types.js';
import { updateCases } from '../../cases/update.js';
import { EdgewatchError } from '../../errors.js';
import { parseNotifyConfig } from '../../notify/config.js';
import { approve, cancel, getMessage, listOutbox, OUTBOX_STATES, type OutboxState } from '../../notify/outbox.js';
import { planNotifications } from '../../notify/plan.js';
import { TEMPLATE_NAMES } from '../../notify/templates.js';
import { printable, table } from '../../report/render.js';
import type { Store } from '../../store/types.js';
import { baseConfig, openConfiguredStore } from '../context.js';
import { pickScan } from '../scan-ref.js';
import { registerNotifyDelivery } from './notify-delivery.js';

interface Flags {
  db?: string;
  config?: string;
}

async function withStore<T>(flags: Flags, fn: (s: Store, cfg: ReturnType<typeof baseConfig>) => Promise<T>): Promise<T> {
  const cfg = baseConfig(flags);
  const store = await openConfiguredStore(cfg);
  try {
    return await fn(store, cfg);
  } finally {
    await store.close();
  }
}

const out = (s: string) => process.stdout.write(s);

function states(v: string | undefined): CaseState[] | undefined {
  if (!v) return undefined;
  const list = v.split(',').map((x) => x.trim());
  for (const s of list)
    if (!(CASE_STATES as readonly string[]).includes(s))
      throw new EdgewatchError('EW_CLI_USAGE', `--state: one of ${CASE_STATES.join(', ')}`);
  return list as CaseState[];
}

export function registerCasesCommands(program: Command): void {
  const cases = program
    .command('cases')
    .description('Cases: one per organisation (or network + abuse contact) with its open findings and history');
  const common = (c: Command) => c.option('--db <file|url>', 'store').option('--config <file>', 'YAML config file');

  common(
    cases
      .command('update [scan]')
      .description('Update cases from a scan (default: the latest): add hosts with findings, fix hosts seen clean, resolve, escalate')
      .option('-j, --json', 'print the summary as JSON'),
  ).action(async (ref: string | undefined, o: Flags & { json?: boolean }) =>
    withStore(o, async (store, cfg) => {
      const n = parseNotifyConfig(cfg.notify);
      const scan = await pickScan(store, ref);
      const s = await updateCases(store, scan, { escalateAfterDays: n.escalate_after_days, actor: 'cli' });
      out(
        o.json
          ? `${JSON.stringify(s)}\n`
          : `cases from ${scan}: ${s.opened} opened, ${s.reopened} reopened, ${s.resolved} resolved, ${s.escalated} escalated; hosts: ${s.hostsAdded} added, ${s.hostsFixed} fixed, ${s.hostsStillOpen} still open, ${s.notReobserved} not re-observed (not counted as fixed)\n`,
      );
    }),
  );

  common(
    cases
      .command('list')
      .description('List cases')
      .option('--state <states>', `comma-separated: ${CASE_STATES.join(', ')}`)
      .option('-j, --json', 'JSON Lines'),
  ).action(async (o: Flags & { state?: string; json?: boolean }) =>
    withStore(o, async (store) => {
      const repo = new Cases(store.db);
      const list = await repo.list({ state: states(o.state) });
      if (o.json) {
        for (const c of list) out(`${JSON.stringify(c)}\n`);
        return;
      }
      const rows: string[][] = [];
      for (const c of list) {
        const hosts = await repo.hosts(c.id);
        rows.push([
          c.id,
          c.state,
          c.worst ?? '',
          printable(c.org_key ?? c.grp ?? ''),
          String(hosts.filter((h) => h.state === 'open').length),
          String(hosts.length),
          c.notified_at?.slice(0, 10) ?? '',
          c.opened_at.slice(0, 10),
        ]);
      }
      out(table(['ticket', 'state', 'worst', 'owner', 'open', 'hosts', 'notified', 'opened'], rows));
      out(`${list.length} case(s)\n`);
    }),
  );

  common(cases.command('show <ticket>').description('A case: its hosts and full history').option('-j, --json', 'JSON')).action(
    async (ticket: string, o: Flags & { json?: boolean }) =>
      withStore(o, async (store) => {
        const repo = new Cases(store.db);
        const c = await repo.get(ticket);
        const hosts = await repo.hosts(ticket);
        const events = await repo.events(ticket);
        const messages = await listOutbox(store.db, { caseId: ticket });
        if (o.json) {
          out(`${JSON.stringify({ case: c, hosts, events, messages: messages.map(({ body: _b, attachments: _a, ...m }) => m) })}\n`);
          return;
        }
        out(
          `${c.id}  ${c.state}  worst: ${c.worst ?? '-'}  owner: ${printable(c.owner)}\nopened ${c.opened_at}  notified ${c.notified_at ?? '-'}  last scan ${c.last_scan ?? '-'}\n\n`,
        );
        out(
          table(
            ['host', 'state', 'build', 'findings', 'first scan', 'fixed in'],
            hosts.map((h) => [
              printable(`${h.ip}:${h.port}${h.host ? ` ${h.host}` : ''}`),
              h.state,
              printable(h.detail.version ?? ''),
              printable(
                `${Object.entries(h.detail.cve)
                  .map(([k, s]) => `${k} ${s}`)
                  .join(', ')}${h.detail.compromised ? ' compromised' : ''}`,
              ),
              h.first_scan,
              h.fixed_scan ?? '',
            ]),
          ),
        );
        out('\nhistory:\n');
        for (const e of events)
          out(`  ${e.at}  ${e.kind.padEnd(18)} ${printable(e.actor)}  ${printable(JSON.stringify(e.detail)).slice(0, 300)}\n`);
        if (messages.length) {
          out('\nmessages:\n');
          for (const m of messages) out(`  ${m.id}  ${m.template.padEnd(10)} ${m.state.padEnd(9)} ${printable(m.to.join(', '))}\n`);
        }
      }),
  );

  for (const [name, to, desc] of [
    ['ack', 'acknowledged', 'The owner acknowledged the case'],
    ['escalate', 'escalated', 'Escalate by hand'],
    ['resolve', 'resolved', 'Resolve by hand (e.g. the owner proved the hosts are not theirs)'],
    ['reopen', 'open', 'Reopen a case'],
  ] as const) {
    common(cases.command(`${name} <ticket>`).description(desc).option('--note <text>', 'why')).action(
      async (ticket: string, o: Flags & { note?: string }) =>
        withStore(o, async (store) => {
          const c = await new Cases(store.db).transition(ticket, to, 'cli', o.note);
          out(`${c.id}: ${c.state}\n`);
        }),
    );
  }
  common(cases.command('note <ticket> <text>').description('Add a note to the case history')).action(
    async (ticket: string, text: string, o: Flags) =>
      withStore(o, async (store) => {
        await new Cases(store.db).note(ticket, 'cli', text);
        out(`${ticket}: noted\n`);
      }),
  );

  // --- notify -----------------------------------------------------------------------------------
  const notify = program.command('notify').description('Notifications: plan (drafts), review, approve, send, ingest bounces and replies');
  common(
    notify
      .command('plan')
      .description('Update cases from the latest scan, then draft the messages that are due (one per case) into the outbox')
      .option('--scan <scan>', 'scan to update cases from (default: the latest)')
      .option('--no-update', 'do not update cases from a scan first')
      .option('--case <tickets>', 'only these cases (comma-separated)')
      .option('-j, --json', 'JSON Lines of the planned messages'),
  ).action(async (o: Flags & { scan?: string; update: boolean; case?: string; json?: boolean }) =>
    withStore(o, async (store, cfg) => {
      const n = parseNotifyConfig(cfg.notify);
      if (o.update) {
        const scan = await pickScan(store, o.scan);
        const s = await updateCases(store, scan, { escalateAfterDays: n.escalate_after_days, actor: 'cli' });
        if (!o.json)
          process.stderr.write(
            `[edgewatch] cases from ${scan}: ${s.opened} opened, ${s.resolved} resolved, ${s.escalated} escalated, ${s.hostsFixed} hosts fixed\n`,
          );
      }
      const r = await planNotifications(store.db, { config: n, actor: 'cli', cases: o.case?.split(',') });
      if (o.json) {
        for (const p of r.planned) out(`${JSON.stringify(p)}\n`);
        return;
      }
      out(
        table(
          ['message', 'case', 'template', 'lang', 'to', 'subject'],
          r.planned.map((p) => [p.id, p.case_id, p.template, p.language, printable(p.to.join(', ')), printable(p.subject)]),
        ),
      );
      out(
        `${r.planned.length} message(s) drafted; ${r.skipped.length} case(s) with nothing due. Review with \`edgewatch notify show ID\`, then \`edgewatch notify approve\`.\n`,
      );
      for (const s of r.skipped.slice(0, 50)) process.stderr.write(`  ${s.case_id}: ${s.reason}\n`);
    }),
  );

  common(
    notify
      .command('list')
      .description('Messages in the outbox')
      .option('--state <states>', `comma-separated: ${OUTBOX_STATES.join(', ')}`)
      .option('--case <ticket>', 'one case')
      .option('-j, --json', 'JSON Lines (without bodies)'),
  ).action(async (o: Flags & { state?: string; case?: string; json?: boolean }) =>
    withStore(o, async (store) => {
      const st = o.state?.split(',').map((s) => s.trim());
      for (const s of st ?? [])
        if (!(OUTBOX_STATES as readonly string[]).includes(s))
          throw new EdgewatchError('EW_CLI_USAGE', `--state: one of ${OUTBOX_STATES.join(', ')}`);
      const list = await listOutbox(store.db, { state: st as OutboxState[] | undefined, caseId: o.case });
      if (o.json) {
        for (const { body: _b, attachments: _a, ...m } of list) out(`${JSON.stringify(m)}\n`);
        return;
      }
      out(
        table(
          ['message', 'case', 'template', 'state', 'to', 'message-id', 'error'],
          list.map((m) => [m.id, m.case_id, m.template, m.state, printable(m.to.join(', ')), m.message_id, printable(m.last_error ?? '')]),
        ),
      );
    }),
  );

  common(notify.command('show <id>').description('Show one message as it will be sent')).action(async (id: string, o: Flags) =>
    withStore(o, async (store) => {
      const m = await getMessage(store.db, id);
      out(`Message-ID: ${m.message_id}\nTo: ${m.to.join(', ')}\nSubject: ${m.subject}\nState: ${m.state}\n\n${m.body}\n\n`);
      for (const a of m.attachments) out(`[attachment ${a.filename}, ${a.content.length} bytes]\n`);
    }),
  );

  common(
    notify
      .command('approve [ids...]')
      .description('Approve drafts for sending: --all, --case TICKET, --template NAME, or message ids')
      .option('--all', 'every draft')
      .option('--case <ticket>', 'the drafts of one case')
      .option('--template <name>', `the drafts of one template (${TEMPLATE_NAMES.join(', ')})`),
  ).action(async (ids: string[], o: Flags & { all?: boolean; case?: string; template?: string }) =>
    withStore(o, async (store) => {
      const n = await approve(store.db, { all: o.all, caseId: o.case, template: o.template, ids }, 'cli');
      out(`${n} message(s) approved; send them with \`edgewatch notify send\`\n`);
    }),
  );

  common(notify.command('cancel <ids...>').description('Cancel drafts or approved messages not yet sent')).action(
    async (ids: string[], o: Flags) =>
      withStore(o, async (store) => {
        out(`${await cancel(store.db, ids, 'cli')} message(s) cancelled\n`);
      }),
  );

  registerNotifyDelivery(notify);
}
