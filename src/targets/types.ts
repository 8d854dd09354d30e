/**
 * Target model shared by the target readers, the scope guard and the scanner.
 * A target is an address (or a name to resolve) plus a port. `seq` is its deterministic ordinal
 * in the input stream: the same inputs always give the same seq to the same target, which is what
 * makes `--resume` exact.
 */
export interface Target {
  /** IPv4/IPv6 literal. Absent for a bare host name until it is resolved. */
  ip?: string;
  /** Host name for SNI and the Host header (zgrab-style `ip,name` lines or bare names). */
  host?: string;
  port: number;
  /** 0-based ordinal in the expanded input stream. */
  seq: number;
}

export type TargetInput =
  | { kind: 'arg'; value: string }
  | {
      kind: 'file';
      path: string;
      /** Name used in error messages instead of `path` (e.g. `stdin` for a spooled stdin copy). */
      label?: string;
    }
  | { kind: 'stdin' };

/**
 * Input file formats. `auto` (default) detects from the first meaningful line:
 * `list` (addresses, CIDRs, ranges, names, `ip,name[,port]`, URLs), `masscan-list` (-oL),
 * `masscan-json` (-oJ), `zmap-csv` (header with `saddr`), `url` (nuclei/httpx URL lines; same
 * parser as `list`).
 */
export type TargetFormat = 'auto' | 'list' | 'masscan-list' | 'masscan-json' | 'zmap-csv' | 'url';

export interface TargetReadOptions {
  /** Ports used for entries that carry none (`-p`); default [443]. */
  ports: number[];
  /** Format of file/stdin inputs; default `auto`. Arguments are always `list` entries. */
  format?: TargetFormat;
  /** Longest accepted input line in bytes; default 4096. */
  maxLineBytes?: number;
  /**
   * Skip targets with seq below this (resume low-water mark). Ranges are skipped arithmetically,
   * so resuming deep into a /8 does not re-generate the skipped addresses. Default 0.
   */
  fromSeq?: number;
}
