/**
 * The persona catalogue: every kind of host the lab can emulate, its family (Citrix appliance,
 * other web server, transport fault) and the default population mix. Behaviour on the wire lives
 * in citrix.ts (Gateway emulation), others.ts (non-Citrix sites) and server.ts (faults).
 */
import { EdgewatchError } from '../errors.js';

export const PERSONA_IDS = [
  'refused',
  'citrix-vulnerable-10.5',
  'citrix-vulnerable-11.1',
  'citrix-vulnerable-12.0',
  'citrix-vulnerable-12.1',
  'citrix-vulnerable-13.0',
  'citrix-mitigated',
  'citrix-mitigated-ineffective',
  'citrix-patched-first',
  'citrix-patched-later',
  'citrix-patched-responder',
  'citrix-absent-vulnerable',
  'citrix-absent-fixed',
  'citrix-csv-unknown',
  'citrix-rfwebui',
  'citrix-legacy-tls',
  'citrix-http10',
  'citrix-chunked',
  'citrix-compromised-webshell',
  'citrix-patched-compromised',
  'citrix-compromised-2023-v1',
  'citrix-compromised-2023-v2',
  'nginx-default',
  // Listed right after nginx-default, whose weight they take: the cumulative weights of every other
  // persona stay where they were, so existing seeds keep their populations beyond the first hosts.
  'citrix-hostile-names',
  'hostile-site',
  'iis-default',
  'apache-default',
  'blog-citrix',
  'storefront',
  'waf',
  'honeypot-catchall',
  'honeypot-cve',
  'redirect-logonpoint',
  'tls-alert',
  'tarpit',
  'drip',
  'oversized',
  'garbage',
  'citrix-later-build',
  'citrix-adc-mgmt',
  'citrix-waf-php',
  'pulse-vulnerable',
  'pulse-patched',
  'pulse-no-version',
  'pulse-lookalike',
] as const;

/** Identifier of a persona (stable: it appears in the truth file and in mix files). */
export type PersonaId = (typeof PERSONA_IDS)[number];

/** citrix: a Citrix ADC/Gateway (any wire quirk); other: a non-Citrix site; fault: transport trouble. */
export type PersonaFamily = 'citrix' | 'other' | 'fault';

/** Pulse Secure / Ivanti Connect Secure personas (the second vendor; see pulse.ts). */
export function isPulsePersona(id: PersonaId): boolean {
  return id.startsWith('pulse-');
}

export function personaFamily(id: PersonaId): PersonaFamily {
  if (id.startsWith('citrix-')) return 'citrix';
  switch (id) {
    case 'refused':
    case 'tls-alert':
    case 'tarpit':
    case 'drip':
    case 'oversized':
    case 'garbage':
      return 'fault';
    default:
      return 'other';
  }
}

const PERSONA_SET: ReadonlySet<string> = new Set(PERSONA_IDS);

export function isPersonaId(s: string): s is PersonaId {
  return PERSONA_SET.has(s);
}

/**
 * Default mix (weights in percent, sum 100). About 9 % refused, 56.25 % Citrix in day-0 proportions
 * (vulnerable majority, then mitigated, then patched; 3.5 % are the dedicated compromised personas that
 * guarantee every outside-visible implant kind, see compromise.ts; 4 % are later builds — boundary
 * builds of the 2022–2025 CVEs on Gateways and on management interfaces, later-cves.ts; 0.25 % a
 * vulnerable Gateway with a hostile certificate), 24.25 % non-Citrix web sites (0.25 % with a hostile
 * page title and certificate), 3.5 % Pulse Secure / Ivanti Connect Secure (pulse.ts), 8 % faults
 * (tarpit and drip 0.5 % each because they cost the scanner a full timeout). Documented in
 * src/lab/README.md. The two hostile personas carry markup, quotes, RLO, long strings and CR/LF in
 * the text a host controls (identity.ts HOSTILE, others.ts HOSTILE_TITLE).
 */
export const DEFAULT_MIX: Readonly<Record<PersonaId, number>> = {
  refused: 9,
  'citrix-vulnerable-10.5': 2,
  'citrix-vulnerable-11.1': 3,
  'citrix-vulnerable-12.0': 2,
  'citrix-vulnerable-12.1': 9,
  'citrix-vulnerable-13.0': 10,
  'citrix-mitigated': 7,
  'citrix-mitigated-ineffective': 1.5,
  'citrix-patched-first': 3,
  'citrix-patched-later': 3,
  'citrix-patched-responder': 1.5,
  'citrix-absent-vulnerable': 1.5,
  'citrix-absent-fixed': 1,
  'citrix-csv-unknown': 1,
  'citrix-rfwebui': 2.5,
  'citrix-legacy-tls': 1.5,
  'citrix-http10': 0.75,
  'citrix-chunked': 0.75,
  'citrix-compromised-webshell': 1,
  'citrix-patched-compromised': 1,
  'citrix-compromised-2023-v1': 0.75,
  'citrix-compromised-2023-v2': 0.75,
  'nginx-default': 6.5,
  'citrix-hostile-names': 0.25,
  'hostile-site': 0.25,
  'iis-default': 5,
  'apache-default': 1.5,
  'blog-citrix': 2,
  storefront: 3,
  waf: 2,
  'honeypot-catchall': 1,
  'honeypot-cve': 1,
  'redirect-logonpoint': 2,
  'tls-alert': 1.5,
  tarpit: 0.5,
  drip: 0.5,
  oversized: 0.5,
  garbage: 1,
  'citrix-later-build': 3,
  'citrix-adc-mgmt': 1,
  'citrix-waf-php': 0.5,
  'pulse-vulnerable': 1.5,
  'pulse-patched': 1,
  'pulse-no-version': 0.5,
  'pulse-lookalike': 0.5,
};

/**
 * Validate a user mix (persona → weight). Personas not named get weight 0; at least one weight
 * must be positive. Throws EW_LAB_MIX.
 */
export function normaliseMix(mix: Record<string, unknown>, file?: string): Record<PersonaId, number> {
  const out = Object.fromEntries(PERSONA_IDS.map((p) => [p, 0])) as Record<PersonaId, number>;
  let total = 0;
  for (const [k, v] of Object.entries(mix)) {
    if (!isPersonaId(k)) {
      throw new EdgewatchError('EW_LAB_MIX', `unknown persona "${k}" in mix (known: ${PERSONA_IDS.join(', ')})`, { file });
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new EdgewatchError('EW_LAB_MIX', `weight of "${k}" must be a number ≥ 0`, { file });
    }
    out[k] = v;
    total += v;
  }
  if (total <= 0) throw new EdgewatchError('EW_LAB_MIX', 'mix has no persona with a positive weight', { file });
  return out;
}
