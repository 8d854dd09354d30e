/**
 * Store locations as users write them (`--db`, `EDGEWATCH_DB`, config `db:`): a `postgres://` or
 * `postgresql://` URL selects PostgreSQL, anything else is a SQLite file path. Also the one place
 * that redacts secrets from a location before it reaches a message or a log line.
 */
import { resolve } from 'node:path';
import type { StoreConfig } from './types.js';

const PG_SCHEME = /^postgres(?:ql)?:\/\//i;

/** True when `location` names a PostgreSQL server. */
export function isPostgresUrl(location: string): boolean {
  return PG_SCHEME.test(location.trim());
}

/** The StoreConfig a location string stands for (SQLite paths are resolved against the cwd). */
export function storeConfigFor(location: string, opts: { pool?: number } = {}): StoreConfig {
  const loc = location.trim();
  if (isPostgresUrl(loc)) return { dialect: 'postgres', url: loc, ...(opts.pool !== undefined ? { pool: opts.pool } : {}) };
  return { dialect: 'sqlite', file: loc === ':memory:' ? loc : resolve(loc) };
}

/**
 * `location` with any password removed: the userinfo password and `password=` query parameters
 * become `***`. Works on strings that do not parse as URLs too (never echoes a secret back).
 */
export function redactLocation(location: string): string {
  const s = String(location);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) return s;
  try {
    const u = new URL(s);
    if (u.password !== '') u.password = '***';
    for (const key of [...u.searchParams.keys()]) {
      if (/^(password|pass|pwd|sslpassword)$/i.test(key)) u.searchParams.set(key, '***');
    }
    return u.toString();
  } catch {
    // Not a URL after all: blank out anything between "//user:" and "@", and password params.
    return s.replace(/(\/\/[^/:@]*:)[^@/]*@/, '$1***@').replace(/((?:password|pass|pwd|sslpassword)=)[^&]*/gi, '$1***');
  }
}
