/**
 * The YAML check format as zod schemas: structure and types only. Semantics (regexes compile,
 * expressions resolve, tables exist) are checked by compile.ts. docs/check-format.md documents
 * every field defined here. Unknown keys are errors (typos must not pass silently).
 */
import * as z from 'zod';

/** Signal names: identifiers without dots or dashes. */
const SignalName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an identifier (letters, digits, _)');
const RequestId = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'must start with a letter and use letters, digits, _ or -');
const HeaderName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be an HTTP header name');
const HeaderValue = z
  .string()
  .max(1024)
  .regex(/^[^\r\n\0]*$/, 'must not contain CR, LF or NUL');
/** Raw request target: sent byte for byte, so it only must not break the request line. */
const RawPath = z
  .string()
  .min(1)
  .max(2048)
  .regex(/^\/[\x21-\x7e]*$/, 'must start with / and contain only visible ASCII (no spaces or control characters)');
const Expr = z.string().min(1).max(4096);
const RegexList = z.array(z.string().min(1).max(2048)).min(1).max(32);
const Part = z.enum(['body', 'title', 'header', 'status_line', 'location', 'all']);
const Condition = z.enum(['and', 'or']);
const Hex = z
  .string()
  .regex(/^([0-9a-fA-F]{2})+$/, 'must be hex bytes, e.g. 1f8b0808')
  .max(512);

const matcherBase = { name: SignalName, negative: z.boolean().optional() };

export const MatcherSchema = z.discriminatedUnion('type', [
  z.strictObject({ ...matcherBase, type: z.literal('status'), status: z.array(z.number().int().min(100).max(999)).min(1) }),
  z.strictObject({
    ...matcherBase,
    type: z.literal('word'),
    part: Part.optional(),
    words: z.array(z.string().min(1).max(1024)).min(1).max(64),
    condition: Condition.optional(),
    case_insensitive: z.boolean().optional(),
  }),
  z.strictObject({ ...matcherBase, type: z.literal('regex'), part: Part.optional(), regex: RegexList, condition: Condition.optional() }),
  z.strictObject({ ...matcherBase, type: z.literal('binary'), binary: z.array(Hex).min(1).max(32), condition: Condition.optional() }),
  z
    .strictObject({
      ...matcherBase,
      type: z.literal('size'),
      exact: z.number().int().min(0).optional(),
      min: z.number().int().min(0).optional(),
      max: z.number().int().min(0).optional(),
    })
    .refine((m) => m.exact !== undefined || m.min !== undefined || m.max !== undefined, 'size needs exact, min or max'),
  z.strictObject({ ...matcherBase, type: z.literal('header'), header: HeaderName, regex: RegexList, condition: Condition.optional() }),
  z.strictObject({ ...matcherBase, type: z.literal('expr'), expr: Expr }),
]);

export const ExtractorSchema = z.discriminatedUnion('type', [
  z.strictObject({
    name: SignalName,
    type: z.literal('regex'),
    part: Part.optional(),
    regex: RegexList,
    group: z.number().int().min(0).max(99).optional(),
  }),
  z.strictObject({
    name: SignalName,
    type: z.literal('gzip-mtime'),
    fname: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[\x21-\x7e]+$/, 'must be visible ASCII'),
  }),
  z.strictObject({ name: SignalName, type: z.literal('header'), header: HeaderName }),
  z.strictObject({
    name: SignalName,
    type: z.literal('kv'),
    part: Part.optional(),
    key: z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$.]*$/, 'must be a variable name'),
  }),
]);

export const RequestSchema = z.strictObject({
  id: RequestId,
  method: z.enum(['GET', 'HEAD']),
  path: RawPath,
  headers: z.record(HeaderName, HeaderValue).optional(),
  when: Expr.optional(),
  matchers: z.array(MatcherSchema).max(64).optional(),
  extractors: z.array(ExtractorSchema).max(64).optional(),
});

export const InfoSchema = z.strictObject({
  name: z.string().min(1).max(200),
  vendor: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lower-case, e.g. citrix'),
  product: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lower-case, e.g. citrix-adc'),
  severity: z.enum(['info', 'low', 'medium', 'high', 'critical']),
  description: z.string().max(4000).optional(),
  references: z.array(z.string().max(500)).max(50).optional(),
  remediation: z.string().max(4000).optional(),
  cves: z
    .array(z.string().regex(/^CVE-\d{4}-\d{4,}$/, 'must look like CVE-2019-19781'))
    .max(20)
    .optional(),
});

const CheckId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be letters, digits, ., _ or -')
  .max(100);
const Requests = z.array(RequestSchema).min(1).max(32);

export const VersionSourceSchema = z
  .strictObject({
    source: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be a lower-case name, e.g. rdx_stamp'),
    from: z.string().min(1).max(200),
    table: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be a table name (data/<name>.csv)')
      .optional(),
    key: z.string().min(1).max(64).optional(),
    pattern: z.string().min(1).max(1024).optional(),
    format: z.string().min(1).max(200).optional(),
  })
  .refine(
    (s) =>
      (s.table !== undefined && s.key !== undefined && s.pattern === undefined && s.format === undefined) ||
      (s.pattern !== undefined && s.format !== undefined && s.table === undefined && s.key === undefined),
    'a version source has either table + key, or pattern + format',
  );

const Confidence = z.enum(['certain', 'strong', 'weak']);

export const FingerprintCheckSchema = z.strictObject({
  id: CheckId,
  kind: z.literal('fingerprint'),
  info: InfoSchema,
  requests: Requests,
  identify: z
    .strictObject({ veto: Expr.optional(), certain: Expr.optional(), strong: Expr.optional(), weak: Expr.optional() })
    .refine((i) => i.certain !== undefined || i.strong !== undefined || i.weak !== undefined, 'identify needs certain, strong or weak'),
  version: z.array(VersionSourceSchema).max(16).optional(),
  product_min_confidence: Confidence.optional(),
});

const BranchKey = z
  .string()
  .regex(/^\d{1,3}\.\d{1,3}([-.R]\d{1,6}){0,2}$/, 'must be a branch like 13.0, a build line like 12.1-55, or 9.0 / 9.0.3');
const Build = z
  .string()
  .regex(
    /^(\d{1,3}\.\d{1,3}-\d{1,4}\.\d{1,4}|\d{1,3}\.\d{1,3}(\.\d{1,6}){1,2}|\d{1,3}\.\d{1,3}R\d{1,3}(\.\d{1,4})?)$/,
    'must be a build like 13.0-47.24, 9.0.3.64053 or 9.0R3.4',
  );
/** A first fixed build, or `eol` (vulnerable, no fix), `not_affected`, `unassessed` (the vendor did not say). */
const FixedValue = z.union([Build, z.enum(['eol', 'not_affected', 'unassessed'])]);

export const RangeSchema = z.strictObject({
  branch: BranchKey,
  from: Build.optional(),
  below: Build.optional(),
  except: z.array(Build).max(100).optional(),
});

export const CveCheckSchema = z.strictObject({
  id: CheckId,
  kind: z.literal('cve'),
  info: InfoSchema.refine((i) => (i.cves?.length ?? 0) > 0, { message: 'a cve check lists at least one CVE in info.cves', path: ['cves'] }),
  requires: z.strictObject({ product: z.string().min(1) }),
  versions: z
    .strictObject({
      fixed: z.record(BranchKey, FixedValue),
      ranges: z.record(SignalName, z.array(RangeSchema).min(1)).optional(),
    })
    .optional(),
  /** A check that decides from the build alone needs no request of its own (version-decided CVEs add no requests). */
  requests: z.array(RequestSchema).max(32).default([]),
  decide: z
    .array(
      z.strictObject({
        when: Expr,
        state: z.enum(['vulnerable', 'mitigated', 'patched', 'not_applicable', 'unknown']),
        why: z.string().min(1).max(300),
        /** The rule proves the host is not the product after all (a look-alike): product and version are cleared. */
        disproves_product: z.boolean().optional(),
      }),
    )
    .min(1)
    .max(64),
});

/** `compromised` of a compromise rule: YAML `true` / `false` (booleans or quoted) or `unknown`. */
const CompromisedValue = z.union([z.boolean(), z.enum(['true', 'false', 'unknown'])]);

export const CompromiseCheckSchema = z.strictObject({
  id: CheckId,
  kind: z.literal('compromise'),
  info: InfoSchema,
  requires: z.strictObject({ product: z.string().min(1) }),
  requests: Requests,
  decide: z
    .array(
      z.strictObject({
        when: Expr,
        compromised: CompromisedValue,
        /** Request id whose answer is the indicator (required with `compromised: true`, forbidden otherwise). */
        indicator: RequestId.optional(),
        why: z.string().min(1).max(300),
      }),
    )
    .min(1)
    .max(64),
});

export const CheckSchema = z.discriminatedUnion('kind', [FingerprintCheckSchema, CveCheckSchema, CompromiseCheckSchema]);

export type MatcherDef = z.infer<typeof MatcherSchema>;
export type ExtractorDef = z.infer<typeof ExtractorSchema>;
export type RequestDef = z.infer<typeof RequestSchema>;
export type FingerprintCheckDef = z.infer<typeof FingerprintCheckSchema>;
export type CveCheckDef = z.infer<typeof CveCheckSchema>;
export type CompromiseCheckDef = z.infer<typeof CompromiseCheckSchema>;
export type CheckDef = z.infer<typeof CheckSchema>;
export type VersionSourceDef = z.infer<typeof VersionSourceSchema>;
