/**
 * Public API of the probe engine: host sessions (raw HTTP/1.1 over TCP/TLS with limits), the
 * response parser, the dialer, the rate limiter and the error model. See types.ts for contracts.
 */

export { onAbort } from './abort.js';
export {
  type DialHandle,
  type DialParams,
  dial,
  extractTlsFacts,
  legacySecureContext,
  oneLineName,
  parseSans,
  startDial,
} from './dialer.js';
export { classifySocketError, failure, isNetError, NetError } from './errors.js';
export { type FeedResult, type Framing, type ParserLimits, ResponseParser } from './http1.js';
export { networkKey, RateLimiter, type RateLimiterOptions } from './rate.js';
export { createHostSession } from './session.js';
export * from './types.js';
