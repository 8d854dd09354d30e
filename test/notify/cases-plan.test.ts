/**
 * Cases and planning, end to end over a real SQLite store: one case per owner (not per host),
 * messages in the owner's language with the evidence attached, no second message within the
 * interval unless things got worse, escalation after N days, "not re-observed" and unreachable
 * never counted as fixed, resolution with a "check for compromise" notice, hostile names cleaned.
 */
import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Cases } from '../../src/cases/repo.js';
import { updateCases } from '../../src/cases/update.js';
import { parseNotifyConfig } from '../../src/notify/config.js';
import { markContact } from '../../src/notify/contacts.js';
import { approve, getMessage, listOutbox } from '../../src/notify/outbox.js';
import { planNotifications } from '../../src/notify/plan.js';
import type { Store } from '../../src/store/types.js';
import { addOrg, attribute, newStore, rec, scanOf } from './fixture.js';

const HOSTILE = 'Evil Clinic\r\nBcc: attacker@evil.example\r\n\r\n<script>alert(1)</script>';
const cfg = parseNotifyConfig({ from: 'CERT Test <cert@cert.example>', team: 'CERT Test', interval_days: 7, escalate_after_days: 14 });
const DAY = 86_400_000;

let store: Store;
let dir: string;

beforeEach(async () => {
  ({ store, dir } = await newStore());
  await addOrg(store, 'zkh', 'Ziekenhuis Noord', 'nl', ['cert@zkh.example', 'it@zkh.example']);
  await addOrg(store, 'evil', HOSTILE, 'en', ['soc@evil-clinic.example']);
  for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) await attribute(store, ip, 'zkh');
  await attribute(store, '192.0.2.9', 'evil');
  await attribute(store, '198.51.100.7', null, 'AS64500|abuse@net.example');
  await attribute(store, '198.51.100.8', null, 'AS64500|abuse@net.example');
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function day0(): Promise<string> {
  return scanOf(store, 'day 0', [
    rec('192.0.2.1', { state: 'vulnerable', host: 'vpn.zkh.example' }),
    rec('192.0.2.2', { state: 'mitigated' }),
    rec('192.0.2.3', { state: 'vulnerable' }),
    rec('192.0.2.9', { state: 'patched', compromised: true, host: '<img src=x onerror=alert(1)>.example' }),
    rec('198.51.100.7', { state: 'vulnerable' }),
    rec('198.51.100.8', { state: 'patched' }),
  ]);
}

describe('cases from scans', () => {
  it('one case per owner with only the hosts that need action; idempotent', async () => {
    const s0 = await day0();
    const sum = await updateCases(store, s0);
    expect(sum).toMatchObject({ opened: 3, hostsAdded: 5, resolved: 0 });
    const cases = new Cases(store.db);
    const list = await cases.list();
    expect(list.map((c) => [c.owner, c.state, c.worst])).toEqual([
      ['org:zkh', 'open', 'vulnerable'],
      ['org:evil', 'open', 'patched_compromised'],
      ['grp:AS64500|abuse@net.example', 'open', 'vulnerable'],
    ]);
    expect(list.map((c) => c.id)).toEqual(expect.arrayContaining([expect.stringMatching(/^EW-\d{4}-0000\d\d$/)]));
    const again = await updateCases(store, s0);
    expect(again).toMatchObject({ opened: 0, hostsAdded: 0, hostsFixed: 0, resolved: 0, notReobserved: 0 });
    const events = await cases.events(list[0].id);
    expect(events.filter((e) => e.kind === 'host_added')).toHaveLength(3);
  });

  it('unreachable or not re-observed hosts are never fixed; a clean rescan fixes and resolves', async () => {
    const s0 = await day0();
    await updateCases(store, s0);
    const zkh = (await new Cases(store.db).list())[0];
    // Day 1: .1 patched, .2 unreachable, .3 not scanned at all.
    const s1 = await scanOf(store, 'day 1', [rec('192.0.2.1', { state: 'patched', version: '13.0-47.24' }), rec('192.0.2.2', { status: 'unreachable' })]);
    const sum = await updateCases(store, s1);
    expect(sum).toMatchObject({ hostsFixed: 1, notReobserved: 1, resolved: 0 });
    const hosts = await new Cases(store.db).hosts(zkh.id);
    expect(hosts.map((h) => [h.ip, h.state])).toEqual([
      ['192.0.2.1', 'fixed'],
      ['192.0.2.2', 'open'],
      ['192.0.2.3', 'open'],
    ]);
    // Day 2: everything patched → resolved.
    const s2 = await scanOf(store, 'day 2', [rec('192.0.2.2', { state: 'patched' }), rec('192.0.2.3', { state: 'patched' })]);
    await updateCases(store, s2);
    expect((await new Cases(store.db).get(zkh.id)).state).toBe('resolved');
  });
});

describe('planning messages', () => {
  it('drafts one message per case in the owner’s language, with evidence, to good contacts only', async () => {
    await updateCases(store, await day0());
    const r = await planNotifications(store.db, { config: cfg });
    expect(r.planned).toHaveLength(3);
    const [zkh, evil, grp] = r.planned;
    expect(zkh).toMatchObject({ template: 'initial', language: 'nl', to: ['cert@zkh.example', 'it@zkh.example'] });
    expect(zkh.subject).toMatch(/^\[EW-\d{4}-\d{6}\] AMBER: kwetsbare Citrix ADC \/ Gateway \(NetScaler\) op 3 systeem/);
    const m = await getMessage(store.db, zkh.id);
    expect(m.body).toContain('192.0.2.1:443 (vpn.zkh.example), build 13.0-47.22; CVE-2019-19781: vulnerable');
    expect(m.body).toContain('192.0.2.2:443, build 13.0-47.22; CVE-2019-19781: mitigated');
    expect(m.body).toContain('TLP:AMBER');
    expect(m.message_id).toBe(`<ew-${zkh.id}@cert.example>`);
    const csv = m.attachments[0];
    expect(csv.filename).toMatch(/-evidence\.csv$/);
    expect(csv.content.split('\n')[0]).toMatch(/^ticket,tlp,ip,port/);
    expect(csv.content).toContain('GET /vpn/../vpns/cfg/smb.conf HTTP/1.1 -> 200');

    // The patched-but-compromised owner gets that message, in English.
    expect(evil.language).toBe('en');
    const e = await getMessage(store.db, evil.id);
    expect(e.subject).toContain('patched but compromised');
    expect(e.body).toContain('Patching did not remove them');
    expect(e.body).toContain('COMPROMISED (citrix-webshell-2020-themes/tiny)');
    // Hostile organisation name: no header break-out, no control characters anywhere.
    expect(e.subject).not.toMatch(/[\r\n]/);
    expect(e.body).not.toMatch(/\r/);
    expect(e.body).not.toMatch(/\nBcc:/);
    // Unmatched hosts: by network and abuse contact.
    expect(grp.to).toEqual(['abuse@net.example']);

    // Planning again: nothing new.
    const again = await planNotifications(store.db, { config: cfg });
    expect(again.planned).toHaveLength(0);
    expect(await listOutbox(store.db)).toHaveLength(3);
  });

  it('throttles within the interval, follows up early when worse, escalates after N days, and says when fixed', async () => {
    const t0 = new Date('2026-01-10T10:00:00Z');
    await updateCases(store, await day0(), { now: t0 });
    const first = await planNotifications(store.db, { config: cfg, now: t0, cases: undefined });
    const zkhMsg = first.planned[0];
    expect(await approve(store.db, { caseId: zkhMsg.case_id }, 'test')).toBe(1);
    const cases = new Cases(store.db);
    // Delivery (send.ts) records it like this:
    await cases.markNotified(zkhMsg.case_id, { messageId: 'x', template: 'initial', rank: 2, to: zkhMsg.to });
    await store.db.updateTable('outbox' as never).set({ state: 'sent' } as never).execute();
    const notifiedAt = (await cases.get(zkhMsg.case_id)).notified_at as string;

    // Two days later, same situation: throttled.
    const t2 = new Date(Date.parse(notifiedAt) + 2 * DAY);
    const s1 = await scanOf(store, 'day 2', [rec('192.0.2.1'), rec('192.0.2.2', { state: 'mitigated' }), rec('192.0.2.3')]);
    await updateCases(store, s1, { now: t2 });
    let p = await planNotifications(store.db, { config: cfg, now: t2, cases: [zkhMsg.case_id] });
    expect(p.planned).toHaveLength(0);
    expect(p.skipped[0].reason).toMatch(/^throttled/);

    // Three days later a host is compromised: worse, so a message is due at once.
    const t3 = new Date(Date.parse(notifiedAt) + 3 * DAY);
    const s2 = await scanOf(store, 'day 3', [rec('192.0.2.1', { compromised: true }), rec('192.0.2.2', { state: 'mitigated' }), rec('192.0.2.3')]);
    await updateCases(store, s2, { now: t3 });
    p = await planNotifications(store.db, { config: cfg, now: t3, cases: [zkhMsg.case_id] });
    expect(p.planned.map((x) => x.template)).toEqual(['escalation']);
    expect(p.planned[0].subject).toContain('ga uit van een inbraak');
    await approve(store.db, { all: true }, 'test');
    await cases.markNotified(zkhMsg.case_id, { messageId: 'y', template: 'escalation', rank: 3, to: zkhMsg.to });
    await store.db.updateTable('outbox' as never).set({ state: 'sent' } as never).execute();

    // Fifteen days after that, still open: escalated.
    const t4 = new Date(Date.parse((await cases.get(zkhMsg.case_id)).notified_at as string) + 15 * DAY);
    const s3 = await scanOf(store, 'day 18', [rec('192.0.2.1', { compromised: true }), rec('192.0.2.2', { state: 'mitigated' }), rec('192.0.2.3')]);
    expect((await updateCases(store, s3, { now: t4 })).escalated).toBe(1);
    expect((await cases.get(zkhMsg.case_id)).state).toBe('escalated');

    // Everything fixed: resolved, and a "now fixed — check for compromise" message.
    const s4 = await scanOf(store, 'day 30', [rec('192.0.2.1', { state: 'patched' }), rec('192.0.2.2', { state: 'patched' }), rec('192.0.2.3', { state: 'patched' })]);
    await updateCases(store, s4, { now: new Date(t4.getTime() + 12 * DAY) });
    expect((await cases.get(zkhMsg.case_id)).state).toBe('resolved');
    p = await planNotifications(store.db, { config: cfg, now: new Date(t4.getTime() + 12 * DAY), cases: [zkhMsg.case_id] });
    expect(p.planned.map((x) => x.template)).toEqual(['resolved']);
    const body = (await getMessage(store.db, p.planned[0].id)).body;
    expect(body).toContain('edgewatch collect-script');
    const history = (await cases.events(zkhMsg.case_id)).map((e) => e.kind);
    expect(history).toEqual(expect.arrayContaining(['opened', 'host_added', 'message_planned', 'message_approved', 'notified', 'escalated', 'host_fixed', 'resolved']));
  });

  it('a bounced contact is left out; with none left the case needs a contact', async () => {
    await updateCases(store, await day0());
    await markContact(store.db, 'abuse@net.example', 'bad', '550 5.1.1 user unknown');
    await markContact(store.db, 'it@zkh.example', 'bad', '550 5.1.1 user unknown');
    const r = await planNotifications(store.db, { config: cfg });
    expect(r.planned.find((p) => p.to.includes('cert@zkh.example'))?.to).toEqual(['cert@zkh.example']);
    const grp = (await new Cases(store.db).list()).find((c) => c.owner.startsWith('grp:'));
    expect(grp?.state).toBe('contact_needed');
    expect(r.skipped.find((s) => s.case_id === grp?.id)?.reason).toMatch(/contact needed/);
  });

  it('templates with an unknown placeholder are refused with file and line', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    mkdirSync(join(dir, 'tpl', 'en'), { recursive: true });
    writeFileSync(join(dir, 'tpl', 'en', 'initial.txt'), 'Subject: [{{ticket}}] hello\n\nline one\n{{nonsense}}\n');
    const bad = parseNotifyConfig({ templates: join(dir, 'tpl') });
    await updateCases(store, await day0());
    await expect(planNotifications(store.db, { config: bad })).rejects.toMatchObject({ code: 'EW_NOTIFY_TEMPLATE', line: 4 });
  });
});
