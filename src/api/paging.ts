/**
 * Server-side pages of lists whose order depends on computed figures (organisations with their
 * worst state in a scan, cases with their age): the route computes the visible rows, this module
 * filters, sorts and cuts one page, so the browser never receives more than `per_page` rows.
 * Without `page` the route answers the whole (bounded) list, as before.
 */
export const PAGE_PROPS = {
  page: { type: 'integer', minimum: 1, maximum: 1_000_000 },
  per_page: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
  desc: { type: 'boolean' },
} as const;

export interface PageQuery {
  page?: number;
  per_page?: number;
  desc?: boolean;
}

export interface Page<T> {
  total: number;
  page: number;
  per_page: number;
  rows: T[];
}

/**
 * Sorts with `compare` (stable; reversed with `desc`), then cuts page `page` of `per_page` rows.
 * A page past the end is empty; `total` is the number of rows before cutting.
 */
export function pageOf<T>(rows: T[], q: PageQuery, compare: (a: T, b: T) => number): Page<T> {
  const perPage = Math.max(1, Math.min(q.per_page ?? 50, 500));
  const page = Math.max(1, q.page ?? 1);
  const sorted = rows.slice().sort(q.desc ? (a, b) => compare(b, a) : compare);
  return { total: rows.length, page, per_page: perPage, rows: sorted.slice((page - 1) * perPage, page * perPage) };
}

/** Case-insensitive substring filter over the given fields. */
export function matches(q: string | undefined, ...fields: Array<string | null | undefined>): boolean {
  if (!q) return true;
  const needle = q.toLowerCase();
  return fields.some((f) => f?.toLowerCase().includes(needle));
}
