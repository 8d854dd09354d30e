/** Public surface of the store (src/store): open it, and its types. */

export { diffChange } from './diff-label.js';
export type { Database } from './schema.js';
export { SeqBitset } from './seq-set.js';
export { createDb, openStore, type StoreOptions } from './store.js';
export type * from './types.js';
export { migrateStore, storeStatus, type StoreStatus } from './admin.js';
export { copyStore, type CopyResult } from './copy.js';
export { isPostgresUrl, redactLocation, storeConfigFor } from './location.js';
