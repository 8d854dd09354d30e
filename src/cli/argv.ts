/**
 * nuclei-style flags: nuclei users type `-l`, `-rl`, `-eh`, `-ef`, `-timeout`, `-resume`,
 * `-stats`, `-jsonl`, `-list`, `-si`. commander only knows one-letter short flags, so these
 * single-dash long forms are rewritten to their `--long` equivalents before parsing.
 */
const ALIASES: Record<string, string> = {
  '-rl': '--rate-limit',
  '-rate-limit': '--rate-limit',
  '-eh': '--exclude-hosts',
  '-exclude-hosts': '--exclude-hosts',
  '-ef': '--exclude-file',
  '-exclude-file': '--exclude-file',
  '-timeout': '--timeout',
  '-resume': '--resume',
  '-stats': '--stats',
  '-si': '--stats-interval',
  '-stats-interval': '--stats-interval',
  '-list': '--list',
  '-jsonl': '--jsonl',
  '-output': '--output',
  '-concurrency': '--concurrency',
  '-silent': '--silent',
  '-ua': '--user-agent',
};

export function rewriteNucleiFlags(argv: string[]): string[] {
  return argv.map((a) => {
    const eq = a.indexOf('=');
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const long = ALIASES[flag];
    return long ? (eq > 0 ? `${long}${a.slice(eq)}` : long) : a;
  });
}

export const NUCLEI_ALIASES = ALIASES;
