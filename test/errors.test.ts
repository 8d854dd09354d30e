/**
 * Every error code used in src/ is documented in docs/errors.md (fastify's habit: a stable,
 * documented vocabulary of error codes).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('error codes', () => {
  it('every EW_* code in src/ is listed in docs/errors.md', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
    const used = new Set<string>();
    for (const f of files(join(ROOT, 'src'))) {
      for (const m of readFileSync(f, 'utf8').matchAll(/['"`](EW_[A-Z][A-Z_]*[A-Z])['"`]/g)) used.add(m[1]);
    }
    // EW_NET_<REASON> codes are built from the reason vocabulary.
    for (const r of [
      'REFUSED',
      'TIMEOUT',
      'HOST_UNREACHABLE',
      'DNS',
      'TLS_HANDSHAKE',
      'RESET',
      'CLOSED',
      'PROTOCOL',
      'TOO_LARGE',
      'INTERNAL',
    ])
      used.add(`EW_NET_${r}`);
    expect(used.size).toBeGreaterThan(30);
    const missing = [...used].filter((c) => !doc.includes(`\`${c}\``));
    expect(missing).toEqual([]);
  });
});
