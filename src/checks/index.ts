/**
 * Public API of the check engine: load checks (YAML → validated → compiled) and run them
 * against hosts. See docs/check-format.md for the file format.
 */

export { createEngine, type EngineOptions, failureOf } from './engine.js';
export { compileExpr, ExprError, parse as parseExpr, type Value } from './expr.js';
export { CheckInvalidError, type CheckIssue, formatIssue } from './issues.js';
export { expandCheckPaths, type FileResult, type LoadOptions, loadChecks, validateCheckFile, validateCheckFiles } from './load.js';
export { DEFAULT_CHECKS_DIR, DEFAULT_DATA_DIR, REPO_ROOT } from './paths.js';
export type { CheckEngine, CheckInfo, CheckKind, CompiledCheck, HostVerdict } from './types.js';
