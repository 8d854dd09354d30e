/**
 * The network-lookup settings: config `enrich.rdns` / `enrich.rdap` validated with zod, merged with
 * the CLI flags (--rdns, --dns-server, --rdap, --rdap-base, --ripestat-base) into resolver options.
 */
import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { addEnrichNetOptions, EnrichNetConfig, type EnrichNetFlags, parseEnrichNetConfig, resolveEnrichNet } from '../../src/enrich/contacts/config.js';
import { isEdgewatchError } from '../../src/errors.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isEdgewatchError(e) ? e.code : 'not-edgewatch';
  }
  return undefined;
}

describe('EnrichNetConfig', () => {
  it('off by default: no flags, no config → no network lookups', () => {
    expect(resolveEnrichNet(undefined)).toEqual({ rdns: null, contacts: null });
    expect(resolveEnrichNet({ geo: { anything: 1 } })).toEqual({ rdns: null, contacts: null });
  });

  it('other enrich keys pass through untouched', () => {
    expect(EnrichNetConfig.parse({ geo: { x: 1 } })).toEqual({ geo: { x: 1 } });
    expect(parseEnrichNetConfig({ data: 'x' })).toMatchObject({ data: 'x' });
  });

  it('config keys map to resolver options', () => {
    const s = resolveEnrichNet({
      rdns: { enabled: true, servers: ['127.0.0.1:5353'], timeout_ms: 800, concurrency: 8, ttl_seconds: 60 },
      rdap: { enabled: true, base: 'http://127.0.0.1:8080/rdap/', ripestat_base: 'http://127.0.0.1:8081', rate_per_second: 2, sources: ['ripestat'] },
    });
    expect(s.rdns).toEqual({ servers: ['127.0.0.1:5353'], timeoutMs: 800, concurrency: 8, ttlSeconds: 60 });
    expect(s.contacts).toEqual({ rdapBase: 'http://127.0.0.1:8080/rdap/', ripestatBase: 'http://127.0.0.1:8081', ratePerSecond: 2, sources: ['ripestat'] });
  });

  it('flags win and switch lookups on', () => {
    const s = resolveEnrichNet(
      { rdns: { servers: ['127.0.0.2'] }, rdap: { base: 'http://127.0.0.1:1/' } },
      { dnsServer: '127.0.0.1:5353,127.0.0.3', rdapBase: 'http://127.0.0.1:2/' },
    );
    expect(s.rdns?.servers).toEqual(['127.0.0.1:5353', '127.0.0.3']);
    expect(s.contacts?.rdapBase).toBe('http://127.0.0.1:2/');
    expect(resolveEnrichNet({}, { rdns: true }).rdns).toEqual({});
    expect(resolveEnrichNet({}, { rdap: true }).contacts).toEqual({});
    expect(resolveEnrichNet({}, { ripestatBase: 'http://127.0.0.1:9/' }).contacts).toEqual({ ripestatBase: 'http://127.0.0.1:9/' });
  });

  it('bad values are EW_RDNS_CONFIG / EW_RDAP_CONFIG naming the key', () => {
    expect(code(() => resolveEnrichNet({ rdns: { servers: ['dns.example.org'] } }))).toBe('EW_RDNS_CONFIG');
    expect(code(() => resolveEnrichNet({ rdns: { nope: 1 } }))).toBe('EW_RDNS_CONFIG');
    expect(code(() => resolveEnrichNet({ rdap: { base: 'ftp://x/' } }))).toBe('EW_RDAP_CONFIG');
    expect(code(() => resolveEnrichNet({ rdap: { rate_per_second: -1 } }))).toBe('EW_RDAP_CONFIG');
    expect(code(() => resolveEnrichNet({}, { dnsServer: 'resolver.example' }))).toBe('EW_RDNS_CONFIG');
    expect(code(() => resolveEnrichNet({}, { rdapBase: 'javascript:alert(1)' }))).toBe('EW_RDAP_CONFIG');
    expect(() => parseEnrichNetConfig({ rdap: { timeout_ms: 'x' } }, 'edgewatch.yaml')).toThrow(/edgewatch\.yaml: enrich\.rdap\.timeout_ms/);
  });
});

describe('addEnrichNetOptions', () => {
  it('commander flags parse into EnrichNetFlags', () => {
    const cmd = addEnrichNetOptions(new Command('enrich').exitOverride());
    cmd.parse(['--dns-server', '127.0.0.1:5353', '--dns-server', '127.0.0.2', '--rdap-base', 'http://127.0.0.1:9/rdap/'], { from: 'user' });
    const flags = cmd.opts<EnrichNetFlags>();
    expect(flags).toEqual({ dnsServer: ['127.0.0.1:5353', '127.0.0.2'], rdapBase: 'http://127.0.0.1:9/rdap/' });
    const s = resolveEnrichNet(undefined, flags);
    expect(s.rdns?.servers).toEqual(['127.0.0.1:5353', '127.0.0.2']);
    expect(s.contacts?.rdapBase).toBe('http://127.0.0.1:9/rdap/');
  });
});
