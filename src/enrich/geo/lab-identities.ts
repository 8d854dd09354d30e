/**
 * Reading the lab's demo identities file (`edgewatch lab … --identities FILE`, JSON Lines:
 * `{"lab_ip","public_ip","org","sector","domains","cc"}`) for the enrichment pipeline. A lab host
 * (a loopback address) then stands for a public address drawn from real allocations: enrichment
 * looks up the PUBLIC address's facts and records it as `lab_public_ip`, labelled as lab data.
 * Only loopback lab addresses are accepted: a mapping for any address outside 127.0.0.0/8 is
 * refused (EW_LAB_IDENTITY naming file:line), so real targets can never be disguised.
 */
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { EdgewatchError } from '../../errors.js';
import { formatIPv4, parseIp } from '../../scope/ip.js';
import type { LabIdentity } from '../types.js';

const MAX_FILE = 256 * 1024 * 1024;
const MAX_LINE = 16 * 1024;

const Line = z
  .object({
    lab_ip: z.string().max(64),
    public_ip: z.string().max(64),
    org: z.string().max(300).nullable().optional(),
    sector: z.string().max(100).nullable().optional(),
    domains: z.array(z.string().max(253)).max(50).optional(),
    cc: z.string().max(2).nullable().optional(),
  })
  .passthrough();

export interface LabIdentityEntry extends LabIdentity {
  domains: string[];
  cc: string | null;
}

/** lab_ip (canonical) → identity. */
export type LabIdentityMap = ReadonlyMap<string, LabIdentityEntry>;

/** True for an IPv4 address in 127.0.0.0/8 (canonical text given). */
export function isLoopbackV4(ip: string): boolean {
  const p = parseIp(ip);
  return p !== null && p.family === 4 && p.v4 >>> 24 === 127;
}

export function loadLabIdentities(file: string): LabIdentityMap {
  let text: string;
  try {
    if (statSync(file).size > MAX_FILE) throw new Error(`larger than ${MAX_FILE} bytes`);
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new EdgewatchError('EW_LAB_IDENTITY', `cannot read lab identities: ${(cause as Error).message}`, { file, cause });
  }
  return parseLabIdentities(text, file);
}

export function parseLabIdentities(text: string, file: string): LabIdentityMap {
  const out = new Map<string, LabIdentityEntry>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    if (raw.trim() === '' || raw.startsWith('#')) continue;
    const fail = (msg: string): never => {
      throw new EdgewatchError('EW_LAB_IDENTITY', msg, { file, line: i + 1 });
    };
    if (raw.length > MAX_LINE) fail(`line longer than ${MAX_LINE} characters`);
    let doc: unknown;
    try {
      doc = JSON.parse(raw);
    } catch {
      fail('not a JSON object');
    }
    const p = Line.safeParse(doc);
    if (!p.success) fail(`${p.error.issues[0].path.join('.') || '(line)'}: ${p.error.issues[0].message}`);
    const d = (p as { data: z.infer<typeof Line> }).data;
    const lab = parseIp(d.lab_ip);
    if (!lab) fail(`lab_ip is not an IP address: ${JSON.stringify(d.lab_ip)}`);
    if (!isLoopbackV4((lab as NonNullable<typeof lab>).text)) fail(`lab_ip ${d.lab_ip} is outside 127.0.0.0/8: identities are only for loopback lab hosts`);
    const pub = parseIp(d.public_ip);
    if (!pub) fail(`public_ip is not an IP address: ${JSON.stringify(d.public_ip)}`);
    const pubP = pub as NonNullable<typeof pub>;
    if (pubP.family === 4 && (pubP.v4 >>> 24 === 127 || pubP.v4 >>> 24 === 0)) fail(`public_ip ${d.public_ip} is not a public address`);
    const labText = formatIPv4((lab as { v4: number }).v4);
    out.set(labText, {
      lab_ip: labText,
      public_ip: pubP.text,
      org: d.org ?? null,
      sector: d.sector ?? null,
      domains: d.domains ?? [],
      cc: d.cc ?? null,
    });
  }
  return out;
}
