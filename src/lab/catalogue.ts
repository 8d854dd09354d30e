/**
 * The lab's persona catalogue per check: for every shipped check file (by id), which personas
 * produce which outcome. test/checks/lab-coverage.test.ts enumerates checks/*.yaml and fails when a
 * check, or one of the outcomes its rules can produce, has no entry here; it then scans those
 * personas and compares the engine with the truth. Outcomes: cve checks — the CVE state (plus
 * `not_applicable` for hosts that are not the product); compromise checks — `true` / `false` /
 * `unknown`; fingerprint checks — `identified` / `not_identified`.
 * Adding a check file therefore means adding personas for it here (and in the lab), on purpose.
 */
import type { CompromiseKind } from './compromise.js';
import type { PersonaId } from './personas.js';

export type CatalogueOutcome = string;

const GATEWAY_LATER: Record<CatalogueOutcome, readonly PersonaId[]> = {
  vulnerable: ['citrix-later-build', 'citrix-vulnerable-13.0'],
  patched: ['citrix-later-build'],
  // no Gateway page (management interface), unknown build, old branch not assessed
  unknown: ['citrix-adc-mgmt', 'citrix-absent-fixed', 'citrix-vulnerable-11.1'],
  not_applicable: ['nginx-default', 'pulse-vulnerable', 'honeypot-cve'],
};

const MGMT_LATER: Record<CatalogueOutcome, readonly PersonaId[]> = {
  vulnerable: ['citrix-adc-mgmt'],
  patched: ['citrix-adc-mgmt', 'citrix-later-build'],
  // a Gateway address: the management GUI is not reachable there
  unknown: ['citrix-vulnerable-13.0', 'citrix-absent-fixed'],
  not_applicable: ['nginx-default', 'pulse-patched'],
};

const COMPROMISE_CLEAN: readonly PersonaId[] = ['citrix-vulnerable-13.0', 'citrix-later-build'];
const COMPROMISE_UNKNOWN: readonly PersonaId[] = ['citrix-waf-php'];

/** Check id → outcome → personas that produce it (at least one host of them does). */
export const CHECK_PERSONAS: Readonly<Record<string, Readonly<Record<CatalogueOutcome, readonly PersonaId[]>>>> = {
  'netscaler-fingerprint': {
    identified: ['citrix-later-build', 'citrix-vulnerable-10.5', 'citrix-rfwebui', 'citrix-adc-mgmt'],
    not_identified: ['nginx-default', 'honeypot-catchall', 'pulse-patched'],
  },
  'pulse-secure-fingerprint': {
    identified: ['pulse-patched', 'pulse-vulnerable', 'pulse-no-version'],
    not_identified: ['pulse-lookalike', 'nginx-default'],
  },
  'CVE-2019-19781': {
    vulnerable: ['citrix-vulnerable-13.0', 'citrix-mitigated-ineffective'],
    mitigated: ['citrix-mitigated'],
    patched: ['citrix-patched-first', 'citrix-later-build'],
    unknown: ['citrix-absent-fixed'],
    not_applicable: ['honeypot-cve', 'nginx-default', 'pulse-vulnerable'],
  },
  'CVE-2019-11510': {
    vulnerable: ['pulse-vulnerable'],
    patched: ['pulse-patched'],
    unknown: ['pulse-no-version'],
    not_applicable: ['pulse-lookalike', 'citrix-vulnerable-13.0'],
  },
  'CVE-2022-27510': GATEWAY_LATER,
  'CVE-2022-27518': GATEWAY_LATER,
  'CVE-2023-3519': GATEWAY_LATER,
  'CVE-2023-4966': GATEWAY_LATER,
  'CVE-2023-6549': GATEWAY_LATER,
  'CVE-2025-5777': GATEWAY_LATER,
  'CVE-2025-6543': GATEWAY_LATER,
  'CVE-2025-7775': GATEWAY_LATER,
  'CVE-2023-6548': MGMT_LATER,
  'CVE-2025-5349': MGMT_LATER,
  'citrix-webshell-2020-themes': {
    true: ['citrix-compromised-webshell', 'citrix-patched-compromised'],
    false: COMPROMISE_CLEAN,
    unknown: COMPROMISE_UNKNOWN,
  },
  'citrix-webshell-2023-v1-uiareas': {
    true: ['citrix-compromised-2023-v1'],
    false: COMPROMISE_CLEAN,
    unknown: COMPROMISE_UNKNOWN,
  },
  'citrix-webshell-2023-v2-epa': {
    true: ['citrix-compromised-2023-v2'],
    false: COMPROMISE_CLEAN,
    unknown: COMPROMISE_UNKNOWN,
  },
};

/** Which implant kind each compromise check sees from outside (the agreed indicator paths X1–X3, implants.ts). */
export const COMPROMISE_KIND_OF_CHECK: Readonly<Record<string, CompromiseKind>> = {
  'citrix-webshell-2020-themes': 'webshell-2020',
  'citrix-webshell-2023-v1-uiareas': 'webshell-2023-v1',
  'citrix-webshell-2023-v2-epa': 'webshell-2023-v2',
};
