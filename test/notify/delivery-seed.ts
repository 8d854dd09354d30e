/**
 * Test helper for delivery/ingest tests: a real SQLite store in a temp dir with cases and outbox
 * rows written directly (the shape the planner writes), and a notify config for a local server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { casesDb } from '../../src/cases/db.js';
import { type NotifyConfig, parseNotifyConfig } from '../../src/notify/config.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';

export interface Seeded {
  store: Store;
  dir: string;
  file: string;
  cleanup(): Promise<void>;
}

export async function seededStore(): Promise<Seeded> {
  const dir = mkdtempSync(join(tmpdir(), 'ew-notify-'));
  const file = join(dir, 'ew.db');
  const store = await openStore({ dialect: 'sqlite', file });
  return {
    store,
    dir,
    file,
    async cleanup() {
      await store.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function addCase(store: Store, id: string, worst = 'vulnerable'): Promise<void> {
  const now = new Date().toISOString();
  await casesDb(store.db)
    .insertInto('cases')
    .values({
      id,
      owner: `org:${id}`,
      org_key: id,
      grp: null,
      state: 'open',
      worst,
      opened_at: now,
      updated_at: now,
      last_scan: null,
      notified_at: null,
      notified_rank: null,
      resolved_at: null,
    })
    .execute();
}

export interface OutboxSeed {
  id: string;
  case_id: string;
  to: string[];
  subject?: string;
  body?: string;
  attachments?: Array<{ filename: string; content: string }>;
  state?: string;
  template?: string;
}

export async function addMessage(store: Store, m: OutboxSeed, domain = 'example.org'): Promise<string> {
  const now = new Date().toISOString();
  const messageId = `<${m.id}@${domain}>`;
  await casesDb(store.db)
    .insertInto('outbox')
    .values({
      id: m.id,
      case_id: m.case_id,
      template: m.template ?? 'initial',
      language: 'en',
      to_addrs: JSON.stringify(m.to),
      subject: m.subject ?? `[${m.case_id}] Citrix ADC CVE-2019-19781: vulnerable appliance`,
      body: m.body ?? `Dear colleague,\n\nThe host 192.0.2.10 runs a vulnerable Citrix ADC.\nTicket ${m.case_id}.\n`,
      attachments: JSON.stringify(m.attachments ?? [{ filename: 'evidence.csv', content: 'ip,port,state\n192.0.2.10,443,vulnerable\n' }]),
      state: m.state ?? 'approved',
      message_id: messageId,
      created_at: now,
      approved_at: now,
      approved_by: 'test',
      sent_at: null,
      last_error: null,
      smtp_response: null,
    })
    .execute();
  return messageId;
}

export function notifyConfig(port: number, extra: Record<string, unknown> = {}, smtp: Record<string, unknown> = {}): NotifyConfig {
  return parseNotifyConfig({
    from: 'CERT Example <cert@example.org>',
    message_id_domain: 'example.org',
    max_attempts: 3,
    retry_delay_ms: 20,
    smtp: { host: '127.0.0.1', port, starttls: 'never', timeout_ms: 3000, ...smtp },
    ...extra,
  });
}

export async function outboxRow(store: Store, id: string) {
  return casesDb(store.db).selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

export async function caseRow(store: Store, id: string) {
  return casesDb(store.db).selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

export async function eventKinds(store: Store, id: string): Promise<string[]> {
  return (await casesDb(store.db).selectFrom('case_events').select('kind').where('case_id', '=', id).orderBy('id').execute()).map(
    (r) => r.kind,
  );
}
