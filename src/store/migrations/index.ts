/**
 * The store's migrations, in order. To add one: create `NNNN_name.ts` exporting a factory
 * `(caps) => Migration` and add one line below. Names sort lexically; never rename or remove one
 * that has shipped.
 */
import type { Migration } from 'kysely';
import type { StoreCapabilities } from '../types.js';
import { migration0001 } from './0001_initial.js';
import { migration0002 } from './0002_triage.js';
import { migration0003 } from './0003_compromise_index.js';

export function storeMigrations(caps: StoreCapabilities): Record<string, Migration> {
  return {
    '0001_initial': migration0001(caps),
    '0002_triage': migration0002(caps),
    '0003_compromise_index': migration0003(caps),
  };
}
