/**
 * `notify send` against a REAL SMTP server on 127.0.0.1 (smtp-server): delivery exactly once with
 * the right envelope, headers and attachment; STARTTLS / implicit TLS with a self-signed
 * certificate and AUTH; refusals, dropped connections, deferrals, uncertain hand-over; header
 * injection; dry run.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { casesDb } from '../../src/cases/db.js';
import { sendOutbox } from '../../src/notify/send.js';
import { addCase, addMessage, caseRow, eventKinds, notifyConfig, outboxRow, type Seeded, seededStore } from './delivery-seed.js';
import { selfSigned, startSmtp, type TestSmtp } from './smtp-server.js';

process.env.EDGEWATCH_SCOPE = '127.0.0.0/8';

let s: Seeded;
let smtp: TestSmtp | null = null;

beforeEach(async () => {
  s = await seededStore();
});
afterEach(async () => {
  await smtp?.close();
  smtp = null;
  await s.cleanup();
});

describe('notify send: plain SMTP', () => {
  it('delivers each approved message once, with recipients, attachment, ticket header and Message-ID', async () => {
    smtp = await startSmtp();
    await addCase(s.store, 'EW-2020-000001');
    await addCase(s.store, 'EW-2020-000002', 'compromised');
    const mid1 = await addMessage(s.store, {
      id: 'ew-aaa1',
      case_id: 'EW-2020-000001',
      to: ['security@hospital.example', 'abuse@isp.example'],
    });
    const mid2 = await addMessage(s.store, { id: 'ew-bbb2', case_id: 'EW-2020-000002', to: ['cert@clinic.example'] });
    await addMessage(s.store, { id: 'ew-draft', case_id: 'EW-2020-000002', to: ['cert@clinic.example'], state: 'draft' });

    const r = await sendOutbox(s.store.db, { config: notifyConfig(smtp.port) });
    expect(r).toMatchObject({ considered: 2, sent: 2, failed: 0, uncertain: 0, retried: 0 });
    expect(smtp.received).toHaveLength(2);
    const m1 = smtp.received.find((m) => m.parsed.messageId === mid1);
    expect(m1).toBeDefined();
    expect(m1?.to.sort()).toEqual(['abuse@isp.example', 'security@hospital.example']);
    expect(m1?.from).toBe('cert@example.org');
    expect(m1?.parsed.headers.get('x-edgewatch-ticket')).toBe('EW-2020-000001');
    expect(m1?.parsed.subject).toBe('[EW-2020-000001] Citrix ADC CVE-2019-19781: vulnerable appliance');
    expect(m1?.parsed.replyTo?.value[0].address).toBe('cert@example.org');
    expect(m1?.parsed.text).toContain('vulnerable Citrix ADC');
    expect(m1?.parsed.attachments).toHaveLength(1);
    expect(m1?.parsed.attachments[0].filename).toBe('evidence.csv');
    expect(m1?.parsed.attachments[0].content.toString()).toContain('192.0.2.10,443,vulnerable');
    expect(smtp.received.find((m) => m.parsed.messageId === mid2)?.to).toEqual(['cert@clinic.example']);

    const row = await outboxRow(s.store, 'ew-aaa1');
    expect(row.state).toBe('sent');
    expect(row.sent_at).toBeTruthy();
    expect(row.smtp_response).toMatch(/^250 /);
    expect(Number(row.attempts)).toBe(1);
    expect((await caseRow(s.store, 'EW-2020-000001')).state).toBe('notified');
    expect((await caseRow(s.store, 'EW-2020-000002')).notified_rank).toBe(3);
    expect(await eventKinds(s.store, 'EW-2020-000001')).toContain('notified');
    expect((await outboxRow(s.store, 'ew-draft')).state).toBe('draft');

    // A second run sends nothing again.
    const again = await sendOutbox(s.store.db, { config: notifyConfig(smtp.port) });
    expect(again.considered).toBe(0);
    expect(smtp.received).toHaveLength(2);
  });

  it('bounded concurrency: 30 messages, at most N connections at once, each delivered once', async () => {
    smtp = await startSmtp({ dataDelayMs: 20 });
    await addCase(s.store, 'EW-2020-000001');
    for (let i = 0; i < 30; i++) await addMessage(s.store, { id: `ew-c${i}`, case_id: 'EW-2020-000001', to: [`a${i}@org.example`] });
    const r = await sendOutbox(s.store.db, { config: notifyConfig(smtp.port), concurrency: 4 });
    expect(r.sent).toBe(30);
    const ids = smtp.received.map((m) => m.parsed.messageId);
    expect(new Set(ids).size).toBe(30);
    expect(smtp.connections).toBe(30);
    expect(smtp.peak).toBeLessThanOrEqual(4);
    expect(smtp.peak).toBeGreaterThan(1);
  });

  it('leaves out contacts marked bad; fails visibly when none is left', async () => {
    smtp = await startSmtp();
    await addCase(s.store, 'EW-2020-000001');
    await casesDb(s.store.db)
      .insertInto('contacts')
      .values({ email: 'gone@org.example', state: 'bad', reason: 'bounced', updated_at: 'x' })
      .execute();
    await addMessage(s.store, { id: 'ew-1', case_id: 'EW-2020-000001', to: ['gone@org.example', 'ok@org.example'] });
    await addMessage(s.store, { id: 'ew-2', case_id: 'EW-2020-000001', to: ['gone@org.example'] });
    const r = await sendOutbox(s.store.db, { config: notifyConfig(smtp.port) });
    expect(r.sent).toBe(1);
    expect(r.failed).toBe(1);
    expect(smtp.received[0].to).toEqual(['ok@org.example']);
    expect((await outboxRow(s.store, 'ew-2')).last_error).toMatch(/marked bad/);
  });
});

describe('notify send: TLS and AUTH', () => {
  it('STARTTLS required + AUTH, verifying the self-signed certificate through the ca file', async () => {
    const cert = await selfSigned();
    smtp = await startSmtp({ tls: cert, auth: { user: 'sender', pass: 's3cret-pass' } });
    const caFile = join(s.dir, 'ca.pem');
    writeFileSync(caFile, cert.certPem);
    await addCase(s.store, 'EW-2020-000001');
    await addMessage(s.store, { id: 'ew-tls', case_id: 'EW-2020-000001', to: ['a@org.example'] });
    const cfg = notifyConfig(
      smtp.port,
      {},
      { starttls: 'required', user: 'sender', pass_env: 'EW_TEST_SMTP_PASS', ca: caFile, tls_verify: true },
    );
    const r = await sendOutbox(s.store.db, { config: cfg, env: { ...process.env, EW_TEST_SMTP_PASS: 's3cret-pass' } });
    expect(r.sent).toBe(1);
    expect(smtp.received[0].secure).toBe(true);
    expect(smtp.received[0].user).toBe('sender');
  });

  it('implicit TLS (secure: true)', async () => {
    const cert = await selfSigned();
    smtp = await startSmtp({ secure: true, tls: cert });
    const caFile = join(s.dir, 'ca.pem');
    writeFileSync(caFile, cert.certPem);
    await addCase(s.store, 'EW-2020-000001');
    await addMessage(s.store, { id: 'ew-tls', case_id: 'EW-2020-000001', to: ['a@org.example'] });
    const r = await sendOutbox(s.store.db, { config: notifyConfig(smtp.port, {}, { secure: true, ca: caFile }) });
    expect(r.sent).toBe(1);
    expect(smtp.received[0].secure).toBe(true);
  });

  it('an unverifiable certificate stops the run; the message stays approved and nothing is sent', async () => {
    smtp = await startSmtp({ tls: await selfSigned() });
    await addCase(s.store, 'EW-2020-000001');
    await addMessage(s.store, { id: 'ew-1', case_id: 'EW-2020-000001', to: ['a@org.example'] });
    await addMessage(s.store, { id: 'ew-2', case_id: 'EW-2020-000001', to: ['b@org.example'] });
    const r = await sendOutbox(s.store.db, { config: notifyConfig(smtp.port, {}, { starttls: 'required' }), concurrency: 1 });
    expect(r.aborted).toMatch(/certificate/i);
    expect(r.sent).toBe(0);
    expect(smtp.received).toHaveLength(0);
    expect((await outboxRow(s.store, 'ew-1')).state).toBe('approved');
    expect((await outboxRow(s.store, 'ew-2')).state).toBe('approved');
  });

  it('a wrong password stops the run (fatal), nothing is marked failed', async () => {
    smtp = await startSmtp({ tls: await selfSigned(), auth: { user: 'sender', pass: 'right' } });
    await addCase(s.store, 'EW-2020-000001');
    await addMessage(s.store, { id: 'ew-1', case_id: 'EW-2020-000001', to: ['a@org.example'] });
    const r = await sendOutbox(s.store.db, {
      config: notifyConfig(smtp.port, {}, { starttls: 'required', tls_verify: false, user: 'sender', pass: 'wrong' }),
    });
    expect(r.aborted).toBeTruthy();
    expect((await outboxRow(s.store, 'ew-1')).state).toBe('approved');
  });
});

describe('notify send: failures are retried or visible, never silent', () => {
  it('550 on RCPT: failed, contact bad, case contact_needed', async () => {
    smtp = await startSmtp({ reject: ['nobody@hospital.example'] });
    await addCase(s.store, 'EW-2020-000001');
    await addMessage(s.store, { id: 'ew-1', case_id: 'EW-2020-000001', to: ['nobody@hospital.example'] });
    const r = await sendOutbox(s.store.db, { config: notifyConfig(smtp.port) });
    expect(r).toMatchObject({ sent: 0, failed: 1, retried: 0 });
    expect(smtp.received).toHaveLength(0);
    const row = await outboxRow(s.store, 'ew-1');
    expect(row.state).toBe('failed');
    expect(row.last_error).toMatch(/550/);
    const c = await casesDb(s.store.db)
      .selectFrom('contacts')
      .selectAll()
      .where('email', '=', 'nobody@hospital.example')
      .executeTakeFirstOrThrow();
    expect(c.state).toBe('bad');
    expect((await caseRow(s.store, 'EW-2020-000001')).state).toBe('contact_needed');
    expect(await eventKinds(s.store, 'EW-2020-000001')).toEqual(expect.arrayContaining(['send_failed', 'contact_needed']));
  });

  it('one recipient of two refused: sent to the other, the refused one marked bad', async () => {
    smtp = await startSmtp({ reject: ['nobody@hospital.example'] });
    await addCase(s.store, 'EW-2020-000001');
    await addMessage(s.store, { id: 'ew-1', case_id: 'EW-2020-000001', to: ['nobody@hospital.example', 'soc@hospital.example'] });
    const r = await sendOutbox(s.store.db, { config: notifyConfig(smtp.port) });
    expect(r.sent).toBe(1);
    expect(smtp.received[0].to).toEqual(['soc@hospital.example']);
    const c = await casesDb(s.store.db)
      .selectFrom('contacts')
      .selectAll()
      .where('email', '=', 'nobody@hospital.example')
      .executeTakeFirstOrThrow();
    expect(c.state).toBe('bad');
    expect((await caseRow(s.store, 'EW-2020-000001')).state).toBe('notified');
  });

  it('dropped connections are retried with backoff, then succeed', async () => {
    smtp = await startSmtp({ dropConnections: 2 });
    await addCase(s.store, 'EW-2020-000001');
    await addMessage(s.store, { id: 'ew-1', case_id: 'EW-2020-000001', to: ['a@org.example'] });
    const r = await sendOutbox(s.store.db, { config: notifyConfig(smtp.port) });
    expect(r).toMatchObject({ sent: 1, retried: 2, failed: 0 });
    expect(smtp.received).toHaveLength(1);
    expect(Number((await outboxRow(s.store, 'ew-1')).attempts)).toBe(3);
  });

  it('a server that keeps dropping: failed after max_attempts with the error kept', async () => {
    smtp = await startSmtp({ dropConnections: 100 });
    await addCase(s.store, 'EW-2020-000001');
    await addMessage(s.store, { id: 'ew-1', case_id: 'EW-2020-000001', to: ['a@org.example'] });
    const r = await sendOutbox(s.store.db, { config: notifyConfig(smtp.port) });
    expect(r).toMatchObject({ sent: 0, failed: 1, retried: 2 });
    const row = await outboxRow(s.store, 'ew-1');
    expect(row.state).toBe('failed');
    expect(Number(row.attempts)).toBe(3);
    expect(row.last_error).toMatch(/after 3 attempts/);
    expect(r.problems[0].id).toBe('ew-1');
    // --retry-failed tries again once the server is back
    await smtp.close();
    smtp = await startSmtp();
    const again = await sendOutbox(s.store.db, { config: notifyConfig(smtp.port), retryFailed: true });
    expect(again.sent).toBe(1);
  });

  it('connection refused (no server): retried, then failed', async () => {
    const probe = await startSmtp();
    const port = probe.port;
    await probe.close();
    await addCase(s.store, 'EW-2020-000001');
    await addMessage(s.store, { id: 'ew-1', case_id: 'EW-2020-000001', to: ['a@org.example'] });
    const r = await sendOutbox(s.store.db, { config: notifyConfig(port, { max_attempts: 2 }) });
    expect(r).toMatchObject({ failed: 1, retried: 1 });
    expect((await outboxRow(s.store, 'ew-1')).last_error).toMatch(/ECONNREFUSED|connect|refused/i);
  });

  it('451 at end of data is retried', async () => {
    smtp = await startSmtp({ tempfailData: 1 });
    await addCase(s.store, 'EW-2020-000001');
    await addMessage(s.store, { id: 'ew-1', case_id: 'EW-2020-000001', to: ['a@org.example'] });
    const r = await sendOutbox(s.store.db, { config: notifyConfig(smtp.port) });
    expect(r).toMatchObject({ sent: 1, retried: 1 });
    expect(smtp.received).toHaveLength(1);
  });

  it('connection lost after the whole message was handed over: uncertain, not resent; --retry-uncertain resends with the same Message-ID', async () => {
    smtp = await startSmtp({ dropAfterData: 1 });
    await addCase(s.store, 'EW-2020-000001');
    const mid = await addMessage(s.store, { id: 'ew-1', case_id: 'EW-2020-000001', to: ['a@org.example'] });
    const r = await sendOutbox(s.store.db, { config: notifyConfig(smtp.port) });
    expect(r).toMatchObject({ sent: 0, uncertain: 1, retried: 0, failed: 0 });
    expect(r.pendingUncertain).toEqual([expect.objectContaining({ id: 'ew-1', message_id: mid })]);
    expect((await outboxRow(s.store, 'ew-1')).state).toBe('uncertain');
    expect(await eventKinds(s.store, 'EW-2020-000001')).toContain('send_uncertain');

    const plain = await sendOutbox(s.store.db, { config: notifyConfig(smtp.port) });
    expect(plain.considered).toBe(0);
    expect(plain.pendingUncertain).toHaveLength(1);

    const retry = await sendOutbox(s.store.db, { config: notifyConfig(smtp.port), retryUncertain: true });
    expect(retry.sent).toBe(1);
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0].parsed.messageId).toBe(mid);
    expect((await outboxRow(s.store, 'ew-1')).state).toBe('sent');
  });
});

describe('notify send: header injection and dry run', () => {
  it('CR/LF in subject or recipients never reaches nodemailer: the row fails visibly, nothing is sent', async () => {
    smtp = await startSmtp();
    await addCase(s.store, 'EW-2020-000001');
    await addMessage(s.store, {
      id: 'ew-subj',
      case_id: 'EW-2020-000001',
      to: ['a@org.example'],
      subject: 'Hospital\r\nBcc: attacker@evil.example',
    });
    await addMessage(s.store, { id: 'ew-to', case_id: 'EW-2020-000001', to: ['a@org.example\r\nBcc: attacker@evil.example'] });
    await addMessage(s.store, { id: 'ew-name', case_id: 'EW-2020-000001', to: ['"Evil, Inc" <attacker@evil.example>'] });
    await addMessage(s.store, {
      id: 'ew-att',
      case_id: 'EW-2020-000001',
      to: ['b@org.example'],
      body: 'Title seen: <script>alert(1)</script>\r\nBcc: attacker@evil.example\r\n',
      attachments: [{ filename: '../../etc/passwd\r\nX-Evil: 1.csv', content: 'a,b\n' }],
    });
    const r = await sendOutbox(s.store.db, { config: notifyConfig(smtp.port) });
    expect(r.failed).toBe(3);
    expect(r.sent).toBe(1);
    for (const id of ['ew-subj', 'ew-to', 'ew-name']) {
      const row = await outboxRow(s.store, id);
      expect(row.state).toBe('failed');
      expect(row.last_error).toMatch(/control character|not a plain e-mail address/);
    }
    expect(smtp.received).toHaveLength(1);
    const got = smtp.received[0];
    expect(got.to).toEqual(['b@org.example']);
    const head = got.raw.toString('utf8').split(/\r?\n\r?\n/)[0];
    expect(head).not.toMatch(/^Bcc:/im);
    expect(head).not.toMatch(/^X-Evil:/im);
    expect(got.parsed.headers.has('x-evil')).toBe(false);
    expect(got.parsed.attachments[0].filename).not.toMatch(/[/\r\n]/);
  });

  it('dry run writes one .eml per message and changes nothing', async () => {
    await addCase(s.store, 'EW-2020-000001');
    const mid = await addMessage(s.store, { id: 'ew-1', case_id: 'EW-2020-000001', to: ['a@org.example'] });
    await addMessage(s.store, { id: 'ew-2', case_id: 'EW-2020-000001', to: ['b@org.example'] });
    const out = mkdtempSync(join(tmpdir(), 'ew-dry-'));
    // port 1: nothing listens there, and nothing must try
    const r = await sendOutbox(s.store.db, { config: notifyConfig(1), dryRunDir: out });
    expect(r.written).toHaveLength(2);
    expect(readdirSync(out).sort()).toEqual(['ew-1.eml', 'ew-2.eml']);
    const eml = readFileSync(join(out, 'ew-1.eml'), 'utf8');
    expect(eml).toContain(`Message-ID: ${mid}`);
    expect(eml).toContain('X-Edgewatch-Ticket: EW-2020-000001');
    expect(eml).toContain('evidence.csv');
    const row = await outboxRow(s.store, 'ew-1');
    expect(row.state).toBe('approved');
    expect(Number(row.attempts)).toBe(0);
    expect((await caseRow(s.store, 'EW-2020-000001')).state).toBe('open');
  });
});
