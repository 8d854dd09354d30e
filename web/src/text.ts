// Host-controlled text (names, titles, builds, evidence) is rendered by Preact as text, so markup
// stays inert; this also makes invisible and direction-changing characters visible, so a
// right-to-left override cannot disguise `gnp.exe` as `exe.png` or reorder a table cell.
const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: exactly what it is for
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

const mark = (c: string) => `⟦U+${c.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0')}⟧`;

export function t(v: unknown): string {
  if (v === null || v === undefined) return '';
  return String(v).replace(BIDI, mark).replace(CONTROL, mark);
}
