/**
 * CLI: `enrich` and `data` (geo helper).
 *
 *   edgewatch enrich [ADDR…] [-l FILE|-] [-j] [--lab-identities FILE] [--no-attribute] [--rdns …] [--rdap …]
 *   edgewatch enrich --scan ID [--lab-identities FILE] [--rdns …] [--rdap …] [-j]
 *   edgewatch data import FILE… [--kind country|asn] [--name N] [--date YYYY-MM-DD] [--dry-run] [-j]
 *   edgewatch data status [-j]
 *   edgewatch data update [--from URL]
 *   edgewatch data remove NAME
 *
 * `enrich` never sends a packet to the addresses it enriches: facts come from offline data; only
 * `--rdns` (a DNS server) and `--rdap` (registries) reach out, when asked for.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { Config } from '../../config.js';
import { dataDir } from '../../data-dir.js';
import { addEnrichNetOptions, type EnrichNetFlags, resolveEnrichNet } from '../../enrich/contacts/config.js';
import { createAbuseContactResolver } from '../../enrich/contacts/index.js';
import { boundedLines, fileLines, type ParsedInput, parseInputLine } from '../../enrich/geo/enrich-input.js';
import { importGeoData, removeGeoData } from '../../enrich/geo/import.js';
import { openGeo } from '../../enrich/geo/index.js';
import { readManifest } from '../../enrich/geo/installed.js';
import { loadLabIdentities } from '../../enrich/geo/lab-identities.js';
import { DEFAULT_UPDATE_BASE, updateGeoData } from '../../enrich/geo/update.js';
import { enrichmentToIntelMq, type IntelMqEvent, sourceLabel } from '../../enrich/intelmq.js';
import { createReverseDnsResolver } from '../../enrich/names/index.js';
import { loadOrgMatcher } from '../../enrich/org/index.js';
import { type EnrichInput, enrichAddresses, enrichScanAsConfigured, parseEnrichPipelineConfig } from '../../enrich/pipeline.js';
import type { Enrichment, OrgMatcher } from '../../enrich/types.js';
import { EdgewatchError } from '../../errors.js';
import { printable, table } from '../../report/render.js';
import type { ScanRecord } from '../../scan/record.js';
import { isPostgresUrl } from '../../store/location.js';
import type { Store } from '../../store/types.js';
import { baseConfig, type CommonFlags, openConfiguredStore } from '../context.js';
import { pickScan } from '../scan-ref.js';
import { safeJson } from './org.js';

const out = (s: string) => process.stdout.write(`${s}\n`);
const err = (s: string) => process.stderr.write(`${s}\n`);

interface EnrichFlags extends CommonFlags, EnrichNetFlags {
  list?: string;
  json?: boolean;
  scan?: string;
  labIdentities?: string;
  attribute: boolean;
  concurrency?: number;
}

/** Fields of a scan record carried into its IntelMQ event. */
function recordBase(r: ScanRecord | undefined, port: number | undefined): IntelMqEvent {
  const b: IntelMqEvent = {};
  if (port !== undefined) b['source.port'] = port;
  if (!r) return b;
  if (typeof r.scanned_at === 'string') b['time.source'] = r.scanned_at;
  if (r.scheme === 'http' || r.scheme === 'https') {
    b['protocol.transport'] = 'tcp';
    b['protocol.application'] = r.scheme;
  }
  if (typeof r.product === 'string') b['extra.product'] = r.product;
  if (typeof r.version === 'string') b['extra.version'] = r.version;
  if (typeof r.status === 'string') b['extra.status'] = r.status;
  if (typeof r.compromised === 'string') b['extra.compromised'] = r.compromised;
  if (r.cve && typeof r.cve === 'object') {
    for (const [k, v] of Object.entries(r.cve).slice(0, 50))
      if (typeof v === 'string' && /^[A-Za-z0-9._-]{1,40}$/.test(k)) b[`extra.cve.${k}`] = v;
  }
  if (typeof r.scan_id === 'string') b['extra.scan_id'] = r.scan_id;
  return b;
}

/** The organisation matcher of the configured store, when it exists (never creates a database). */
async function matcherOf(cfg: Config): Promise<{ matcher: OrgMatcher | null; store: Store | null }> {
  const loc = cfg.db;
  if (!isPostgresUrl(loc) && loc !== ':memory:' && !existsSync(loc)) return { matcher: null, store: null };
  const store = await openConfiguredStore(cfg);
  try {
    return { matcher: await loadOrgMatcher(store.db), store };
  } catch (e) {
    await store.close();
    throw e;
  }
}

function enrichmentRow(e: Enrichment): string[] {
  const a = e.attribution;
  return [
    e.ip,
    e.lab ? `${e.lab.public_ip} (lab)` : '',
    e.cc ?? '-',
    e.asn === null ? '-' : `AS${e.asn}`,
    (e.as_name ?? '-').slice(0, 32),
    e.network ?? '-',
    a.org_key ? `${a.org_name ?? a.org_key}${a.sector ? ` [${a.sector}]` : ''}` : (a.group ?? '-'),
    a.rule,
  ];
}

async function runEnrichList(args: string[], flags: EnrichFlags, cfg: Config): Promise<void> {
  const pipe = parseEnrichPipelineConfig(cfg.enrich, flags.config);
  const dir = dataDir(cfg);
  const geo = await openGeo({ dataDir: dir });
  const labFile = flags.labIdentities ?? pipe.lab_identities;
  const labIdentities = labFile ? loadLabIdentities(labFile) : null;
  const { matcher, store } = flags.attribute ? await matcherOf(cfg) : { matcher: null, store: null };
  const net = resolveEnrichNet(cfg.enrich, flags, { db: store?.db, dataDir: dir, file: flags.config });
  const rdns = net.rdns ? createReverseDnsResolver(net.rdns) : null;
  const abuse = net.contacts ? createAbuseContactResolver(net.contacts) : null;
  const label = flags.list === '-' ? '(stdin)' : (flags.list ?? 'argument');
  let bad = 0;
  let done = 0;
  const extras = new Map<EnrichInput, ParsedInput>();
  async function* inputs(): AsyncGenerator<EnrichInput> {
    for (const [i, a] of args.entries()) {
      const p = parseInputLine(a);
      if (!p) continue;
      if ('error' in p) {
        bad++;
        err(`edgewatch: argument ${i + 1}: ${printable(p.error)}`);
        continue;
      }
      const item = { ip: p.ip, names: p.names };
      extras.set(item, p);
      yield item;
    }
    if (!flags.list) return;
    let source: AsyncIterable<Buffer | string>;
    if (flags.list === '-') source = process.stdin;
    else {
      if (!existsSync(flags.list))
        throw new EdgewatchError('EW_ENRICH_INPUT', 'cannot read the address list: no such file', { file: flags.list });
      source = fileLines(flags.list);
    }
    try {
      for await (const l of boundedLines(source)) {
        if (l.tooLong) {
          bad++;
          err(`edgewatch: ${label}:${l.line}: line longer than 1 MiB, skipped`);
          continue;
        }
        const p = parseInputLine(l.text);
        if (!p) continue;
        if ('error' in p) {
          bad++;
          err(`edgewatch: ${label}:${l.line}: ${printable(p.error)}`);
          continue;
        }
        const item = { ip: p.ip, names: p.names };
        extras.set(item, p);
        yield item;
      }
    } catch (cause) {
      if (cause instanceof EdgewatchError) throw cause;
      throw new EdgewatchError('EW_ENRICH_INPUT', `cannot read the address list: ${(cause as Error).message}`, { file: label, cause });
    }
  }
  const rows: string[][] = [];
  try {
    const src = inputs();
    // Remember which parsed line each input came from (for record fields in the event).
    const order: EnrichInput[] = [];
    async function* tracked(): AsyncGenerator<EnrichInput> {
      for await (const i of src) {
        order.push(i);
        yield i;
      }
    }
    for await (const e of enrichAddresses(tracked(), {
      geo,
      matcher,
      rdns,
      abuse,
      labIdentities,
      concurrency: flags.concurrency ?? pipe.concurrency,
      lookupDeadlineMs: pipe.lookup_deadline_ms,
    })) {
      const input = order.shift();
      const parsed = input ? extras.get(input) : undefined;
      if (input) extras.delete(input);
      if ('error' in e) {
        bad++;
        err(`edgewatch: ${printable(e.input.ip)}: ${e.error}`);
        continue;
      }
      done++;
      if (flags.json) out(safeJson(enrichmentToIntelMq(e, { base: recordBase(parsed?.record, parsed?.port), sources: geo.sources })));
      else rows.push(enrichmentRow(e));
    }
  } finally {
    await rdns?.close();
    await abuse?.close();
    await store?.close();
  }
  if (!flags.json) {
    if (rows.length) out(table(['address', 'lab public address', 'cc', 'asn', 'as name', 'network', 'organisation / group', 'rule'], rows));
    out(`data: ${geo.sources.map(sourceLabel).join('; ')}`);
  }
  err(`edgewatch: enriched ${done} address(es)${bad ? `; ${bad} line(s) skipped` : ''}${matcher ? '' : ' (no organisations loaded)'}`);
}

async function runEnrichScan(flags: EnrichFlags, cfg: Config): Promise<void> {
  const store = await openConfiguredStore(cfg);
  try {
    const id = await pickScan(store, flags.scan as string);
    const res = await enrichScanAsConfigured(store, id, cfg, {
      configFile: flags.config,
      net: flags,
      labIdentities: flags.labIdentities,
      attribute: flags.attribute,
      concurrency: flags.concurrency,
    });
    if (flags.json) out(safeJson(res));
    else {
      out(
        `scan ${res.scanId}: ${res.enriched} host(s) enriched, ${res.attributed} attributed to an organisation, ${res.uncovered} not covered by the data${res.lab ? `, ${res.lab} lab demo identities` : ''} (${res.ms} ms)`,
      );
      out(`data: ${res.sources.map(sourceLabel).join('; ')}`);
    }
  } finally {
    await store.close();
  }
}

interface DataFlags extends CommonFlags {
  kind?: string;
  name?: string;
  date?: string;
  dryRun?: boolean;
  json?: boolean;
  from?: string;
}

export function registerEnrichCommands(program: Command): void {
  const enrich = program
    .command('enrich')
    .description(
      'Enrich addresses offline with country, AS, AS name, announced prefix and organisation (IntelMQ field names with -j). Never sends a packet to the addresses.',
    )
    .argument('[addresses...]', 'addresses (IP, IP:PORT, [IPv6]:PORT), each optionally with a host name as "IP,NAME"')
    .option('-l, --list <file>', 'file of addresses or a scan\'s JSON Lines records ("-" for stdin)')
    .option('-j, --json', 'JSON Lines with IntelMQ field names')
    .option('--scan <id>', 'enrich a stored scan (id, prefix, label, latest) into the database')
    .option(
      '--lab-identities <file>',
      'lab demo identities (from `edgewatch lab --identities`): loopback lab hosts take the facts of their public address',
    )
    .option('--no-attribute', 'skip organisation matching')
    .option('-c, --concurrency <n>', 'addresses with network lookups under way at once (--rdns/--rdap)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 1024)
        throw new EdgewatchError('EW_ENRICH_OPTION', `--concurrency must be an integer from 1 to 1024, got "${v}"`);
      return n;
    })
    .option('--db <path|url>', 'database (for organisations, and --scan)')
    .option('--config <file>', 'config file (YAML)');
  addEnrichNetOptions(enrich);
  enrich.action(async (args: string[], flags: EnrichFlags) => {
    const cfg = baseConfig(flags);
    if (flags.scan !== undefined) {
      if (flags.list || args.length)
        throw new EdgewatchError('EW_ENRICH_INPUT', '--scan enriches a stored scan: give no address list with it');
      await runEnrichScan(flags, cfg);
      return;
    }
    if (!flags.list && args.length === 0)
      throw new EdgewatchError('EW_CLI_USAGE', 'give addresses, -l FILE (or - for stdin), or --scan ID');
    await runEnrichList(args, flags, cfg);
  });

  const data = program
    .command('data')
    .description('Offline geo / AS data: bundled @ip-location-db packages and imported files (imports win).');

  data
    .command('import')
    .description('Validate and install a data file: MaxMind GeoLite2 Country/ASN .mmdb, ip-location-db CSV/MMDB, iptoasn TSV (.gz ok)')
    .argument('<files...>', 'one source: one MMDB file, or CSV/TSV files (e.g. the IPv4 and IPv6 halves)')
    .option('--kind <kind>', 'country or asn (default: from the file)')
    .option('--name <name>', 'source name (default: file name); importing a name again replaces it')
    .option('--date <YYYY-MM-DD>', 'date of the data when the file does not state one (default: file date)')
    .option('--dry-run', 'validate only')
    .option('-j, --json', 'print the result as JSON')
    .option('--config <file>', 'config file (YAML), for data_dir')
    .action(async (files: string[], flags: DataFlags) => {
      const cfg = baseConfig(flags);
      if (flags.kind !== undefined && flags.kind !== 'country' && flags.kind !== 'asn')
        throw new EdgewatchError('EW_CLI_USAGE', `--kind must be country or asn, got "${flags.kind}"`);
      const r = importGeoData(files, {
        dataDir: dataDir(cfg),
        kind: flags.kind as 'country' | 'asn' | undefined,
        name: flags.name,
        date: flags.date,
        dryRun: flags.dryRun,
      });
      if (flags.json) {
        out(safeJson(r));
        return;
      }
      const e = r.entries[0];
      out(
        `${r.dryRun ? 'valid (dry run, nothing installed)' : 'installed'}: ${e.name} — ${r.entries.map((x) => x.kind).join(' + ')} from ${e.description}, ${r.v4} IPv4 + ${r.v6} IPv6 ranges, version ${e.version}, date ${e.date ?? 'unknown'}`,
      );
    });

  data
    .command('status')
    .description('List the data sources in use (imported first: they win), with version, date and origin')
    .option('-j, --json', 'JSON')
    .option('--config <file>', 'config file (YAML), for data_dir')
    .action(async (flags: DataFlags) => {
      const cfg = baseConfig(flags);
      const dir = dataDir(cfg);
      const geo = await openGeo({ dataDir: dir });
      const manifest = readManifest(dir);
      const rows = geo.sources.map((s) => {
        const m = manifest.find((e) => `import:${e.name}` === s.id && e.kind === s.kind);
        return {
          ...s,
          description: m?.description ?? null,
          original: m?.original ?? null,
          imported_at: m?.imported_at ?? null,
          ranges: m?.entries ?? null,
        };
      });
      if (flags.json) {
        out(safeJson({ data_dir: dir, sources: rows }));
        return;
      }
      out(
        table(
          ['source', 'kind', 'version', 'date', 'origin', 'from'],
          rows.map((r) => [r.id, r.kind, r.version, r.date ?? '-', r.origin, r.original ?? r.path]),
        ),
      );
      if (rows.some((r) => r.origin === 'bundled')) {
        out(
          'note: the bundled npm data has known errors and its npm updates will stop; import better data with `edgewatch data import` (it wins).',
        );
      }
    });

  data
    .command('update')
    .description(
      `Download fresh ip-location-db data (default mirror ${DEFAULT_UPDATE_BASE}) and install it like an import. Needs internet; refused when EDGEWATCH_OFFLINE is set.`,
    )
    .option('--from <url>', 'mirror base URL with the same layout')
    .option('--config <file>', 'config file (YAML), for data_dir')
    .action(async (flags: DataFlags) => {
      const cfg = baseConfig(flags);
      const res = await updateGeoData({ dataDir: dataDir(cfg), from: flags.from, log: (m) => err(`edgewatch: ${m}`) });
      for (const r of res)
        out(
          `installed: ${r.entries[0].name} (${r.entries.map((e) => e.kind).join(' + ')}), ${r.v4} IPv4 + ${r.v6} IPv6 ranges, date ${r.entries[0].date ?? 'unknown'}`,
        );
    });

  data
    .command('remove')
    .description('Remove an imported source (the bundled data cannot be removed)')
    .argument('<name>', 'source name as shown by `data status` (without "import:")')
    .option('--config <file>', 'config file (YAML), for data_dir')
    .action(async (name: string, flags: DataFlags) => {
      const cfg = baseConfig(flags);
      const gone = removeGeoData(dataDir(cfg), name.replace(/^import:/, ''));
      out(`removed: ${gone[0].name} (${gone.map((e) => e.kind).join(' + ')})`);
    });
}
