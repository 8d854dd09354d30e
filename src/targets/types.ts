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
  | { kind: 'file'; path: string }
  | { kind: 'stdin' };

export interface TargetReadOptions {
  /** Ports used for entries that carry none (`-p`); default [443]. */
  ports: number[];
}
