/**
 * Scope guard and exclusion lists (see guard.ts): nothing is sent outside the configured scope,
 * exclusions are honoured before any packet. Public API of src/scope.
 */
export { type IPv4Range, type IPv6Range, type IpRange, parseCidr, parseCidrList, rangeSize, tryParseRange } from './cidr.js';
export { scopeFromEnv, splitScopeList } from './env.js';
export { MAX_EXCLUDE_FILE_BYTES, readExcludeFile } from './exclude-file.js';
export { formatRefusal, type RefusalReason, type ScopeDecision, ScopeGuard, type ScopeOptions } from './guard.js';
export { formatIPv4, formatIPv6, type ParsedIp, parseIPv4, parseIPv6, parseIp } from './ip.js';
export { RESERVED_RANGES, type ReservedBlock } from './reserved.js';
