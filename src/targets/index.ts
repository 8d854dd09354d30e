/**
 * Target input (src/targets): parse and stream target inputs (CLI arguments, lists, CIDRs, ranges,
 * names, masscan -oL/-oJ, zmap CSV, nuclei/httpx URL lines) into Targets with deterministic seq.
 */
export { type Entry, hostNameProblem, MAX_V6_ADDRESSES, parseListEntry, parsePort } from './entry.js';
export { type ConcreteFormat, detectFormat } from './formats.js';
export { DEFAULT_MAX_LINE_BYTES } from './lines.js';
export { normalisePorts, readTargets, type TargetCount, validateAndCount } from './read.js';
export { DEFAULT_DNS_TIMEOUT_MS, type LookupFn, resolveTarget } from './resolve.js';
export { DEFAULT_MAX_SPOOL_BYTES, spoolInputs, spoolStdin } from './stdin.js';
export type { Target, TargetFormat, TargetInput, TargetReadOptions } from './types.js';
