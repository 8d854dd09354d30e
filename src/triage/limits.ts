/**
 * Bounds of triage input reading (hostile collections): per-file and total sizes, entry counts,
 * bytes read from meta listings and from files whose content a rule greps.
 */

/** Caps applied while opening and reading a collection. All sizes in bytes. */
export interface TriageLimits {
  /** A collected file larger than this is skipped with a warning (default 512 MiB). */
  maxFileBytes: number;
  /**
   * Same for files under /var/log/, which are only ever streamed (default 1.5 GiB). An appliance
   * rotates its web logs at 100 KB, so a multi-GB log is abnormal: skipped with a warning.
   */
  maxLogBytes: number;
  /** Sum of the sizes of kept files (and, for .tar.gz, of decompressed bytes) (default 4 GiB). */
  maxTotalBytes: number;
  /** Entries (files, dirs, links) an archive or directory may hold (default 200,000). */
  maxEntries: number;
  /** `meta/<name>` text read at most (default 64 MiB; longer is truncated with a warning). */
  maxMetaBytes: number;
  /** Bytes of one file a content rule reads (default 4 MiB). */
  maxGrepBytes: number;
  /** Longest log line kept (longer lines are cut; default 64 KiB). */
  maxLineBytes: number;
}

export const DEFAULT_LIMITS: Readonly<TriageLimits> = Object.freeze({
  maxFileBytes: 512 * 1024 * 1024,
  maxLogBytes: 1536 * 1024 * 1024,
  maxTotalBytes: 4 * 1024 * 1024 * 1024,
  maxEntries: 200_000,
  maxMetaBytes: 64 * 1024 * 1024,
  maxGrepBytes: 4 * 1024 * 1024,
  maxLineBytes: 64 * 1024,
});

export function resolveLimits(l: Partial<TriageLimits> = {}): TriageLimits {
  return { ...DEFAULT_LIMITS, ...Object.fromEntries(Object.entries(l).filter(([, v]) => typeof v === 'number' && v > 0)) };
}

/** `1.5 GiB`, `300 KiB`, … for messages. */
export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v >= 10 ? 0 : 1)} ${units[i]}`;
}

/** The per-file cap that applies to an appliance path. */
export function fileCap(limits: TriageLimits, appliancePath: string): number {
  return appliancePath.startsWith('/var/log/') ? Math.max(limits.maxFileBytes, limits.maxLogBytes) : limits.maxFileBytes;
}
