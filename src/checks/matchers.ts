/**
 * Compiles matcher and extractor definitions into closures over a ResponseView. All regexes are
 * built here, once, at load time; the hot path only runs them on bounded text.
 */
import { compileExpr, type Evaluator, truthy } from './expr.js';
import { gzipMtimeFromBody } from './gzip.js';
import type { ResponseView } from './response.js';
import type { ExtractorDef, MatcherDef } from './schema.js';
import { responseScope } from './scope.js';

/** A compiled matcher: sets boolean signal `slot`. */
export interface MatcherProgram {
  name: string;
  slot: number;
  test(view: ResponseView): boolean;
}

/** A compiled extractor: sets string signal `slot` (null when nothing was extracted). */
export interface ExtractorProgram {
  name: string;
  slot: number;
  extract(view: ResponseView): string | null;
}

/** Max characters kept of an extracted value. */
export const MAX_EXTRACTED = 200;

/** A compile problem at a sub-path of the matcher/extractor (e.g. `regex[0]`). */
export class DefError extends Error {
  readonly subPath: Array<string | number>;
  constructor(subPath: Array<string | number>, message: string) {
    super(message);
    this.subPath = subPath;
  }
}

/**
 * Compile a pattern, translating a leading inline flag group such as `(?i)` or `(?is)` into
 * RegExp flags. Throws an Error with a readable reason.
 */
export function compileRegex(src: string): RegExp {
  let flags = '';
  let body = src;
  const m = /^\(\?([ims]+)\)/.exec(src);
  if (m) {
    flags = [...new Set(m[1])].join('');
    body = src.slice(m[0].length);
  }
  try {
    return new RegExp(body, flags);
  } catch (e) {
    throw new Error(`invalid regular expression: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
}

/** Number of capture groups in a compiled regex. */
function groupCount(re: RegExp): number {
  return (new RegExp(`${re.source}|`, re.flags).exec('')?.length ?? 1) - 1;
}

function regexes(list: string[], key: string): RegExp[] {
  return list.map((r, i) => {
    try {
      return compileRegex(r);
    } catch (e) {
      throw new DefError([key, i], (e as Error).message);
    }
  });
}

/** Compile one matcher definition. Throws DefError naming the bad sub-path. */
export function compileMatcher(def: MatcherDef, slot: number): MatcherProgram {
  let test: (v: ResponseView) => boolean;
  switch (def.type) {
    case 'status': {
      const set = new Set(def.status);
      test = (v) => set.has(v.res.status);
      break;
    }
    case 'word': {
      const ci = def.case_insensitive === true;
      const words = ci ? def.words.map((w) => w.toLowerCase()) : def.words;
      const part = def.part ?? 'body';
      const and = def.condition === 'and';
      test = (v) => {
        const text = v.part(part, ci);
        return and ? words.every((w) => text.includes(w)) : words.some((w) => text.includes(w));
      };
      break;
    }
    case 'regex': {
      const res = regexes(def.regex, 'regex');
      const part = def.part ?? 'body';
      const and = def.condition === 'and';
      test = (v) => {
        const text = v.part(part);
        return and ? res.every((r) => r.test(text)) : res.some((r) => r.test(text));
      };
      break;
    }
    case 'binary': {
      const prefixes = def.binary.map((h) => Buffer.from(h, 'hex'));
      const and = def.condition === 'and';
      const starts = (b: Buffer, p: Buffer): boolean => b.length >= p.length && b.compare(p, 0, p.length, 0, p.length) === 0;
      test = (v) => (and ? prefixes.every((p) => starts(v.res.body, p)) : prefixes.some((p) => starts(v.res.body, p)));
      break;
    }
    case 'size': {
      const { exact, min, max } = def;
      test = (v) => {
        const n = v.res.body.length;
        return (exact === undefined || n === exact) && (min === undefined || n >= min) && (max === undefined || n <= max);
      };
      break;
    }
    case 'header': {
      const name = def.header.toLowerCase();
      const res = regexes(def.regex, 'regex');
      const and = def.condition === 'and';
      test = (v) => {
        for (const [k, val] of v.res.headers) {
          if (k !== name) continue;
          if (and ? res.every((r) => r.test(val)) : res.some((r) => r.test(val))) return true;
        }
        return false;
      };
      break;
    }
    case 'expr': {
      let ev: Evaluator<ResponseView>;
      try {
        ev = compileExpr(def.expr, responseScope);
      } catch (e) {
        throw new DefError(['expr'], (e as Error).message);
      }
      test = (v) => truthy(ev(v));
      break;
    }
  }
  if (def.negative === true) {
    const inner = test;
    test = (v) => !inner(v);
  }
  return { name: def.name, slot, test };
}

function bound(s: string | undefined | null): string | null {
  if (s === undefined || s === null) return null;
  return s.length > MAX_EXTRACTED ? s.slice(0, MAX_EXTRACTED) : s;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Compile one extractor definition. Throws DefError naming the bad sub-path. */
export function compileExtractor(def: ExtractorDef, slot: number): ExtractorProgram {
  let extract: (v: ResponseView) => string | null;
  switch (def.type) {
    case 'regex': {
      const res = regexes(def.regex, 'regex');
      const part = def.part ?? 'body';
      const groups = res.map((r, i) => {
        const n = groupCount(r);
        const g = def.group ?? (n > 0 ? 1 : 0);
        if (g > n)
          throw new DefError(def.group === undefined ? ['regex', i] : ['group'], `group ${g} does not exist in regex[${i}] (it has ${n})`);
        return g;
      });
      extract = (v) => {
        const text = v.part(part);
        for (let i = 0; i < res.length; i++) {
          const m = res[i].exec(text);
          if (m && m[groups[i]] !== undefined) return bound(m[groups[i]]);
        }
        return null;
      };
      break;
    }
    case 'gzip-mtime': {
      const fname = def.fname;
      extract = (v) => {
        const t = gzipMtimeFromBody(v.res.body, v.headerValue('content-encoding'), fname);
        return t === null ? null : String(t);
      };
      break;
    }
    case 'header': {
      const name = def.header.toLowerCase();
      extract = (v) => bound(v.headerValue(name));
      break;
    }
    case 'kv': {
      const re = new RegExp(
        `(?:^|[^A-Za-z0-9_$.])${escapeRe(def.key)}\\s*[=:]\\s*(?:"([^"\\r\\n]{0,200})"|'([^'\\r\\n]{0,200})'|([^\\s;,'"<>]{1,200}))`,
      );
      const part = def.part ?? 'body';
      extract = (v) => {
        const m = re.exec(v.part(part));
        return m ? bound(m[1] ?? m[2] ?? m[3]) : null;
      };
      break;
    }
  }
  return { name: def.name, slot, extract };
}
