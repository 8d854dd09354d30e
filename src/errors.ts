/**
 * Typed errors with stable codes (`EW_*`). Every code thrown anywhere in src/ is listed in
 * docs/errors.md (a test checks this). Branch on `err.code`, never on the message.
 */
export interface ErrorDetails {
  /** Input file the error refers to, when there is one. */
  file?: string;
  /** 1-based line number inside `file`. */
  line?: number;
  cause?: unknown;
  /** Process exit status the CLI maps this error to (default 2: could not run). */
  exitCode?: number;
}

export class EdgewatchError extends Error {
  readonly code: string;
  readonly file?: string;
  readonly line?: number;
  readonly exitCode: number;

  constructor(code: string, message: string, details: ErrorDetails = {}) {
    const where = details.file ? `${details.file}${details.line ? `:${details.line}` : ''}: ` : '';
    super(`${where}${message}`, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'EdgewatchError';
    this.code = code;
    this.file = details.file;
    this.line = details.line;
    this.exitCode = details.exitCode ?? 2;
  }
}

export function isEdgewatchError(e: unknown, code?: string): e is EdgewatchError {
  return e instanceof EdgewatchError && (code === undefined || e.code === code);
}
