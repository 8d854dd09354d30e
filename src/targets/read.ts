/**
 * Streaming target readers. `readTargets` expands every input in order into targets with a
 * deterministic `seq`; `validateAndCount` is the fast pre-pass (same parsing, same errors, no
 * expansion) that lets a scan refuse bad input before it writes anything and show an ETA.
 * Nothing here holds a whole file or a whole range in memory.
 */
import { EdgewatchError } from '../errors.js';
import { printable } from '../scope/cidr.js';
import { formatIPv4, formatIPv6 } from '../scope/ip.js';
import { type Entry, entryAddresses, parseListEntry } from './entry.js';
import { createParser, detectFormat, isMasscanHeader, type LineParser } from './formats.js';
import { DEFAULT_MAX_LINE_BYTES, fileSource, readLineBatches } from './lines.js';
import type { Target, TargetInput, TargetReadOptions } from './types.js';

/** Result of the counting pre-pass. */
export interface TargetCount {
  /** Targets the inputs expand to (addresses × ports). */
  total: number;
  /** Parsed entries (lines and arguments that produced targets). */
  entries: number;
  /** Targets that are host names and need DNS resolution. */
  names: number;
}

/** Validates and normalises the port list: default [443], duplicates dropped, order kept. */
export function normalisePorts(ports: readonly number[] | undefined): number[] {
  if (ports === undefined || ports.length === 0) return [443];
  const out: number[] = [];
  for (const p of ports) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) {
      throw new EdgewatchError('EW_TARGET_PORTS', `bad port ${String(p)}: ports must be integers 1-65535`);
    }
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

function inputLabel(input: TargetInput): string {
  return input.kind === 'file' ? (input.label ?? input.path) : input.kind === 'stdin' ? 'stdin' : 'argument';
}

/** Parses every input into batches of entries, in order; throws EW_TARGET_PARSE / EW_TARGET_FILE. */
async function* entryBatches(inputs: readonly TargetInput[], opts: TargetReadOptions): AsyncGenerator<Entry[]> {
  const maxLine = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const forced = opts.format !== undefined && opts.format !== 'auto' ? opts.format : undefined;
  for (const input of inputs) {
    if (input.kind === 'arg') {
      const text = input.value.trim();
      const why = text.length === 0 ? 'empty target' : text.length > maxLine ? `longer than ${maxLine} bytes` : undefined;
      const e = why ?? parseListEntry(text);
      if (typeof e === 'string') {
        throw new EdgewatchError('EW_TARGET_PARSE', `bad target "${printable(text)}": ${e}`, { file: 'argument' });
      }
      yield [e];
      continue;
    }
    const label = inputLabel(input);
    const source = input.kind === 'file' ? fileSource(input.path) : process.stdin;
    let parser: LineParser | null = forced ? createParser(forced) : null;
    try {
      for await (const batch of readLineBatches(source, label, maxLine)) {
        const out: Entry[] = [];
        const lines = batch.lines;
        for (let i = 0; i < lines.length; i++) {
          const line = lines[i].trim();
          if (line.length === 0) continue;
          if (line.charCodeAt(0) === 35) {
            if (parser === null && isMasscanHeader(line)) parser = createParser('masscan-list');
            continue;
          }
          if (parser === null) parser = createParser(detectFormat(line));
          const why = parser(line, out);
          if (why !== undefined) {
            throw new EdgewatchError('EW_TARGET_PARSE', `bad target "${printable(line)}": ${why}`, { file: label, line: batch.first + i });
          }
        }
        if (out.length > 0) yield out;
      }
    } catch (e) {
      if (e instanceof EdgewatchError) throw e;
      throw new EdgewatchError('EW_TARGET_FILE', `cannot read targets: ${(e as Error).message}`, { file: label, cause: e });
    }
  }
}

/**
 * Expands all inputs, in order, into targets. Entries without a port get every port in
 * `opts.ports` (address-major: all ports of one address, then the next address). The same
 * inputs always give the same `seq` to the same target. Stdin can be read once: spool it
 * (`spoolInputs`) when the scan may need to re-read it.
 */
export async function* readTargets(inputs: readonly TargetInput[], opts: TargetReadOptions): AsyncGenerator<Target> {
  const ports = normalisePorts(opts.ports);
  const np = ports.length;
  const from = opts.fromSeq ?? 0;
  let seq = 0;
  for await (const entries of entryBatches(inputs, opts)) {
    for (const e of entries) {
      const per = e.port !== 0 ? 1 : np;
      const n = entryAddresses(e) * per;
      if (seq + n <= from) {
        seq += n;
        continue;
      }
      const skip = seq < from ? from - seq : 0;
      seq += skip;
      let pi = skip % per;
      const first = Math.floor(skip / per);
      if (e.kind === 'v4') {
        const host = e.host;
        for (let a = e.start + first; a <= e.end; a++) {
          const ip = formatIPv4(a);
          for (; pi < per; pi++) {
            const port = e.port !== 0 ? e.port : ports[pi];
            yield host === undefined ? { ip, port, seq: seq++ } : { ip, host, port, seq: seq++ };
          }
          pi = 0;
        }
      } else if (e.kind === 'v6') {
        const host = e.host;
        for (let i = first; i < e.count; i++) {
          const ip = formatIPv6(e.start + BigInt(i));
          for (; pi < per; pi++) {
            const port = e.port !== 0 ? e.port : ports[pi];
            yield host === undefined ? { ip, port, seq: seq++ } : { ip, host, port, seq: seq++ };
          }
          pi = 0;
        }
      } else {
        for (; pi < per; pi++) yield { host: e.host, port: e.port !== 0 ? e.port : ports[pi], seq: seq++ };
      }
    }
  }
}

/**
 * Parses every input without expanding ranges and counts the targets they expand to. Throws the
 * same errors as `readTargets`, so a scan can refuse bad input before writing anything.
 */
export async function validateAndCount(inputs: readonly TargetInput[], opts: TargetReadOptions): Promise<TargetCount> {
  const np = normalisePorts(opts.ports).length;
  let total = 0;
  let entries = 0;
  let names = 0;
  for await (const batch of entryBatches(inputs, opts)) {
    for (const e of batch) {
      const n = entryAddresses(e) * (e.port !== 0 ? 1 : np);
      total += n;
      entries++;
      if (e.kind === 'name') names += n;
    }
  }
  return { total, entries, names };
}
