/**
 * Failed logins per client address, over all user names: the per-(address, user name) limit of
 * the login route stops guessing one password; this stops one address from trying a password
 * against many user names (spraying). A fixed one-minute window per address, in memory, bounded
 * (at most MAX_ADDRESSES tracked; the oldest windows are dropped first).
 */
const WINDOW_MS = 60_000;
const MAX_ADDRESSES = 10_000;

export class LoginGuard {
  readonly #failures = new Map<string, { n: number; until: number }>();
  constructor(readonly maxFailuresPerMinute: number) {}

  /** True when this address has used up its failed logins for the current minute. */
  blocked(address: string, now = Date.now()): boolean {
    const e = this.#failures.get(address);
    if (!e) return false;
    if (e.until <= now) {
      this.#failures.delete(address);
      return false;
    }
    return e.n >= this.maxFailuresPerMinute;
  }

  failed(address: string, now = Date.now()): void {
    const e = this.#failures.get(address);
    if (e && e.until > now) {
      e.n++;
      return;
    }
    this.#failures.delete(address);
    if (this.#failures.size >= MAX_ADDRESSES) {
      const oldest = this.#failures.keys().next().value;
      if (oldest !== undefined) this.#failures.delete(oldest);
    }
    this.#failures.set(address, { n: 1, until: now + WINDOW_MS });
  }
}
