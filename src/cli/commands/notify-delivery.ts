/**
 * CLI: `notify send` and `notify ingest` (delivery): sending approved outbox messages through SMTP
 * exactly once (or writing .eml files in a dry run), and reading bounces (DSNs) and replies back
 * into the cases.
 *
 *   edgewatch notify send [--dry-run DIR] [--concurrency N] [--retry-uncertain] [--retry-failed] [--limit N] [-j]
 *   edgewatch notify ingest FILE… [-j]
 *
 * Exit status: 0 all good; 1 something failed, is uncertain or (ingest) did not match; 2 could not run.
 */
import type { Command } from 'commander';
import { parseNotifyConfig } from '../../notify/config.js';
import { ingestFiles } from '../../notify/ingest.js';
import { abortError, sendOutbox } from '../../notify/send.js';
import { printable } from '../../report/render.js';
import { baseConfig, openConfiguredStore, parseIntFlag } from '../context.js';

interface Flags {
  db?: string;
  config?: string;
  json?: boolean;
}

const out = (s: string) => process.stdout.write(s);
const err = (s: string) => process.stderr.write(s);

/** Adds `send` and `ingest` to the `notify` command group. */
export function registerNotifyDelivery(notify: Command): void {
  notify
    .command('send')
    .description('Deliver approved messages through SMTP (config notify.smtp), exactly once; or write .eml files with --dry-run')
    .option('--dry-run <dir>', 'write one .eml per message into DIR; send nothing, change nothing')
    .option('--concurrency <n>', 'messages in flight at once (default: notify.concurrency)', parseIntFlag('--concurrency', 1, 64))
    .option('--retry-uncertain', 'resend messages whose delivery is uncertain, with the same Message-ID')
    .option('--retry-failed', 'try failed messages again')
    .option('--limit <n>', 'at most N messages this run', parseIntFlag('--limit', 1, 1_000_000))
    .option('--db <file|url>', 'store')
    .option('--config <file>', 'YAML config file')
    .option('-j, --json', 'print the summary as JSON')
    .action(
      async (o: Flags & { dryRun?: string; concurrency?: number; retryUncertain?: boolean; retryFailed?: boolean; limit?: number }) => {
        const cfg = baseConfig(o);
        const n = parseNotifyConfig(cfg.notify);
        const store = await openConfiguredStore(cfg);
        try {
          const s = await sendOutbox(store.db, {
            config: n,
            dryRunDir: o.dryRun,
            concurrency: o.concurrency,
            retryUncertain: o.retryUncertain,
            retryFailed: o.retryFailed,
            limit: o.limit,
            actor: 'cli',
            log: o.json ? undefined : (l) => err(`[edgewatch] ${printable(l)}\n`),
          });
          if (o.json) out(`${JSON.stringify(s)}\n`);
          else if (o.dryRun) {
            out(`dry run: ${s.written.length} message(s) written to ${printable(o.dryRun)}; nothing was sent or changed\n`);
            for (const p of s.problems) out(`  not written ${p.id}: ${printable(p.error)}\n`);
          } else {
            out(`sent ${s.sent}, failed ${s.failed}, uncertain ${s.uncertain}, retried ${s.retried} (of ${s.considered} message(s))\n`);
            if (s.recovered) out(`${s.recovered} message(s) were interrupted by an earlier run after hand-over and are now uncertain\n`);
            for (const p of s.problems) out(`  failed ${p.id} (${p.case_id}): ${printable(p.error)}\n`);
            if (s.pendingUncertain.length) {
              out(
                `${s.pendingUncertain.length} message(s) may or may not have been delivered (not resent automatically; check with the recipient or resend with --retry-uncertain, same Message-ID):\n`,
              );
              for (const u of s.pendingUncertain) out(`  uncertain ${u.id} (${u.case_id}) ${u.message_id}\n`);
            }
          }
          const abort = abortError(s);
          if (abort) throw abort;
          if (s.failed > 0 || s.pendingUncertain.length > 0 || (o.dryRun && s.problems.length > 0)) process.exitCode = 1;
        } finally {
          await store.close();
        }
      },
    );

  notify
    .command('ingest <files...>')
    .description('Read bounces (DSNs) and replies from .eml or mbox files: bounced messages, bad contacts, replies on their cases')
    .option('--db <file|url>', 'store')
    .option('--config <file>', 'YAML config file')
    .option('-j, --json', 'print the results as JSON')
    .action(async (files: string[], o: Flags) => {
      const cfg = baseConfig(o);
      const store = await openConfiguredStore(cfg);
      try {
        const r = await ingestFiles(store.db, files, { actor: 'cli' });
        if (o.json) out(`${JSON.stringify(r)}\n`);
        else {
          out(
            `${r.messages} message(s): ${r.bounces} bounce(s), ${r.delays} delay notice(s), ${r.replies} repl(y/ies), ${r.autoReplies} auto-repl(y/ies), ${r.duplicates} already ingested, ${r.unmatched.length} unmatched\n`,
          );
          for (const i of r.items) if (i.kind !== 'unmatched') out(`  ${i.kind} ${i.case_id ?? '-'} ${printable(i.summary)}\n`);
          for (const u of r.unmatched)
            out(`  UNMATCHED ${printable(u.where)}: from ${printable(u.from)} subject ${printable(u.subject)} (${printable(u.reason)})\n`);
        }
        if (r.unmatched.length > 0) process.exitCode = 1;
      } finally {
        await store.close();
      }
    });
}
