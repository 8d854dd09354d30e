/**
 * Fan-out of one AbortSignal to many waiters with a single listener per signal. A scan shares
 * one signal across thousands of sessions and limiter waits; adding a listener per waiter would
 * trip Node's MaxListeners warning and cost an EventTarget add/remove each time.
 */
import { NetError } from './errors.js';
import type { ProbeFailure } from './types.js';

const subscribers = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Call `fn` once when `signal` aborts. Returns an unsubscribe function (cheap Set delete).
 * Does not call `fn` when the signal is already aborted: check `signal.aborted` first.
 */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let set = subscribers.get(signal);
  if (!set) {
    const s = new Set<() => void>();
    set = s;
    subscribers.set(signal, s);
    signal.addEventListener(
      'abort',
      () => {
        subscribers.delete(signal);
        for (const f of s) {
          try {
            f();
          } catch {
            // a waiter's cleanup must not stop the others
          }
        }
        s.clear();
      },
      { once: true },
    );
  }
  const s = set;
  s.add(fn);
  return () => {
    s.delete(fn);
  };
}

/** The failure used when the caller's signal aborted an operation. */
export function abortedFailure(phase: ProbeFailure['phase']): ProbeFailure {
  return { reason: 'internal', phase, detail: 'aborted' };
}

export function abortError(phase: ProbeFailure['phase']): NetError {
  return new NetError(abortedFailure(phase), { code: 'EW_NET_ABORTED' });
}
