/**
 * Reading check files: YAML → zod validation → compilation, with every problem reported as
 * `file:line: yaml.path: message`. `loadChecks` throws one CheckInvalidError listing all
 * problems; `validateCheckFiles` returns them (for `edgewatch checks validate`).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative, resolve } from 'node:path';
import { type Document, isNode, LineCounter, parseDocument } from 'yaml';
import { EdgewatchError } from '../errors.js';
import { compileCheckDef } from './compile.js';
import { CheckInvalidError, type CheckIssue, formatPath } from './issues.js';
import { defaultCheckLocation } from './pack/active.js';
import { DEFAULT_DATA_DIR } from './paths.js';
import { CheckSchema } from './schema.js';
import type { CompiledCheck } from './types.js';

/** Options of loadChecks / validateCheckFiles. */
export interface LoadOptions {
  /** Directory holding version tables (default: `data/` at the repository root). */
  dataDir?: string;
  /** Base for the file names shown in messages (default: the working directory). */
  displayBase?: string;
  /** Data directory holding installed packs (`<it>/packs`); used only when no paths are given. */
  packDataRoot?: string;
}

/** Result of validating one file. */
export interface FileResult {
  file: string;
  check: CompiledCheck | null;
  issues: CheckIssue[];
}

const MAX_CHECK_BYTES = 256 * 1024;
const EXTENSIONS = new Set(['.yaml', '.yml']);

/** Expand directories into their *.yaml / *.yml files (sorted); keep files as given. */
export async function expandCheckPaths(paths: string | readonly string[]): Promise<string[]> {
  const list = typeof paths === 'string' ? [paths] : [...paths];
  const out: string[] = [];
  for (const p of list) {
    let s: Awaited<ReturnType<typeof stat>>;
    try {
      s = await stat(p);
    } catch (e) {
      throw new EdgewatchError('EW_CHECK_READ', `cannot read check path: ${(e as Error).message}`, { file: p, cause: e });
    }
    if (s.isDirectory()) {
      const names = (await readdir(p)).filter((n) => EXTENSIONS.has(extname(n))).sort();
      for (const n of names) out.push(join(p, n));
    } else out.push(p);
  }
  return out;
}

function lineOf(doc: Document, lc: LineCounter, path: ReadonlyArray<PropertyKey>): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
  }
  return undefined;
}

/** Validate and compile one check file; never throws for content problems. */
export async function validateCheckFile(file: string, opts: LoadOptions = {}): Promise<FileResult> {
  const shown = relative(opts.displayBase ?? process.cwd(), resolve(file)) || file;
  const issues: CheckIssue[] = [];
  const fail = (message: string, line?: number, path = '(file)'): FileResult => {
    issues.push({ file: shown, line, path, message });
    return { file: shown, check: null, issues };
  };
  let text: string;
  try {
    const s = await stat(file);
    if (s.size > MAX_CHECK_BYTES) return fail(`file larger than ${MAX_CHECK_BYTES} bytes`);
    text = await readFile(file, 'utf8');
  } catch (e) {
    return fail(`cannot read: ${(e as Error).message}`);
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const err of doc.errors) {
      issues.push({ file: shown, line: lc.linePos(err.pos[0]).line || undefined, path: '(yaml)', message: err.message.split('\n')[0] });
    }
    return { file: shown, check: null, issues };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 50 });
  } catch (e) {
    return fail(`YAML: ${(e as Error).message}`);
  }
  const parsed = CheckSchema.safeParse(raw);
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      const keys = i.code === 'unrecognized_keys' ? i.keys : [];
      const path = keys.length === 1 ? [...i.path, keys[0]] : i.path;
      const message =
        i.code === 'unrecognized_keys' ? (keys.length === 1 ? 'unknown field' : `unknown fields ${keys.join(', ')}`) : i.message;
      issues.push({ file: shown, line: lineOf(doc, lc, path), path: formatPath(path), message });
    }
    return { file: shown, check: null, issues };
  }
  const def = parsed.data;
  const stem = basename(file, extname(file));
  if (def.id !== stem) {
    issues.push({ file: shown, line: lineOf(doc, lc, ['id']), path: 'id', message: `id '${def.id}' must equal the file name '${stem}'` });
  }
  const check = compileCheckDef(def, {
    file: shown,
    dataDir: opts.dataDir ?? DEFAULT_DATA_DIR,
    issue: (path, message) => issues.push({ file: shown, line: lineOf(doc, lc, path), path: formatPath(path), message }),
  });
  return { file: shown, check: issues.length === 0 ? check : null, issues };
}

/** Validate many files (directories expanded); also reports duplicate ids across files. */
export async function validateCheckFiles(paths?: string | readonly string[], opts: LoadOptions = {}): Promise<FileResult[]> {
  if (paths === undefined) {
    // No paths: the pack in use — the newest valid installed pack, else the bundled checks/ + data/.
    const loc = await defaultCheckLocation(opts.packDataRoot);
    paths = loc.checksDir;
    opts = { ...opts, dataDir: opts.dataDir ?? loc.dataDir };
  }
  const files = await expandCheckPaths(paths);
  const results: FileResult[] = [];
  const seen = new Map<string, string>();
  for (const f of files) {
    const r = await validateCheckFile(f, opts);
    if (r.check) {
      const prev = seen.get(r.check.id);
      if (prev) {
        r.issues.push({ file: r.file, path: 'id', message: `duplicate check id '${r.check.id}' (also in ${prev})` });
        r.check = null;
      } else seen.set(r.check.id, r.file);
    }
    results.push(r);
  }
  return results;
}

/**
 * Load, validate and compile checks from files and/or directories (default: the pack in use — the
 * newest valid pack installed by `checks update`, else `checks/` + `data/` at the repository root,
 * see src/checks/pack/active.ts). Returns fingerprint checks
 * first, then cve checks, then compromise checks (each group in file-name order). Throws CheckInvalidError
 * (EW_CHECK_INVALID) listing every problem, or EdgewatchError EW_CHECK_READ for a missing path.
 */
export async function loadChecks(paths?: string | readonly string[], opts: LoadOptions = {}): Promise<CompiledCheck[]> {
  const results = await validateCheckFiles(paths, opts);
  const issues = results.flatMap((r) => r.issues);
  if (issues.length > 0) throw new CheckInvalidError(issues);
  const checks = results.map((r) => r.check).filter((c): c is CompiledCheck => c !== null);
  if (checks.length === 0) throw new EdgewatchError('EW_CHECK_READ', 'no check files (*.yaml) found', { file: String(paths ?? 'the check pack in use') });
  return [
    ...checks.filter((c) => c.kind === 'fingerprint'),
    ...checks.filter((c) => c.kind === 'cve'),
    ...checks.filter((c) => c.kind === 'compromise'),
  ];
}
