/**
 * Where the scan scope comes from: the `--scope` flag, else the EDGEWATCH_SCOPE environment
 * variable. Both are lists separated by commas or white space.
 */

/** Splits a scope list (`127.0.0.0/8, ::1`) into entries. */
export function splitScopeList(text: string): string[] {
  return text.split(/[\s,]+/).filter((s) => s.length > 0);
}

/**
 * Scope entries from `--scope` when given (even if empty), else from EDGEWATCH_SCOPE, else [].
 * An empty result makes the ScopeGuard refuse to start (EW_SCOPE_REQUIRED).
 */
export function scopeFromEnv(flagValue?: string, env: NodeJS.ProcessEnv = process.env): string[] {
  if (flagValue !== undefined) return splitScopeList(flagValue);
  const v = env.EDGEWATCH_SCOPE;
  return v ? splitScopeList(v) : [];
}
