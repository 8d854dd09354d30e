/**
 * The change label of one (host, CVE) between two scans. Pure; the rows come from SQL (diff.ts).
 * Transport outcomes dominate: a classified host that became unreachable/error is
 * `gone_unreachable` (never "fixed"); an unreachable/error host that answers again is
 * `back_reachable`, whatever it answers (we cannot tell what changed while it was away).
 */
import type { DiffChange, DiffRow } from './types.js';

export type DiffSide = DiffRow['before'];

/** State of one side: no observation → absent; non-ok → the status; ok without the CVE → absent. */
export function sideOf(status: string | null | undefined, state: string | null | undefined): DiffSide {
  if (status === null || status === undefined) return 'absent';
  if (status === 'unreachable' || status === 'error') return status;
  if (state === null || state === undefined) return 'absent';
  return state as DiffSide;
}

function isTransport(s: DiffSide): boolean {
  return s === 'unreachable' || s === 'error';
}

export function diffChange(before: DiffSide, after: DiffSide): DiffChange {
  if (before === 'absent' || after === 'absent') return 'other';
  if (before === after) {
    if (before === 'vulnerable') return 'still_vulnerable';
    if (before === 'mitigated') return 'still_mitigated';
    return 'unchanged';
  }
  if (isTransport(after)) return isTransport(before) ? 'other' : 'gone_unreachable';
  if (isTransport(before)) return 'back_reachable';
  if (after === 'vulnerable') return 'newly_vulnerable';
  if (after === 'patched' && (before === 'vulnerable' || before === 'mitigated')) return 'newly_patched';
  if (after === 'mitigated' && before === 'vulnerable') return 'newly_mitigated';
  return 'other';
}
