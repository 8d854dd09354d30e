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
import { migration0004 } from './0004_attribution.js';
import { migration0006 } from './0006_access.js';
import { migration0007 } from './0007_cases.js';
import { migration0008 } from './0008_report_indexes.js';
import { migration0009 } from './0009_api_indexes.js';
import { migration0010 } from './0010_write_path.js';

export function storeMigrations(caps: StoreCapabilities): Record<string, Migration> {
  return {
    '0001_initial': migration0001(caps),
    '0002_triage': migration0002(caps),
    '0003_compromise_index': migration0003(caps),
    '0004_attribution': migration0004(caps),
    '0006_access': migration0006(caps),
    '0007_cases': migration0007(caps),
    '0008_report_indexes': migration0008(caps),
    '0009_api_indexes': migration0009(caps),
    '0010_write_path': migration0010(caps),
  };
}
