/**
 * `notify ingest`: DSNs (Postfix text/rfc822-headers, message/rfc822, delayed), a classic qmail
 * bounce, replies (by In-Reply-To and by ticket), an auto-reply, an unmatched message, hostile
 * content, an mbox holding several messages, re-ingesting (no duplicates), and the CLI.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { casesDb } from '../../src/cases/db.js';
import { Cases } from '../../src/cases/repo.js';
import { isAutoReply, parseDsn } from '../../src/notify/dsn.js';
import { ingestFiles, splitMbox } from '../../src/notify/ingest.js';
import { addCase, addMessage, caseRow, outboxRow, type Seeded, seededStore } from './delivery-seed.js';

const MAIL = resolve(import.meta.dirname, '../fixtures/mail');
const f = (n: string) => join(MAIL, n);

let s: Seeded;

async function contactState(email: string): Promise<string | undefined> {
  return (await casesDb(s.store.db).selectFrom('contacts').select('state').where('email', '=', email).executeTakeFirst())?.state;
}

beforeAll(async () => {
  s = await seededStore();
  await addCase(s.store, 'EW-2020-000001');
  await addCase(s.store, 'EW-2020-000002');
  await addCase(s.store, 'EW-2020-000003');
  await addMessage(s.store, { id: 'ew-dsn0001', case_id: 'EW-2020-000001', to: ['security@hospital.example'], state: 'sent' });
  await addMessage(s.store, { id: 'ew-dsn0002', case_id: 'EW-2020-000002', to: ['soc@clinic.example'], state: 'sent' });
  await addMessage(s.store, { id: 'ew-dsn0003', case_id: 'EW-2020-000003', to: ['ict@gemeente.example'], state: 'sent' });
  await casesDb(s.store.db).updateTable('cases').set({ state: 'notified' }).execute();
});
afterAll(async () => {
  await s.cleanup();
});

describe('DSN parsing (no store)', () => {
  it('reads recipients, action, status and the original Message-ID', () => {
    const d = parseDsn(readFileSync(f('dsn-postfix.eml'), 'utf8'));
    expect(d).toMatchObject({
      reportingMta: 'mx.example.net',
      originalMessageId: '<ew-dsn0001@example.org>',
      originalTicket: 'EW-2020-000001',
      recipients: [{ recipient: 'security@hospital.example', action: 'failed', status: '5.1.1' }],
    });
    expect(d?.recipients[0].diagnostic).toMatch(/User unknown/);
    const d2 = parseDsn(readFileSync(f('dsn-delayed-rfc822.eml'), 'utf8'));
    expect(d2).toMatchObject({
      originalMessageId: '<ew-dsn0002@example.org>',
      recipients: [{ recipient: 'soc@clinic.example', action: 'delayed', status: '4.4.7' }],
    });
    expect(parseDsn(readFileSync(f('reply.eml'), 'utf8'))).toBeNull();
  });

  it('tells auto-replies from replies', () => {
    const h = (m: Record<string, string>) => (n: string) => m[n];
    expect(isAutoReply(h({ 'auto-submitted': 'auto-replied' }), 'Re: x')).toBe(true);
    expect(isAutoReply(h({ 'auto-submitted': 'no' }), 'Re: x')).toBe(false);
    expect(isAutoReply(h({ 'x-autoreply': 'yes' }), 'x')).toBe(true);
    expect(isAutoReply(h({}), 'Out of Office: [EW-2020-000001]')).toBe(true);
    expect(isAutoReply(h({}), 'Re: Automatisch antwoord: x')).toBe(true);
    expect(isAutoReply(h({}), 'Re: [EW-2020-000001] we patched')).toBe(false);
  });

  it('splits an mbox and undoes >From quoting', () => {
    const parts = splitMbox(readFileSync(f('feedback.mbox')));
    expect(parts).toHaveLength(3);
    expect(parts[1].toString()).toContain('\nFrom the team: thanks');
    expect(parts[0].toString().startsWith('From: MAILER-DAEMON@')).toBe(true);
  });
});

describe('notify ingest into the store', () => {
  it('bounces, delays, replies, auto-replies and unmatched messages land where they belong', async () => {
    const r = await ingestFiles(s.store.db, [
      f('dsn-postfix.eml'),
      f('dsn-delayed-rfc822.eml'),
      f('qmail-bounce.eml'),
      f('reply.eml'),
      f('reply-ticket-only.eml'),
      f('autoreply.eml'),
      f('unmatched.eml'),
    ]);
    expect(r).toMatchObject({ messages: 7, bounces: 2, delays: 1, replies: 2, autoReplies: 1, duplicates: 0 });
    expect(r.unmatched).toEqual([expect.objectContaining({ from: 'someone@random.example', subject: 'Hello' })]);

    // DSN: row bounced, contact bad, case contact_needed with the status in the history
    expect((await outboxRow(s.store, 'ew-dsn0001')).state).toBe('bounced');
    expect(await contactState('security@hospital.example')).toBe('bad');
    expect((await caseRow(s.store, 'EW-2020-000001')).state).toBe('contact_needed');
    const cases = new Cases(s.store.db);
    const ev1 = await cases.events('EW-2020-000001');
    expect(ev1.find((e) => e.kind === 'bounce')?.detail).toMatchObject({ email: 'security@hospital.example', status: '5.1.1' });
    const reply = ev1.find((e) => e.kind === 'reply');
    expect(reply?.detail).toMatchObject({ from: 'jan@hospital.example', in_reply_to: '<ew-dsn0001@example.org>' });
    expect(String(reply?.detail.excerpt)).toContain('applied the mitigation');

    // delayed: nothing changes but the history
    expect((await outboxRow(s.store, 'ew-dsn0002')).state).toBe('sent');
    expect(await contactState('soc@clinic.example')).toBeUndefined();
    expect((await caseRow(s.store, 'EW-2020-000002')).state).toBe('notified');
    const kinds2 = (await cases.events('EW-2020-000002')).map((e) => e.kind);
    expect(kinds2).toEqual(['delivery_delayed', 'auto_reply']);

    // classic qmail bounce
    expect((await outboxRow(s.store, 'ew-dsn0003')).state).toBe('bounced');
    expect(await contactState('ict@gemeente.example')).toBe('bad');
    const ev3 = await cases.events('EW-2020-000003');
    expect(ev3.map((e) => e.kind)).toEqual(expect.arrayContaining(['bounce', 'contact_needed', 'reply']));
    expect(ev3.find((e) => e.kind === 'reply')?.detail).toMatchObject({ in_reply_to: null, from: 'ict@gemeente.example' });

    // ingesting the mbox (same bounce and reply again + the unmatched one) adds nothing twice
    const again = await ingestFiles(s.store.db, [f('feedback.mbox')]);
    expect(again).toMatchObject({ messages: 3, duplicates: 2, bounces: 0, replies: 0 });
    expect(again.unmatched).toHaveLength(1);
    expect((await cases.events('EW-2020-000003')).length).toBe(ev3.length);
  });

  it('hostile content is bounded, stripped of controls and never rendered', async () => {
    const r = await ingestFiles(s.store.db, [f('hostile.eml')]);
    expect(r.replies).toBe(1);
    const ev = (await new Cases(s.store.db).events('EW-2020-000001')).filter((e) => e.kind === 'reply').pop();
    const d = ev?.detail as { subject: string; excerpt: string; from: string };
    expect(d.from).toBe('attacker@evil.example');
    expect(d.subject).not.toMatch(/[\u0000-\u001f]/);
    expect(d.excerpt).not.toContain('<script');
    expect(d.excerpt).not.toContain('alert(');
    expect(d.excerpt.length).toBeLessThanOrEqual(1000);
  });

  it('unreadable paths are typed errors; the CLI exits 1 when something did not match', async () => {
    await expect(ingestFiles(s.store.db, [join(MAIL, 'nope.eml')])).rejects.toMatchObject({ code: 'EW_NOTIFY_INGEST_READ' });
    await expect(ingestFiles(s.store.db, [MAIL])).rejects.toMatchObject({ code: 'EW_NOTIFY_INGEST_READ' });
    await s.store.close();
    const BIN = resolve(import.meta.dirname, '../../bin/edgewatch.js');
    const res = await new Promise<{ code: number | null; out: string }>((done) => {
      const c = spawn(process.execPath, [BIN, 'notify', 'ingest', f('unmatched.eml'), f('reply.eml'), '--db', s.file], {
        env: { ...process.env, EDGEWATCH_SCOPE: '127.0.0.0/8' },
      });
      let out = '';
      c.stdout.on('data', (x) => (out += x));
      c.stderr.on('data', (x) => (out += x));
      c.on('close', (code) => done({ code, out }));
    });
    expect(res.out).toContain('UNMATCHED');
    expect(res.out).toContain('1 already ingested');
    expect(res.code).toBe(1);
  });
});
