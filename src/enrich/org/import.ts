/**
 * `edgewatch org import FILE`: read a YAML or CSV organisation file (bounded), validate the WHOLE
 * file with zod, and only then write it in one transaction (upsert by key; `replace` also removes
 * organisations the file no longer lists). A file with any error changes nothing; every error names
 * file and line. Overrides are never touched.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Kysely } from 'kysely';
import { EdgewatchError } from '../../errors.js';
import { type ImportOutcome, listOrganisations, saveOrganisations } from '../../store/organisations.js';
import type { Database } from '../../store/schema.js';
import { slugKey } from './clean.js';
import type { Organisation } from './model.js';
import type { FileIssue, RawFile } from './raw.js';
import { readCsvEntries } from './read-csv.js';
import { readYamlEntries } from './read-yaml.js';
import { OrgEntrySchema, toOrganisation } from './schema.js';

export const MAX_FILE_BYTES = 64 * 1024 * 1024;
export const MAX_ORGS = 100_000;
const MAX_ISSUES = 50;
const MAX_WARNINGS = 200;

export type OrgFileFormat = 'yaml' | 'csv';

/** A file with problems: nothing was written. `issues` lists them (capped), each with its line. */
export class OrgFileInvalidError extends EdgewatchError {
  readonly issues: FileIssue[];
  constructor(file: string, issues: FileIssue[], total: number) {
    const first = issues[0];
    const lines = issues.map((i) => `  ${file}${i.line ? `:${i.line}` : ''}: ${i.path}: ${i.message}`);
    if (total > issues.length) lines.push(`  … and ${total - issues.length} more`);
    const tail = total > 1 ? ` (${total} problems; nothing was imported)\n${lines.join('\n')}` : ' (nothing was imported)';
    super('EW_ORG_INVALID', `${first.path}: ${first.message}${tail}`, { file, line: first.line });
    this.issues = issues;
  }
}

export function formatOf(file: string, given?: string): OrgFileFormat {
  const f = (given ?? extname(file).slice(1)).toLowerCase();
  if (f === 'yaml' || f === 'yml') return 'yaml';
  if (f === 'csv') return 'csv';
  throw new EdgewatchError('EW_ORG_FILE', `cannot tell the format of "${file}": use a .yaml/.yml/.csv name or --format yaml|csv`, { file });
}

export interface ParsedOrgFile {
  orgs: Organisation[];
  warnings: FileIssue[];
  /** Warnings beyond the stored ones. */
  moreWarnings: number;
}

/** Parse and validate a whole file's text; throws OrgFileInvalidError (EW_ORG_INVALID) on any problem. */
export function parseOrganisationFile(text: string, shown: string, format: OrgFileFormat, now: Date = new Date()): ParsedOrgFile {
  const raw: RawFile = format === 'yaml' ? readYamlEntries(text) : readCsvEntries(text);
  const issues: FileIssue[] = [...raw.issues];
  let total = issues.length;
  const problem = (i: FileIssue) => {
    total++;
    if (issues.length < MAX_ISSUES) issues.push(i);
  };
  const warnings: FileIssue[] = [];
  let moreWarnings = 0;
  const warnAt = (i: FileIssue) => {
    if (warnings.length < MAX_WARNINGS) warnings.push(i);
    else moreWarnings++;
  };
  if (raw.entries.length > MAX_ORGS) {
    problem({ line: raw.entries[MAX_ORGS].line, path: '(file)', message: `more than ${MAX_ORGS} organisations` });
  }
  if (raw.entries.length === 0 && issues.length === 0) problem({ line: 1, path: '(file)', message: 'no organisations in the file' });

  const orgs: Organisation[] = [];
  const keys = new Map<string, number>();
  const cidrOwner = new Map<string, { key: string; line: number }>();
  const importedAt = now.toISOString();
  for (const e of raw.entries.slice(0, MAX_ORGS)) {
    if (e.value === null || typeof e.value !== 'object' || Array.isArray(e.value)) {
      problem({ line: e.line, path: e.label, message: 'an organisation must be a mapping of fields' });
      continue;
    }
    const parsed = OrgEntrySchema.safeParse(e.value);
    if (!parsed.success) {
      for (const iss of parsed.error.issues) {
        const keysOf = iss.code === 'unrecognized_keys' ? iss.keys : [];
        const path = (keysOf.length >= 1 ? [...iss.path, keysOf[0]] : iss.path) as (string | number)[];
        const message =
          iss.code === 'unrecognized_keys'
            ? `unknown field${keysOf.length > 1 ? 's' : ''} ${keysOf.map((k) => `"${String(k).slice(0, 40)}"`).join(', ')}`
            : iss.message;
        problem({ line: e.lineOf(path), path: `${e.label} ${e.fieldName(path)}`.trim(), message });
      }
      continue;
    }
    const d = parsed.data;
    let key = d.key;
    if (key === undefined) {
      key = slugKey(d.name.value);
      if (key === '') {
        problem({ line: e.line, path: `${e.label} key`, message: 'no key, and none can be derived from the name: give a key' });
        continue;
      }
      const message = `no key: derived "${key}" from the name; give a stable key so renames keep overrides and history`;
      warnAt({ line: e.line, path: `${e.label} key`, message });
    }
    const prev = keys.get(key);
    if (prev !== undefined) {
      problem({ line: e.lineOf(['key']), path: `${e.label} key`, message: `duplicate key "${key}" (also at line ${prev})` });
      continue;
    }
    keys.set(key, e.line);
    const source = `${shown}:${e.line}`;
    const org = toOrganisation(d, key, source, importedAt, (path, message) =>
      warnAt({ line: e.lineOf(path), path: `${e.label} ${e.fieldName(path)}`, message }),
    );
    for (const c of org.cidrs) {
      const owner = cidrOwner.get(c);
      if (owner === undefined) cidrOwner.set(c, { key, line: e.line });
      else if (owner.key !== key) {
        const [win, lose] = owner.key < key ? [owner.key, key] : [key, owner.key];
        const message = `${c} is also listed for "${owner.key}" (line ${owner.line}): "${win}" wins over "${lose}" (first key in order)`;
        warnAt({ line: e.line, path: `${e.label} cidrs`, message });
      }
    }
    orgs.push(org);
  }
  if (total > 0) throw new OrgFileInvalidError(shown, issues, total);
  return { orgs, warnings, moreWarnings };
}

/** Read a file with a size bound; EW_ORG_FILE when it cannot be read. */
export async function readOrgFile(file: string): Promise<string> {
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new EdgewatchError('EW_ORG_FILE', 'not a regular file', { file });
    if (s.size > MAX_FILE_BYTES) throw new EdgewatchError('EW_ORG_FILE', `file larger than ${MAX_FILE_BYTES} bytes`, { file });
    return await readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof EdgewatchError) throw e;
    throw new EdgewatchError('EW_ORG_FILE', `cannot read: ${(e as Error).message}`, { file, cause: e });
  }
}

export interface ImportOptions {
  format?: string;
  /** Remove organisations the file does not list (overrides are kept). */
  replace?: boolean;
  /** Validate only; write nothing. */
  dryRun?: boolean;
  /** How the file is named in sources and messages (default: the path as given). */
  shownAs?: string;
  now?: Date;
}

export interface ImportResult extends ImportOutcome {
  file: string;
  format: OrgFileFormat;
  organisations: number;
  warnings: FileIssue[];
  moreWarnings: number;
  dryRun: boolean;
}

/** Validate and import one file. Throws EW_ORG_FILE / EW_ORG_INVALID before anything is written. */
export async function importOrganisations(db: Kysely<Database>, file: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const format = formatOf(file, opts.format);
  const shown = (opts.shownAs ?? file).replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
  const text = await readOrgFile(file);
  const parsed = parseOrganisationFile(text, shown, format, opts.now);
  const base = { file: shown, format, organisations: parsed.orgs.length, warnings: parsed.warnings, moreWarnings: parsed.moreWarnings };
  if (opts.dryRun) {
    // What the import would do, computed against the store without writing.
    const before = new Map((await listOrganisations(db)).map((o) => [o.key, o]));
    const keys = new Set(parsed.orgs.map((o) => o.key));
    const inserted = parsed.orgs.filter((o) => !before.has(o.key)).length;
    const removed = opts.replace ? [...before.keys()].filter((k) => !keys.has(k)).sort() : [];
    return { ...base, inserted, updated: parsed.orgs.length - inserted, unchanged: 0, removed, dryRun: true };
  }
  const out = await saveOrganisations(db, parsed.orgs, { replace: opts.replace === true });
  return { ...base, ...out, dryRun: false };
}
