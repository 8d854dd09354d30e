/**
 * Line splitting for the log analysers, built for speed on large access logs. A handler names a
 * pre-filter: byte `needles` (searched with Buffer#indexOf, several GB/s each) or a global regex
 * run on the chunk as one latin1 string. Only the lines around pre-filter hits are cut out and
 * handed on; the others are only counted with Buffer#indexOf(10), so their cost is a native scan.
 * Line numbers are 1-based over the decoded file. A line longer than `maxLine` bytes is skipped
 * and counted (`overlong`); a line that spans chunks is held back in a bounded carry.
 */
import { throwIfAborted } from './source.js';

/** Receives the lines of one file. */
export interface LineHandler {
  /** Byte sequences: only lines containing one of them are handed to `line` (takes precedence). */
  readonly needles?: readonly Buffer[];
  /**
   * Global (`g`) regex run on the chunk text: only lines containing a match are handed to `line`.
   * It must not match `\n`. `null` and no `needles`: every non-empty line.
   */
  readonly prefilter: RegExp | null;
  line(text: string, lineNo: number): void;
}

export interface LineStats {
  /** Lines in the file (read part). */
  lines: number;
  /** Lines skipped because they exceeded the line cap. */
  overlong: number;
}

/** Default line cap: Apache refuses request lines over 8 KiB, so 64 KiB is far past real lines. */
export const MAX_LINE = 64 * 1024;

function stripCr(s: string): string {
  return s.length > 0 && s.charCodeAt(s.length - 1) === 13 ? s.slice(0, -1) : s;
}

/**
 * Newlines in buf[from, to). Uses native indexOf per line; where lines are very short (a newline
 * flood), switches to a plain byte loop over the next 4 KiB, so hostile files stay fast.
 */
export function countNewlines(buf: Buffer, from: number, to: number): number {
  let n = 0;
  let p = from;
  while (p < to) {
    const q = buf.indexOf(10, p);
    if (q === -1 || q >= to) break;
    n++;
    if (q - p < 16) {
      const stop = Math.min(to, q + 4097);
      for (let i = q + 1; i < stop; i++) if (buf[i] === 10) n++;
      p = stop;
    } else {
      p = q + 1;
    }
  }
  return n;
}

function byNumber(a: number, b: number): number {
  return a - b;
}

/** Feeds the lines of `chunks` to `h`. */
export async function forEachLine(
  chunks: AsyncIterable<Buffer>,
  h: LineHandler,
  st: LineStats,
  o: { maxLine?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const maxLine = o.maxLine ?? MAX_LINE;
  const needles = h.needles && h.needles.length > 0 ? h.needles : null;
  const re = needles ? null : h.prefilter;
  let lineNo = 0; // lines completed so far
  let carry: Buffer[] = [];
  let carryLen = 0;
  let carryOverlong = false;

  const wanted = (b: Buffer): boolean => {
    if (needles) return needles.some((n) => b.indexOf(n) !== -1);
    if (!re) return true;
    re.lastIndex = 0;
    return re.test(b.toString('latin1'));
  };

  /** Lines of buf[start..end], where buf[end] is '\n'. */
  const region = (buf: Buffer, start: number, end: number): void => {
    let counted = start; // start of the first line not yet counted
    // hand on the line holding `pos` (counting the lines before it); returns the next line start
    const visit = (pos: number): number => {
      const ls = Math.max(start, buf.lastIndexOf(10, pos) + 1);
      if (ls > counted) lineNo += countNewlines(buf, counted, ls);
      const le = buf.indexOf(10, pos);
      lineNo++;
      if (le - ls > maxLine) st.overlong++;
      else h.line(stripCr(buf.toString('latin1', ls, le)), lineNo);
      counted = le + 1;
      return counted;
    };
    if (needles) {
      let hits: number[] | null = null;
      let sources = 0;
      for (const n of needles) {
        let p = buf.indexOf(n, start);
        if (p === -1 || p >= end) continue;
        sources++;
        hits ??= [];
        for (; p !== -1 && p < end; p = buf.indexOf(n, p + 1)) hits.push(p);
      }
      if (hits) {
        if (sources > 1) hits.sort(byNumber);
        for (const p of hits) if (p >= counted) visit(p);
      }
    } else if (re) {
      const s = buf.toString('latin1', start, end);
      re.lastIndex = 0;
      for (let m = re.exec(s); m; m = re.exec(s)) {
        const next = visit(start + m.index) - start;
        if (next >= s.length) break;
        re.lastIndex = next;
      }
    } else {
      while (counted <= end) {
        if (buf[counted] === 10) {
          // run of empty lines: counted, never handed on
          let i = counted;
          while (i <= end && buf[i] === 10) i++;
          lineNo += i - counted;
          counted = i;
          continue;
        }
        const le = buf.indexOf(10, counted);
        lineNo++;
        if (le - counted > maxLine) st.overlong++;
        else h.line(stripCr(buf.toString('latin1', counted, le)), lineNo);
        counted = le + 1;
      }
    }
    if (counted <= end) lineNo += countNewlines(buf, counted, end + 1);
  };

  const one = (b: Buffer): void => {
    lineNo++;
    if (wanted(b)) h.line(stripCr(b.toString('latin1')), lineNo);
  };

  const hold = (b: Buffer): void => {
    if (carryOverlong) return;
    if (carryLen + b.length > maxLine) {
      carryOverlong = true;
      carry = [];
      carryLen = 0;
      return;
    }
    carry.push(Buffer.from(b)); // copy: do not pin the whole chunk
    carryLen += b.length;
  };

  for await (const chunk of chunks) {
    throwIfAborted(o.signal);
    let start = 0;
    if (carryLen > 0 || carryOverlong) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        hold(chunk);
        continue;
      }
      if (carryOverlong || carryLen + nl > maxLine) {
        lineNo++;
        st.overlong++;
      } else {
        carry.push(chunk.subarray(0, nl));
        one(Buffer.concat(carry));
      }
      carry = [];
      carryLen = 0;
      carryOverlong = false;
      start = nl + 1;
    }
    const last = chunk.lastIndexOf(10);
    if (last >= start) {
      region(chunk, start, last);
      start = last + 1;
    }
    if (start < chunk.length) hold(chunk.subarray(start));
  }
  if (carryOverlong) {
    lineNo++;
    st.overlong++;
  } else if (carryLen > 0) {
    one(Buffer.concat(carry));
  }
  st.lines = lineNo;
}
