/**
 * Notification delivery benchmark: N approved messages (one per case, a CSV attachment each) in a
 * temp SQLite store, delivered by `sendOutbox` to a local smtp-server on 127.0.0.1 with bounded
 * concurrency (one SMTP connection per message, as in production). Prints messages/s, peak RSS and
 * checks every message arrived exactly once. Optional OpenPGP signing (`--pgp`).
 *
 *   npx tsx bench/notify-send.ts [--count 1000] [--concurrency 8] [--pgp]
 *
 * Loopback only; bounded: at most 20,000 messages and 10 minutes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as openpgp from 'openpgp';
import { sendOutbox } from '../src/notify/send.js';
import { addCase, addMessage, notifyConfig, seededStore } from '../test/notify/delivery-seed.js';
import { startSmtp } from '../test/notify/smtp-server.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '8' },
    pgp: { type: 'boolean', default: false },
  },
});
const N = Math.max(1, Math.min(Number(values.count), 20_000));
const C = Math.max(1, Math.min(Number(values.concurrency), 64));

let peakRss = 0;
const rssTimer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);
const deadline = setTimeout(() => {
  console.error('notify-send bench: 10 minute limit reached, stopping');
  process.exit(2);
}, 600_000);

const s = await seededStore();
const smtp = await startSmtp({ parse: false });
try {
  const csv = `ip,port,host,build,state\n${Array.from({ length: 5 }, (_, i) => `192.0.2.${i + 1},443,vpn${i}.example.nl,13.0-47.22,vulnerable`).join('\n')}\n`;
  for (let i = 0; i < N; i++) {
    const id = `EW-2026-${String(i + 1).padStart(6, '0')}`;
    await addCase(s.store, id);
    await addMessage(s.store, {
      id: `ew-bench-${i}`,
      case_id: id,
      to: [`security@org${i}.example`],
      attachments: [{ filename: 'evidence.csv', content: csv }],
    });
  }
  let extra: Record<string, unknown> = {};
  const env = { ...process.env };
  if (values.pgp) {
    const k = await openpgp.generateKey({ userIDs: [{ name: 'Bench', email: 'cert@example.org' }], format: 'armored' });
    const keyFile = join(s.dir, 'key.asc');
    writeFileSync(keyFile, k.privateKey);
    extra = { pgp: { key: keyFile } };
  }
  const t0 = performance.now();
  const r = await sendOutbox(s.store.db, { config: notifyConfig(smtp.port, { ...extra, concurrency: C }, { timeout_ms: 30_000 }), env });
  const secs = (performance.now() - t0) / 1000;
  const ids = new Set(smtp.received.map((m) => m.parsed.messageId));
  const once = smtp.received.length === N && ids.size === N;
  console.log(
    JSON.stringify({
      bench: 'notify-send',
      messages: N,
      concurrency: C,
      pgp: values.pgp,
      sent: r.sent,
      failed: r.failed,
      uncertain: r.uncertain,
      seconds: Number(secs.toFixed(2)),
      messages_per_s: Number((N / secs).toFixed(1)),
      peak_rss_mb: Number((Math.max(peakRss, process.memoryUsage().rss) / 1048576).toFixed(1)),
      server_peak_sessions: smtp.peak,
      each_delivered_once: once,
    }),
  );
  if (!once || r.sent !== N) process.exitCode = 1;
} finally {
  clearInterval(rssTimer);
  clearTimeout(deadline);
  await smtp.close();
  await s.cleanup();
}
