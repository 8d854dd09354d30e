/**
 * Delivery and ingest on a PostgreSQL store (fresh schema, dropped afterwards): the same state
 * changes as on SQLite — sent, refused (contact bad, case contact_needed), uncertain and resent
 * with the same Message-ID, a DSN marking the message bounced. Skips loudly without a local
 * PostgreSQL; required under CI=true.
 */
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { casesDb } from '../../src/cases/db.js';
import { ingestFiles } from '../../src/notify/ingest.js';
import { sendOutbox } from '../../src/notify/send.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { serviceGate } from '../helpers/services.js';
import { createPgSchema, dropPgSchemas, pgUrlFor } from '../store/dialects.js';
import { addCase, addMessage, caseRow, notifyConfig, outboxRow } from './delivery-seed.js';
import { startSmtp, type TestSmtp } from './smtp-server.js';

const gate = await serviceGate('postgres');

describe.skipIf(!gate.ok)('notify send / ingest on PostgreSQL', () => {
  let store: Store;
  let schema: string;
  let smtp: TestSmtp;

  beforeAll(async () => {
    schema = await createPgSchema('notify');
    store = await openStore({ dialect: 'postgres', url: pgUrlFor(schema) });
  });
  afterAll(async () => {
    await smtp?.close();
    await store?.close();
    await dropPgSchemas([schema]);
  });

  it('sent, refused, uncertain → resent, bounced', async () => {
    smtp = await startSmtp({ reject: ['nobody@hospital.example'], dropAfterData: 1 });
    await addCase(store, 'EW-2020-000001');
    await addCase(store, 'EW-2020-000002');
    // created in this order: the uncertain one goes first (concurrency 1), the server drops after its data
    const midU = await addMessage(store, { id: 'ew-dsn0001', case_id: 'EW-2020-000001', to: ['security@hospital.example'] });
    await new Promise((r) => setTimeout(r, 5));
    await addMessage(store, { id: 'ew-bad', case_id: 'EW-2020-000002', to: ['nobody@hospital.example'] });
    const r = await sendOutbox(store.db, { config: notifyConfig(smtp.port), concurrency: 1 });
    expect(r).toMatchObject({ sent: 0, failed: 1, uncertain: 1 });
    expect((await outboxRow(store, 'ew-bad')).state).toBe('failed');
    expect((await caseRow(store, 'EW-2020-000002')).state).toBe('contact_needed');
    expect((await casesDb(store.db).selectFrom('contacts').select('state').where('email', '=', 'nobody@hospital.example').executeTakeFirst())?.state).toBe('bad');

    const retry = await sendOutbox(store.db, { config: notifyConfig(smtp.port), retryUncertain: true });
    expect(retry.sent).toBe(1);
    expect(smtp.received.map((m) => m.parsed.messageId)).toEqual([midU]);
    expect((await caseRow(store, 'EW-2020-000001')).state).toBe('notified');

    const ing = await ingestFiles(store.db, [join(resolve(import.meta.dirname, '../fixtures/mail'), 'dsn-postfix.eml')]);
    expect(ing.bounces).toBe(1);
    expect((await outboxRow(store, 'ew-dsn0001')).state).toBe('bounced');
    expect((await caseRow(store, 'EW-2020-000001')).state).toBe('contact_needed');
  });
});
