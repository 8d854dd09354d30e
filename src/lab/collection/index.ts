/**
 * `collectionFor(ip, opts)`: the collection of one lab address, from the same population, day
 * and compromise state that drive its truth line and its answers on the wire. Also the writers
 * used by `edgewatch lab collection` and `edgewatch lab corpus`.
 */
import { EdgewatchError } from '../../errors.js';
import { ipToInt, parseLabRange, rangeForSize } from '../addr.js';
import { loadFirmware } from '../firmware.js';
import { DEFAULT_MIX, normaliseMix } from '../personas.js';
import { buildPopulation } from '../population.js';
import { type TruthRecord, truthOf } from '../truth.js';
import { collectionTarGz, writeCollectionDir, writeCollectionTarGz } from './archive.js';
import { deriveExpected, type Expected } from './expected.js';
import { type RenderedCollection, renderCollection } from './render.js';
import { type Scenario, scenarioForHost } from './scenario.js';

export type { Expected, ExpectedFinding } from './expected.js';
export type { RenderedCollection, StatEntry } from './render.js';
export type { Scenario } from './scenario.js';
export { collectionTarGz, deriveExpected, renderCollection };

/** Options of {@link collectionFor}: the same population options as `startLab`. */
export interface CollectionOptions {
  /** CIDR inside 127.0.0.0/8 (default 127.1.0.0/16). */
  range?: string;
  size?: number;
  seed?: number;
  /** Day (default 0 = 12 Jan 2020). */
  step?: number;
  mix?: Record<string, number>;
}

/** A lab address's collection with its truth line and the expectations derived from it. */
export interface LabCollection {
  ip: string;
  truth: TruthRecord;
  scenario: Scenario;
  collection: RenderedCollection;
  expected: Expected;
}

/** The collection of lab address `ip` (throws EW_LAB_COLLECTION for addresses without an appliance). */
export function collectionFor(ip: string, opts: CollectionOptions = {}): LabCollection {
  const seed = opts.seed ?? 1;
  const step = opts.step ?? 0;
  if (!Number.isInteger(step) || step < 0 || step > 10_000)
    throw new EdgewatchError('EW_LAB_OPTION', `step must be an integer from 0 to 10000, got ${step}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new EdgewatchError('EW_LAB_OPTION', `seed must be an integer from 0 to 4294967295, got ${seed}`);
  const cidr = opts.range ?? (opts.size !== undefined ? rangeForSize('127.1.0.0', opts.size) : '127.1.0.0/16');
  const range = parseLabRange(cidr, opts.size);
  const n = ipToInt(ip);
  if (n < 0 || n < range.base || n >= range.base + range.size) {
    throw new EdgewatchError('EW_LAB_COLLECTION', `${ip} is not an address of the lab population ${range.cidr} (size ${range.size})`);
  }
  const pop = buildPopulation(range, seed, opts.mix ? normaliseMix(opts.mix) : { ...DEFAULT_MIX }, loadFirmware());
  const h = pop.hosts[n - range.base];
  if (!h) throw new EdgewatchError('EW_LAB_COLLECTION', `${ip} is not in the population`);
  const scenario = scenarioForHost(pop, h, step);
  const collection = renderCollection(scenario);
  const truth = truthOf(pop, h, step, { mode: 'per-address', https: true, http: true });
  return { ip, truth, scenario, collection, expected: deriveExpected(collection) };
}

/** Write a rendered collection to a directory, or to FILE.tar.gz / FILE.tgz. */
export async function writeCollection(out: string, c: RenderedCollection): Promise<void> {
  if (/\.(?:tar\.gz|tgz)$/i.test(out)) {
    const top = out.replace(/^.*[\\/]/, '').replace(/\.(?:tar\.gz|tgz)$/i, '') || c.name;
    await writeCollectionTarGz(out, top, c.files, c.collectedAt);
  } else await writeCollectionDir(out, c.files);
}
