/**
 * Compile-once helper: builds a query with Kysely using sentinel values, checks that the compiled
 * parameters come out in the expected order, and prepares the SQL once on a synchronous handle.
 * The SQL text is Kysely's, so it stays correct for whatever dialect produced the handle.
 */
import type { Compilable } from 'kysely';
import type { SyncHandle, SyncStatement } from './dialect.js';

/** A prepared statement; bind its parameters positionally, in the order of the sentinels it was built with. */
export interface Compiled {
  stmt: SyncStatement;
  sql: string;
}

/**
 * Prepare `query` built with `sentinels` as its values. Throws if Kysely emitted the parameters in
 * another order than `sentinels` (so positional binding would be wrong).
 */
export function prepareCompiled(sync: SyncHandle, query: Compilable, sentinels: readonly unknown[]): Compiled {
  const { sql, parameters } = query.compile();
  const same = parameters.length === sentinels.length && parameters.every((p, i) => p === sentinels[i]);
  if (!same) {
    throw new Error(`compiled parameter order differs from the expected one for: ${sql}`);
  }
  return { stmt: sync.prepare(sql), sql };
}

/** Distinct sentinel values: `s(n)` is the n-th placeholder's marker. */
export function sentinel(n: number): string {
  return `\u0000p${n}`;
}
