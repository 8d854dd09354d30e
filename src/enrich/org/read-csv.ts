/**
 * Reads an organisation file in CSV (RFC 4180, comma-separated, first row = header). Columns:
 * key, name, sector, language, constituencies, domains, cidrs, asns, contacts (header names are
 * case-insensitive; only `name` is required; unknown columns are errors). Multi-valued cells hold
 * several values separated by `;`. A contact is written `Name <email> (role) pgp:FINGERPRINT`
 * where everything but the address is optional (`cert@example.org` alone is fine).
 */
import { parse } from 'csv-parse/sync';
import type { FileIssue, RawEntry, RawFile } from './raw.js';

const COLUMNS = ['key', 'name', 'sector', 'language', 'constituencies', 'domains', 'cidrs', 'asns', 'contacts'] as const;
const MULTI = new Set(['constituencies', 'domains', 'cidrs', 'asns', 'contacts']);
const MAX_RECORD = 4 * 1024 * 1024;
const CONTACT = /^(?:(.*?)\s*<([^<>]*)>|([^\s<>()]+))\s*(?:\(([^()]*)\))?\s*(?:pgp:\s*([0-9A-Fa-f ]+))?$/;

/** Parses one contact item of a CSV cell; a string when it does not fit the form. */
export function parseContactItem(s: string): Record<string, string> | string {
  const m = CONTACT.exec(s.trim());
  if (!m) return `contact "${s.slice(0, 80)}" is not "Name <email> (role) pgp:FINGERPRINT"`;
  const out: Record<string, string> = { email: (m[2] ?? m[3] ?? '').trim() };
  if (m[1]?.trim()) out.name = m[1].trim().replace(/^"(.*)"$/, '$1');
  if (m[4]?.trim()) out.role = m[4].trim();
  if (m[5]?.trim()) out.pgp_fingerprint = m[5].trim();
  return out;
}

const newlines = (cells: string[]): number => cells.reduce((n, c) => n + (c.match(/\n/g)?.length ?? 0), 0);

export function readCsvEntries(text: string): RawFile {
  const issues: FileIssue[] = [];
  let rows: { record: string[]; info: { lines: number } }[];
  try {
    const opts = { info: true, bom: true, skip_empty_lines: true, max_record_size: MAX_RECORD, relax_quotes: false } as const;
    rows = parse(text, opts) as unknown as typeof rows;
  } catch (e) {
    const err = e as Error & { lines?: number; code?: string };
    return { entries: [], issues: [{ line: err.lines, path: '(csv)', message: err.message.replace(/[^\x20-\x7e]/g, '?').slice(0, 300) }] };
  }
  if (rows.length === 0) return { entries: [], issues: [{ line: 1, path: '(file)', message: 'the file is empty: expected a header row' }] };
  const head = rows[0];
  const headLine = head.info.lines - newlines(head.record);
  const header = head.record.map((h) => h.trim().toLowerCase());
  if (header.length === 1 && /[;\t]/.test(header[0])) {
    const message = 'the header is one column with ";" or tabs in it: save the file as comma-separated CSV (";" separates values in a cell)';
    return { entries: [], issues: [{ line: headLine, path: '(header)', message }] };
  }
  header.forEach((h, i) => {
    if (!(COLUMNS as readonly string[]).includes(h)) {
      const message = `unknown column "${h.slice(0, 40)}" (known: ${COLUMNS.join(', ')})`;
      issues.push({ line: headLine, path: `column ${i + 1}`, message });
    }
    if (header.indexOf(h) !== i) issues.push({ line: headLine, path: `column ${i + 1}`, message: `column "${h}" appears twice` });
  });
  if (!header.includes('name')) issues.push({ line: headLine, path: '(header)', message: 'the header has no "name" column' });
  if (issues.length > 0) return { entries: [], issues };

  const entries: RawEntry[] = [];
  for (let r = 1; r < rows.length; r++) {
    const { record, info } = rows[r];
    const line = info.lines - newlines(record);
    const value: Record<string, unknown> = {};
    const contactIssues: string[] = [];
    header.forEach((col, i) => {
      const cell = record[i] ?? '';
      if (cell.trim() === '') return;
      if (!MULTI.has(col)) {
        value[col] = cell;
        return;
      }
      const items = cell
        .split(';')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      if (col === 'contacts') {
        value[col] = items.map((it) => {
          const c = parseContactItem(it);
          if (typeof c === 'string') {
            contactIssues.push(c);
            return {};
          }
          return c;
        });
      } else value[col] = items;
    });
    for (const m of contactIssues) issues.push({ line, path: `row ${r + 1} column contacts`, message: m });
    entries.push({
      value,
      line,
      label: `row ${r + 1}`,
      lineOf: () => line,
      fieldName: (path) => {
        const [col, idx, sub] = path;
        let s = `column ${String(col)}`;
        if (typeof idx === 'number') s += ` item ${idx + 1}`;
        if (sub !== undefined) s += ` ${String(sub)}`;
        return s;
      },
    });
  }
  return { entries, issues };
}
