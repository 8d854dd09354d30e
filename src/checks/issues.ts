/**
 * Problems found in check files, each naming the file, the YAML path and (when known) the line,
 * e.g. `checks/x.yaml:14: requests[2].matchers[0].regex[0]: invalid regular expression: …`.
 * Loading throws one CheckInvalidError (code EW_CHECK_INVALID) carrying all of them.
 */
import { EdgewatchError } from '../errors.js';

/** One problem in one check file. */
export interface CheckIssue {
  file: string;
  /** 1-based line of the offending YAML node, when known. */
  line?: number;
  /** YAML path, e.g. `requests[2].matchers[0].regex[0]` (`(file)` for file-level problems). */
  path: string;
  message: string;
}

/** `['requests', 2, 'matchers', 0]` → `requests[2].matchers[0]`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let s = '';
  for (const p of path) {
    if (typeof p === 'number') s += `[${p}]`;
    else s += s === '' ? String(p) : `.${String(p)}`;
  }
  return s === '' ? '(root)' : s;
}

/** `file:line: path: message`. */
export function formatIssue(i: CheckIssue): string {
  return `${i.file}${i.line ? `:${i.line}` : ''}: ${i.path}: ${i.message}`;
}

/** Thrown by loadChecks when any file is invalid; `issues` lists every problem found. */
export class CheckInvalidError extends EdgewatchError {
  readonly issues: CheckIssue[];
  constructor(issues: CheckIssue[]) {
    const [first, ...rest] = issues;
    const more = rest.length > 0 ? `\n${rest.map(formatIssue).join('\n')}` : '';
    super('EW_CHECK_INVALID', `${first.path}: ${first.message}${more}`, { file: first.file, line: first.line, exitCode: 1 });
    this.name = 'CheckInvalidError';
    this.issues = issues;
  }
}
