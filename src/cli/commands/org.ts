/**
 * CLI: organisations of the user's constituencies and the `host` view.
 *
 *   edgewatch org import FILE [--format yaml|csv] [--replace] [--dry-run] [-j]
 *   edgewatch org list [--sector S] [--constituency C] [-j]
 *   edgewatch org show KEY [-j]
 *   edgewatch org assign IP|CIDR KEY [--note TEXT]      (manual override; survives imports)
 *   edgewatch org unassign IP|CIDR
 *   edgewatch org overrides [-j]
 *   edgewatch org match IP [--asn N] [--name NAME…] [-j] (explain matching without a scan)
 *   edgewatch host IP [-j]                               (everything known about an address)
 *
 * Output is safe for a terminal: control characters in stored text are escaped.
 */
import type { Command } from 'commander';
import { cleanText } from '../../enrich/org/clean.js';
import { type HostView, hostView } from '../../enrich/org/host.js';
import { buildOrgMatcher, importOrganisations, loadOrgMatcher, type Organisation } from '../../enrich/org/index.js';
import type { Attribution, HostName } from '../../enrich/types.js';
import { EdgewatchError } from '../../errors.js';
import { printable, table } from '../../report/render.js';
import { tryParseRange } from '../../scope/cidr.js';
import { getOrganisation, listOrganisations, listOverrides, removeOverride, setOverride } from '../../store/organisations.js';
import type { Store } from '../../store/types.js';
import { baseConfig, openConfiguredStore } from '../context.js';

interface StoreFlags {
  db?: string;
  config?: string;
}

async function withStore<T>(flags: StoreFlags, fn: (s: Store) => Promise<T>): Promise<T> {
  const store = await openConfiguredStore(baseConfig(flags));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** JSON for a terminal: JSON.stringify leaves C1 controls and U+2028/9 raw; escape them too. */
export function safeJson(v: unknown, indent?: number): string {
  const esc = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  return JSON.stringify(v, null, indent).replace(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, esc);
}

const out = (s: string) => process.stdout.write(`${s}\n`);
const err = (s: string) => process.stderr.write(`${s}\n`);
const p = (s: string | null | undefined) => printable(s ?? '');

/** Canonical CIDR or address text of an override target; EW_ORG_TARGET otherwise. */
export function overrideTarget(s: string): string {
  const r = tryParseRange(String(s).trim());
  if (typeof r === 'string' || r.text.includes('-')) {
    const why = typeof r === 'string' ? ` (${r})` : ' (ranges are not allowed)';
    throw new EdgewatchError('EW_ORG_TARGET', `not an IP address or CIDR: "${printable(String(s).slice(0, 60))}"${why}`);
  }
  return r.text;
}

function orgDetail(o: Organisation): string {
  const lines = [
    `${p(o.name)} [${p(o.key)}]`,
    `  sector:         ${p(o.sector ?? '-')}`,
    `  language:       ${p(o.language)}`,
    `  constituencies: ${p(o.constituencies.join(', ') || '-')}`,
    `  domains:        ${p(o.domains.join(', ') || '-')}`,
    `  cidrs:          ${p(o.cidrs.join(', ') || '-')}`,
    `  asns:           ${o.asns.map((a) => `AS${a}`).join(', ') || '-'}`,
    `  contacts:       ${o.contacts.length === 0 ? '-' : ''}`,
  ];
  for (const c of o.contacts) {
    const extra = [c.name, c.role && `role ${c.role}`, c.pgp?.fingerprint && `PGP ${c.pgp.fingerprint}`, c.pgp?.key && 'PGP key on file']
      .filter(Boolean)
      .join(', ');
    lines.push(`    ${p(c.email)}${extra ? ` (${p(extra)})` : ''}`);
  }
  lines.push(`  imported from:  ${p(o.source)} at ${p(o.imported_at)}`);
  return lines.join('\n');
}

function attributionLines(a: Attribution, indent = '  '): string[] {
  const who = a.org_key
    ? `${p(a.org_name ?? '?')} [${p(a.org_key)}]${a.sector ? `, sector ${p(a.sector)}` : ''}`
    : `no organisation (group ${p(a.group ?? '-')})`;
  return [
    `${indent}organisation: ${who}`,
    `${indent}rule:         ${a.rule}${a.matched ? ` (matched ${p(a.matched)})` : ''}`,
    `${indent}why:          ${p(a.why)}`,
  ];
}

function renderHost(v: HostView): string {
  const o: string[] = [`Host ${v.ip}`, ''];
  const e = v.enrichment;
  o.push('Enrichment');
  if (!e) o.push('  none stored (country, AS, names and contacts are recorded by enrichment; see `edgewatch enrich --help`)');
  else {
    o.push(`  country:       ${p(e.cc ?? '-')}`);
    o.push(`  AS:            ${e.asn === null ? '-' : `AS${e.asn}`}${e.as_name ? ` ${p(e.as_name)}` : ''}`);
    o.push(`  network:       ${p(e.network ?? '-')}`);
    o.push(`  reverse DNS:   ${p(e.rdns ?? '-')}`);
    const names = e.names.map((n) => `${p(n.name)} (${p(n.source)}${n.wildcard ? ', wildcard' : ''})`);
    o.push(`  names:         ${names.length === 0 ? '-' : names.join(', ')}`);
    o.push(`  abuse contact: ${e.abuse_contact ? `${p(e.abuse_contact)} (${p(e.abuse_source ?? '?')})` : '-'}`);
    if (e.lab_public_ip) o.push(`  lab identity:  stands for ${p(e.lab_public_ip)} in the lab demo (not a real host)`);
    o.push(`  enriched at:   ${p(e.enriched_at)}`);
  }
  o.push('', 'Attribution (now, with the current organisations and overrides)');
  o.push(...attributionLines(v.live));
  if (e) {
    if (v.differs) {
      o.push('', `Stored attribution (at ${p(e.enriched_at)}) DIFFERS:`);
      o.push(...attributionLines(e.attribution));
      o.push('  (enrich the address again to update the stored attribution)');
    } else o.push(`  (same as stored at ${p(e.enriched_at)})`);
  }
  const h = v.history;
  o.push('', `Scan observations (${h.scans.length})`);
  o.push(
    h.scans.length === 0
      ? '  none'
      : table(
          ['scan', 'scanned', 'port', 'name', 'status', 'product', 'version', 'compromised', 'CVEs'],
          h.scans.map((s) => [
            s.scan_id,
            s.scanned_at,
            s.port,
            s.host ?? '',
            s.status,
            s.product ?? '',
            s.version ?? '',
            s.compromised ?? '',
            Object.entries(s.cves)
              .map(([c, st]) => `${c}=${st}`)
              .join(' '),
          ]),
        ),
  );
  o.push('', `Triage runs (${h.triage.length})`);
  o.push(
    h.triage.length === 0
      ? '  none'
      : table(
          ['run', 'triaged', 'verdict', 'high', 'medium', 'low', 'version', 'collection'],
          h.triage.map((t) => [t.id, t.triaged_at, t.verdict, t.high, t.medium, t.low, t.version ?? '', t.collection]),
        ),
  );
  return o.join('\n');
}

export function registerOrgCommands(program: Command): void {
  const org = program.command('org').summary('organisations of your constituencies: import, list, show, manual overrides');

  org
    .command('import')
    .summary('import organisations from a YAML or CSV file (all or nothing)')
    .argument('<file>', 'organisations file (.yaml/.yml or .csv)')
    .option('--format <format>', 'yaml or csv (default: from the file name)')
    .option('--replace', 'also remove organisations the file does not list (overrides are kept)')
    .option('--dry-run', 'validate only; change nothing')
    .option('-j, --json', 'print the outcome as JSON')
    .option('--db <file>', 'database file')
    .option('--config <file>', 'YAML config file')
    .action(async (file: string, flags: StoreFlags & { format?: string; replace?: boolean; dryRun?: boolean; json?: boolean }) => {
      await withStore(flags, async (store) => {
        const r = await importOrganisations(store.db, file, { format: flags.format, replace: flags.replace, dryRun: flags.dryRun });
        for (const w of r.warnings) err(`edgewatch: warning: ${p(r.file)}${w.line ? `:${w.line}` : ''}: ${p(w.path)}: ${p(w.message)}`);
        if (r.moreWarnings > 0) err(`edgewatch: warning: … and ${r.moreWarnings} more warnings`);
        if (flags.json) return out(safeJson(r));
        if (r.dryRun) {
          const shown = r.removed.slice(0, 10).map(p).join(', ') + (r.removed.length > 10 ? ', …' : '');
          const rm = flags.replace ? `, would remove ${r.removed.length}${r.removed.length ? ` (${shown})` : ''}` : '';
          const counts = `${r.inserted} new, ${r.updated} existing${rm}`;
          return out(`${p(r.file)}: ${r.organisations} organisations, valid: ${counts} (dry run: nothing written)`);
        }
        const all = await listOverrides(store.db);
        const overrides = all.length;
        const keys = new Set((await listOrganisations(store.db)).map((o) => o.key));
        const dangling = all.filter((o) => !keys.has(o.org_key));
        if (dangling.length > 0) {
          const some = dangling.slice(0, 5).map((o) => `${o.target} → ${p(o.org_key)}`);
          const more = dangling.length > 5 ? ', …' : '';
          const n = dangling.length;
          err(`edgewatch: warning: ${n} manual override(s) name an organisation that is not imported: ${some.join(', ')}${more}`);
        }
        out(
          `imported ${r.organisations} organisations from ${p(r.file)}: ${r.inserted} new, ${r.updated} updated, ${r.unchanged} unchanged` +
            `${flags.replace ? `, ${r.removed.length} removed` : ''}; ${overrides} manual override${overrides === 1 ? '' : 's'} kept`,
        );
      });
    });

  org
    .command('list')
    .summary('list organisations')
    .option('--sector <sector>', 'only this sector')
    .option('--constituency <name>', 'only members of this constituency')
    .option('-j, --json', 'one JSON line per organisation')
    .option('--db <file>', 'database file')
    .option('--config <file>', 'YAML config file')
    .action(async (flags: StoreFlags & { sector?: string; constituency?: string; json?: boolean }) => {
      await withStore(flags, async (store) => {
        const sector = flags.sector === undefined ? undefined : cleanText(flags.sector).value.toLowerCase();
        const cons = flags.constituency === undefined ? undefined : cleanText(flags.constituency).value.toLowerCase();
        const all = await listOrganisations(store.db);
        const orgs = all.filter(
          (o) => (sector === undefined || o.sector === sector) && (cons === undefined || o.constituencies.includes(cons)),
        );
        if (flags.json) {
          for (const o of orgs) out(safeJson(o));
          return;
        }
        if (orgs.length === 0) {
          out(all.length === 0 ? 'no organisations yet: run `edgewatch org import FILE`' : 'no organisation matches');
          return;
        }
        out(
          table(
            ['key', 'name', 'sector', 'lang', 'constituencies', 'cidrs', 'domains', 'asns', 'contacts', 'source'],
            orgs.map((o) => [
              o.key,
              o.name,
              o.sector ?? '',
              o.language,
              o.constituencies.join(','),
              o.cidrs.length,
              o.domains.length,
              o.asns.length,
              o.contacts.length,
              o.source,
            ]),
          ),
        );
        const m = buildOrgMatcher(orgs);
        out(`\n${orgs.length} of ${all.length} organisations; ${m.size.cidrs} CIDRs, ${m.size.domains} domains, ${m.size.asns} ASNs`);
      });
    });

  org
    .command('show')
    .summary('one organisation in full, with its overrides')
    .argument('<key>', 'organisation key')
    .option('-j, --json', 'print as JSON')
    .option('--db <file>', 'database file')
    .option('--config <file>', 'YAML config file')
    .action(async (key: string, flags: StoreFlags & { json?: boolean }) => {
      await withStore(flags, async (store) => {
        const o = await getOrganisation(store.db, key.trim().toLowerCase());
        if (!o) {
          const shown = printable(key.slice(0, 64));
          throw new EdgewatchError('EW_ORG_NOT_FOUND', `no organisation with key "${shown}" (see \`edgewatch org list\`)`);
        }
        const overrides = (await listOverrides(store.db)).filter((x) => x.org_key === o.key);
        if (flags.json) return out(safeJson({ ...o, overrides }, 2));
        out(orgDetail(o));
        const list = overrides.map((x) => `${x.target}${x.note ? ` (${p(x.note)})` : ''}`);
        out(`  overrides:      ${list.length === 0 ? '-' : list.join(', ')}`);
      });
    });

  org
    .command('assign')
    .summary('manual override: attribute an address or CIDR to an organisation (beats every automatic match)')
    .argument('<target>', 'IP address or CIDR')
    .argument('<key>', 'organisation key')
    .option('--note <text>', 'why (kept with the override)')
    .option('--force', 'allow a key that is not (yet) imported')
    .option('--db <file>', 'database file')
    .option('--config <file>', 'YAML config file')
    .action(async (targetIn: string, keyIn: string, flags: StoreFlags & { note?: string; force?: boolean }) => {
      const target = overrideTarget(targetIn);
      if (targetIn.includes('/') && targetIn.trim().toLowerCase() !== target) {
        err(`edgewatch: note: host bits masked: ${p(targetIn)} is ${target}`);
      }
      const key = keyIn.trim().toLowerCase();
      if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(key)) {
        throw new EdgewatchError('EW_CLI_USAGE', `bad organisation key "${printable(keyIn.slice(0, 64))}"`);
      }
      const note = flags.note === undefined ? null : cleanText(flags.note).value.slice(0, 500) || null;
      await withStore(flags, async (store) => {
        const o = await getOrganisation(store.db, key);
        if (!o && !flags.force) {
          throw new EdgewatchError('EW_ORG_NOT_FOUND', `no organisation with key "${key}" (import it first, or use --force)`);
        }
        const old = await setOverride(store.db, { target, org_key: key, note, created_at: new Date().toISOString() });
        const to = o ? `${p(o.name)} [${key}]` : `[${key}] (not imported yet)`;
        out(`override set: ${target} → ${to}${old && old.org_key !== key ? ` (was ${p(old.org_key)})` : ''}`);
      });
    });

  org
    .command('unassign')
    .summary('remove the manual override of an address or CIDR')
    .argument('<target>', 'IP address or CIDR, exactly as assigned')
    .option('--db <file>', 'database file')
    .option('--config <file>', 'YAML config file')
    .action(async (targetIn: string, flags: StoreFlags) => {
      const target = overrideTarget(targetIn);
      await withStore(flags, async (store) => {
        const old = await removeOverride(store.db, target);
        if (!old) throw new EdgewatchError('EW_ORG_OVERRIDE_NOT_FOUND', `no override for ${target} (see \`edgewatch org overrides\`)`);
        out(`override removed: ${target} (was ${p(old.org_key)})`);
      });
    });

  org
    .command('overrides')
    .summary('list manual overrides')
    .option('-j, --json', 'one JSON line per override')
    .option('--db <file>', 'database file')
    .option('--config <file>', 'YAML config file')
    .action(async (flags: StoreFlags & { json?: boolean }) => {
      await withStore(flags, async (store) => {
        const rows = await listOverrides(store.db);
        if (flags.json) {
          for (const r of rows) out(safeJson(r));
          return;
        }
        const cells = rows.map((r) => [r.target, r.org_key, r.note ?? '', r.created_at]);
        out(rows.length === 0 ? 'no manual overrides' : table(['target', 'organisation', 'note', 'set'], cells));
      });
    });

  org
    .command('match')
    .summary('explain which organisation an address (with AS and names) would be attributed to')
    .argument('<ip>', 'IP address')
    .option('--asn <n>', 'origin AS number')
    .option('--name <names...>', 'host names (certificate, SNI or PTR names)')
    .option('-j, --json', 'print the attribution as JSON')
    .option('--db <file>', 'database file')
    .option('--config <file>', 'YAML config file')
    .action(async (ipIn: string, flags: StoreFlags & { asn?: string; name?: string[]; json?: boolean }) => {
      const r = tryParseRange(ipIn.trim());
      if (typeof r === 'string' || r.start !== r.end) {
        throw new EdgewatchError('EW_ORG_TARGET', `not an IP address: "${printable(ipIn.slice(0, 60))}"`);
      }
      const asn = flags.asn === undefined ? null : Number(String(flags.asn).replace(/^AS/i, ''));
      if (asn !== null && (!Number.isInteger(asn) || asn < 0 || asn > 4294967295)) {
        throw new EdgewatchError('EW_CLI_USAGE', '--asn must be an AS number');
      }
      const names: HostName[] = (flags.name ?? []).slice(0, 100).map((n) => ({ name: n, source: 'target' as const }));
      await withStore(flags, async (store) => {
        const a = (await loadOrgMatcher(store.db)).match({ ip: r.text, asn, names });
        if (flags.json) return out(safeJson(a));
        out(attributionLines(a, '').join('\n'));
      });
    });

  program
    .command('host')
    .summary('everything known about an address: observations, enrichment, attribution and why, triage runs')
    .argument('<ip>', 'IP address')
    .option('-j, --json', 'print as JSON')
    .option('--db <file>', 'database file')
    .option('--config <file>', 'YAML config file')
    .action(async (ip: string, flags: StoreFlags & { json?: boolean }) => {
      await withStore(flags, async (store) => {
        const v = await hostView(store, ip);
        out(flags.json ? safeJson(v, 2) : renderHost(v));
      });
    });
}
