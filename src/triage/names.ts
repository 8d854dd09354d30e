/**
 * Entry names of a collection: sanitising archive/directory names and mapping them onto the
 * layout of types.ts (`fs/<abs path>`, `meta/<name>`, `MANIFEST.sha256`). Names with `..`,
 * absolute names, NUL or backslashes are refused; one common top-level folder is stripped.
 */

/** A relative name split into clean components, or the reason it is refused. */
export type CleanName = { ok: true; parts: string[] } | { ok: false; reason: string };

export function cleanName(raw: string): CleanName {
  if (raw.length === 0) return { ok: false, reason: 'empty name' };
  if (raw.length > 4096) return { ok: false, reason: 'name longer than 4096 characters' };
  if (raw.includes('\0')) return { ok: false, reason: 'NUL in name' };
  if (raw.includes('\\')) return { ok: false, reason: 'backslash in name' };
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) return { ok: false, reason: 'absolute name' };
  const parts: string[] = [];
  for (const p of raw.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') return { ok: false, reason: 'path traversal (..)' };
    parts.push(p);
  }
  if (parts.length === 0) return { ok: false, reason: 'empty name' };
  return { ok: true, parts };
}

const LAYOUT_TOP = new Set(['fs', 'meta', 'MANIFEST.sha256']);

/**
 * The single top-level folder to strip, when every name sits under the same first component
 * and that component is not itself part of the layout (`fs`, `meta`, `MANIFEST.sha256`).
 */
export function commonTop(names: Iterable<string[]>): string | null {
  let top: string | null = null;
  for (const parts of names) {
    if (parts.length < 2) {
      // A file at the root (or the folder's own entry): only the folder entry itself is allowed.
      if (parts.length === 1 && (top === null || top === parts[0]) && !LAYOUT_TOP.has(parts[0])) {
        top = parts[0];
        continue;
      }
      return null;
    }
    if (top === null) top = parts[0];
    else if (top !== parts[0]) return null;
  }
  return top !== null && !LAYOUT_TOP.has(top) ? top : null;
}

/** Where a clean name lands in the layout. */
export type LayoutName = { kind: 'fs'; path: string } | { kind: 'meta'; name: string } | { kind: 'manifest' } | { kind: 'other' };

export function layoutOf(parts: string[]): LayoutName {
  if (parts[0] === 'fs' && parts.length > 1) return { kind: 'fs', path: `/${parts.slice(1).join('/')}` };
  if (parts[0] === 'meta' && parts.length === 2) return { kind: 'meta', name: parts[1] };
  if (parts.length === 1 && parts[0] === 'MANIFEST.sha256') return { kind: 'manifest' };
  return { kind: 'other' };
}

/** Escape a hostile name for a warning line. */
export function showName(raw: string): string {
  const s = raw.length > 200 ? `${raw.slice(0, 200)}…` : raw;
  return JSON.stringify(s);
}
