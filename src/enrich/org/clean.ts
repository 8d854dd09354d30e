/**
 * Cleaning untrusted text of organisation files before it is stored: control and bidi-override
 * characters become spaces, whitespace collapses, Unicode is NFC, and a leading formula character
 * (`=`, `+`, `-`, `@`) is removed so that a later CSV export cannot be read as a spreadsheet
 * formula. Lengths are bounded by the schema (too long is an error, never silently cut).
 */

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;
const FORMULA = /^[=+\-@\s]+/;

export interface Cleaned {
  value: string;
  /** What was changed, for a warning (null when nothing notable). */
  note: string | null;
}

/** Cleans one free-text value (names, roles, sectors). */
export function cleanText(raw: string): Cleaned {
  let note: string | null = null;
  let s = raw.normalize('NFC');
  if (CONTROL.test(s)) {
    note = 'control characters replaced by spaces';
    s = s.replace(CONTROL, ' ');
  }
  s = s.replace(/\s+/g, ' ').trim();
  if (/^[=+\-@]/.test(s)) {
    note = `leading "${s[0]}" removed (spreadsheet formula injection)`;
    s = s.replace(FORMULA, '');
  }
  return { value: s, note };
}

/** A stable key derived from a name: ASCII letters/digits joined by `-`, at most 64 characters. */
export function slugKey(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/g, '');
}
