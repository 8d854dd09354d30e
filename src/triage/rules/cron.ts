/**
 * Crontabs (DOMAIN §4.2 rows 10, 20): any crontab of `nobody` (high); a crontab command that
 * starts with an IPv4 address or uses /var/tmp (medium). Sources: fs/var/cron/tabs/<user>,
 * fs/etc/crontab (system format), meta/crontab.txt (`# user: <name>` blocks), and the stat
 * listing (a nobody tab that exists but was not copied). The cron *logs* (row 11,
 * `cron-log-download`) are read by the log analysers (src/triage/logs/cron.ts).
 */
import { mtimeOf, type RuleContext } from '../context.js';
import { type CronEntry, parseCrontab, parseCrontabBlocks } from '../meta.js';
import { readHead } from '../read.js';

const TABS = '/var/cron/tabs/';
const IPV4_START = /^\s*(?:\d{1,3}\.){3}\d{1,3}/;

function judge(ctx: RuleContext, e: CronEntry, path: string, time: string | undefined): void {
  if (e.user === 'nobody') {
    ctx.out.add('cron-nobody', { confidence: 'high', path, line: e.line, excerpt: e.raw, time, title: 'crontab entry of nobody' });
  } else if (IPV4_START.test(e.command) || e.command.includes('/var/tmp')) {
    ctx.out.add('cron-nobody', {
      confidence: 'medium',
      path,
      line: e.line,
      excerpt: e.raw,
      time,
      title: `suspicious cron command of ${e.user} (starts with an IPv4 address or uses /var/tmp)`,
    });
  }
}

export async function cronRules(ctx: RuleContext): Promise<void> {
  let sources = 0;
  const seen = new Set<string>();
  // Crontab files.
  const tabs = ctx.files.filter((p) => p.startsWith(TABS) && !p.slice(TABS.length).includes('/'));
  for (const path of tabs) {
    sources++;
    const user = path.slice(TABS.length);
    const time = mtimeOf(ctx, path);
    const body = ctx.c.has(path) ? await readHead(ctx.c, path, 1024 * 1024, ctx.warnings) : null;
    const entries = body ? parseCrontab(body.toString('latin1'), user) : [];
    if (user === 'nobody' && entries.length === 0) {
      ctx.out.add('cron-nobody', {
        confidence: 'high',
        path,
        excerpt: `${path} exists (a crontab for nobody)`,
        time,
        title: 'crontab of nobody',
      });
    }
    for (const e of entries) {
      seen.add(`${e.user}\0${e.raw.trim()}`);
      judge(ctx, e, path, time);
    }
  }
  for (const path of ['/etc/crontab']) {
    if (!ctx.c.has(path)) continue;
    sources++;
    const body = await readHead(ctx.c, path, 1024 * 1024, ctx.warnings);
    for (const e of body ? parseCrontab(body.toString('latin1'), 'root', true) : []) judge(ctx, e, path, mtimeOf(ctx, path));
  }
  if (ctx.meta.crontab !== null) {
    sources++;
    // `crontab -l` repeats the collected tab files: an entry already judged there is not judged twice.
    for (const e of parseCrontabBlocks(ctx.meta.crontab)) if (!seen.has(`${e.user}\0${e.raw.trim()}`)) judge(ctx, e, 'meta/crontab.txt', undefined);
  }
  if (sources === 0) ctx.notChecked.push('crontabs (§4.2#10, #20): no fs/var/cron/tabs/, fs/etc/crontab or meta/crontab.txt');
}
