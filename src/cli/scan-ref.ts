/**
 * Resolving a scan reference given on the command line: `latest`, `previous`, an id, an
 * unambiguous id prefix, or a label.
 */
import { EdgewatchError } from '../errors.js';
import type { Store } from '../store/types.js';

export async function pickScan(store: Store, ref: string | undefined, offset = 0): Promise<string> {
  const scans = await store.listScans();
  if (scans.length === 0) throw new EdgewatchError('EW_SCAN_NOT_FOUND', 'the database has no scans yet; run `edgewatch scan` first');
  if (!ref || ref === 'latest') {
    const s = scans[offset];
    if (!s) throw new EdgewatchError('EW_SCAN_NOT_FOUND', `there is no scan #${offset + 1} from the latest`);
    return s.id;
  }
  if (ref === 'previous') {
    if (!scans[1]) throw new EdgewatchError('EW_SCAN_NOT_FOUND', 'there is no previous scan');
    return scans[1].id;
  }
  const matches = scans.filter((s) => s.id === ref || s.id.startsWith(ref) || s.label === ref);
  if (matches.length === 1) return matches[0].id;
  if (matches.length === 0) throw new EdgewatchError('EW_SCAN_NOT_FOUND', `no scan matches "${ref.slice(0, 80)}"`);
  throw new EdgewatchError('EW_SCAN_AMBIGUOUS', `"${ref.slice(0, 80)}" matches ${matches.length} scans; give more of the id`);
}
