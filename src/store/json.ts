/**
 * Reading JSON columns: text on SQLite (parse), already parsed where the dialect has jsonb. A value
 * that does not parse means a damaged or foreign database file: EW_STORE_CORRUPT.
 */
import { EdgewatchError } from '../errors.js';

export function readJson<T>(value: unknown, what: string): T {
  if (typeof value !== 'string') return value as T;
  try {
    return JSON.parse(value) as T;
  } catch (cause) {
    throw new EdgewatchError('EW_STORE_CORRUPT', `${what} holds invalid JSON`, { cause });
  }
}
