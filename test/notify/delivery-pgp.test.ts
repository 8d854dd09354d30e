/**
 * OpenPGP clear-signing through a real SMTP server: the received text verifies with `openpgp`
 * against the public key, a tampered text does not, and the attachment's detached signature
 * verifies too. Key problems are typed errors.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEdgewatchError } from '../../src/errors.js';
import { loadSigner, verifyClearSigned, verifyDetached } from '../../src/notify/pgp.js';
import { sendOutbox } from '../../src/notify/send.js';
import { addCase, addMessage, notifyConfig, outboxRow, type Seeded, seededStore } from './delivery-seed.js';
import { startSmtp, type TestSmtp } from './smtp-server.js';

process.env.EDGEWATCH_SCOPE = '127.0.0.0/8';

let s: Seeded;
let smtp: TestSmtp;
let keyFile: string;
let publicKey: string;
let otherPublicKey: string;
const PASS = 'correct horse battery staple';

beforeAll(async () => {
  s = await seededStore();
  smtp = await startSmtp();
  const k = await openpgp.generateKey({
    userIDs: [{ name: 'CERT Example', email: 'cert@example.org' }],
    passphrase: PASS,
    format: 'armored',
  });
  const other = await openpgp.generateKey({ userIDs: [{ name: 'Someone Else', email: 'x@example.net' }], format: 'armored' });
  publicKey = k.publicKey;
  otherPublicKey = other.publicKey;
  keyFile = join(s.dir, 'signing.asc');
  writeFileSync(keyFile, k.privateKey);
});
afterAll(async () => {
  await smtp.close();
  await s.cleanup();
});

describe('OpenPGP clear-signing', () => {
  it('the delivered text and attachment verify against the public key; tampering fails', async () => {
    await addCase(s.store, 'EW-2020-000007');
    const body =
      'Beste collega,\n\nDe host 192.0.2.10 is kwetsbaar (CVE-2019-19781).   \n-- dashes and\n- a line starting with a dash\nFrom the start of a line\n';
    await addMessage(s.store, { id: 'ew-pgp', case_id: 'EW-2020-000007', to: ['a@org.example'], body });
    const cfg = notifyConfig(smtp.port, { pgp: { key: keyFile, passphrase_env: 'EW_TEST_PGP_PASS' } });
    const r = await sendOutbox(s.store.db, { config: cfg, env: { ...process.env, EW_TEST_PGP_PASS: PASS } });
    expect(r.sent).toBe(1);
    const got = smtp.received[0];
    const text = got.parsed.text ?? '';
    expect(text).toContain('-----BEGIN PGP SIGNED MESSAGE-----');

    const ok = await verifyClearSigned(text, publicKey);
    expect(ok.ok).toBe(true);
    if (ok.ok) expect(ok.text).toContain('De host 192.0.2.10 is kwetsbaar');

    const tampered = text.replace('192.0.2.10', '192.0.2.99');
    expect(tampered).not.toBe(text);
    expect((await verifyClearSigned(tampered, publicKey)).ok).toBe(false);
    expect((await verifyClearSigned(text, otherPublicKey)).ok).toBe(false);

    const csv = got.parsed.attachments.find((a) => a.filename === 'evidence.csv');
    const sig = got.parsed.attachments.find((a) => a.filename === 'evidence.csv.asc');
    expect(csv && sig).toBeTruthy();
    expect(await verifyDetached(csv?.content.toString('utf8') ?? '', sig?.content.toString('utf8') ?? '', publicKey)).toBe(true);
    expect(
      await verifyDetached(`${csv?.content.toString('utf8')}192.0.2.11,443,vulnerable\n`, sig?.content.toString('utf8') ?? '', publicKey),
    ).toBe(false);
    expect((await outboxRow(s.store, 'ew-pgp')).state).toBe('sent');
  });

  it('a missing or wrong passphrase is a typed error before anything is sent', async () => {
    const cfg = notifyConfig(smtp.port, { pgp: { key: keyFile, passphrase_env: 'EW_TEST_PGP_PASS' } });
    await expect(loadSigner(cfg, {})).rejects.toSatisfy((e) => isEdgewatchError(e, 'EW_NOTIFY_PGP'));
    await expect(loadSigner(cfg, { EW_TEST_PGP_PASS: 'wrong' })).rejects.toSatisfy((e) => isEdgewatchError(e, 'EW_NOTIFY_PGP'));
    const notAKey = join(s.dir, 'nokey.asc');
    writeFileSync(notAKey, 'hello');
    await expect(loadSigner(notifyConfig(smtp.port, { pgp: { key: notAKey } }), {})).rejects.toSatisfy((e) =>
      isEdgewatchError(e, 'EW_NOTIFY_PGP'),
    );
  });
});
