/**
 * Local accounts: create/list/disable users, check passwords, issue and check API tokens
 * (`ewt_<id>_<secret>`, only sha256(secret) stored), and login sessions (only sha256(cookie)
 * stored, with a per-session CSRF token). Secrets never leave this module except once, at creation.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { EdgewatchError } from '../errors.js';
import { readJson } from '../store/json.js';
import type { Database } from '../store/schema.js';
import { type ApiDatabase, apiDb } from './db.js';
import { dummyHash, hashPassword, MAX_PASSWORD, MIN_PASSWORD, verifyPassword } from './passwords.js';
import { isRole, type Role } from './roles.js';

export interface User {
  id: number;
  username: string;
  role: Role;
  /** Constituencies the user is limited to; empty = sees everything. */
  constituencies: string[];
  disabled: boolean;
  created_at: string;
}

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const CONSTITUENCY = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,63}$/u;
export const SESSION_HOURS = 12;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function toUser(r: { id: number; username: string; role: string; constituencies: unknown; disabled: number; created_at: string }): User {
  return {
    id: Number(r.id),
    username: r.username,
    role: isRole(r.role) ? r.role : 'viewer',
    constituencies: readJson<string[]>(r.constituencies, `constituencies of user ${r.username}`),
    disabled: Number(r.disabled) !== 0,
    created_at: r.created_at,
  };
}

export function checkUsername(name: string): void {
  if (!USERNAME.test(name)) {
    throw new EdgewatchError('EW_USER_INVALID', 'user names are 1–64 letters, digits, and . _ @ - (starting with a letter or digit)');
  }
}

export function checkPassword(pw: string): void {
  if (pw.length < MIN_PASSWORD || pw.length > MAX_PASSWORD) {
    throw new EdgewatchError('EW_USER_INVALID', `passwords are ${MIN_PASSWORD}–${MAX_PASSWORD} characters long`);
  }
}

export function checkConstituencies(list: string[]): string[] {
  const out = [...new Set(list.map((c) => c.trim()).filter(Boolean))];
  for (const c of out) {
    if (!CONSTITUENCY.test(c)) throw new EdgewatchError('EW_USER_INVALID', `not a constituency name: ${JSON.stringify(c.slice(0, 70))}`);
  }
  return out;
}

export class Users {
  readonly #db: Kysely<ApiDatabase>;

  constructor(db: Kysely<Database>) {
    this.#db = apiDb(db);
  }

  async create(input: { username: string; password: string; role: Role; constituencies?: string[] }): Promise<User> {
    checkUsername(input.username);
    checkPassword(input.password);
    if (!isRole(input.role)) throw new EdgewatchError('EW_USER_INVALID', `unknown role ${String(input.role).slice(0, 20)}`);
    const constituencies = checkConstituencies(input.constituencies ?? []);
    const taken = await this.#db.selectFrom('users').select('id').where('username', '=', input.username).executeTakeFirst();
    if (taken) throw new EdgewatchError('EW_USER_EXISTS', `user ${input.username} exists already`);
    const row = await this.#db
      .insertInto('users')
      .values({
        username: input.username,
        password_hash: await hashPassword(input.password),
        role: input.role,
        constituencies: JSON.stringify(constituencies),
        created_at: new Date().toISOString(),
      })
      .returning(['id', 'username', 'role', 'constituencies', 'disabled', 'created_at'])
      .executeTakeFirstOrThrow();
    return toUser(row);
  }

  async list(): Promise<User[]> {
    const rows = await this.#db.selectFrom('users').select(['id', 'username', 'role', 'constituencies', 'disabled', 'created_at']).orderBy('id').execute();
    return rows.map(toUser);
  }

  async get(id: number): Promise<User | undefined> {
    const r = await this.#db
      .selectFrom('users')
      .select(['id', 'username', 'role', 'constituencies', 'disabled', 'created_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    return r ? toUser(r) : undefined;
  }

  async byName(username: string): Promise<User | undefined> {
    const r = await this.#db
      .selectFrom('users')
      .select(['id', 'username', 'role', 'constituencies', 'disabled', 'created_at'])
      .where('username', '=', username)
      .executeTakeFirst();
    return r ? toUser(r) : undefined;
  }

  async count(): Promise<number> {
    const r = await this.#db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async update(id: number, patch: { role?: Role; constituencies?: string[]; disabled?: boolean; password?: string }): Promise<User> {
    const values: Record<string, unknown> = {};
    if (patch.role !== undefined) {
      if (!isRole(patch.role)) throw new EdgewatchError('EW_USER_INVALID', 'unknown role');
      values.role = patch.role;
    }
    if (patch.constituencies !== undefined) values.constituencies = JSON.stringify(checkConstituencies(patch.constituencies));
    if (patch.disabled !== undefined) values.disabled = patch.disabled ? 1 : 0;
    if (patch.password !== undefined) {
      checkPassword(patch.password);
      values.password_hash = await hashPassword(patch.password);
    }
    if (Object.keys(values).length > 0) await this.#db.updateTable('users').set(values).where('id', '=', id).execute();
    if (patch.disabled || patch.password !== undefined) await this.#db.deleteFrom('sessions').where('user_id', '=', id).execute();
    const u = await this.get(id);
    if (!u) throw new EdgewatchError('EW_USER_NOT_FOUND', `no user with id ${id}`);
    return u;
  }

  /** The user when name and password match an enabled account; undefined otherwise (same timing). */
  async authenticate(username: string, password: string): Promise<User | undefined> {
    const r = USERNAME.test(username)
      ? await this.#db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst()
      : undefined;
    const ok = await verifyPassword(password.slice(0, MAX_PASSWORD), r?.password_hash ?? (await dummyHash()));
    if (!r || !ok || Number(r.disabled) !== 0) return undefined;
    return toUser(r);
  }

  // --- API tokens -------------------------------------------------------------------------------

  /** A new token for `userId`; the returned `token` is shown once and cannot be recovered. */
  async createToken(userId: number, name: string): Promise<{ id: string; token: string }> {
    const clean = name.trim().slice(0, 100);
    if (!clean || /[\p{Cc}]/u.test(clean)) throw new EdgewatchError('EW_USER_INVALID', 'a token needs a printable name');
    const id = randomBytes(6).toString('hex');
    const secret = randomBytes(24).toString('base64url');
    await this.#db
      .insertInto('api_tokens')
      .values({ id, user_id: userId, name: clean, secret_hash: sha256(secret), created_at: new Date().toISOString(), last_used_at: null, revoked_at: null })
      .execute();
    return { id, token: `ewt_${id}_${secret}` };
  }

  async revokeToken(id: string): Promise<boolean> {
    const r = await this.#db
      .updateTable('api_tokens')
      .set({ revoked_at: new Date().toISOString() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async listTokens(userId?: number): Promise<Array<{ id: string; user_id: number; name: string; created_at: string; last_used_at: string | null; revoked_at: string | null }>> {
    let q = this.#db.selectFrom('api_tokens').select(['id', 'user_id', 'name', 'created_at', 'last_used_at', 'revoked_at']);
    if (userId !== undefined) q = q.where('user_id', '=', userId);
    return (await q.orderBy('created_at').execute()).map((t) => ({ ...t, user_id: Number(t.user_id) }));
  }

  /** The user a bearer token belongs to, when valid, unrevoked and the user enabled. */
  async userForToken(token: string): Promise<User | undefined> {
    const m = /^ewt_([0-9a-f]{12})_([A-Za-z0-9_-]{32})$/.exec(token);
    if (!m) return undefined;
    const row = await this.#db.selectFrom('api_tokens').selectAll().where('id', '=', m[1]).executeTakeFirst();
    if (!row || row.revoked_at !== null) return undefined;
    const a = Buffer.from(sha256(m[2]), 'hex');
    const b = Buffer.from(row.secret_hash, 'hex');
    if (a.length !== b.length || !timingSafeEqual(a, b)) return undefined;
    const user = await this.get(Number(row.user_id));
    if (!user || user.disabled) return undefined;
    await this.#db.updateTable('api_tokens').set({ last_used_at: new Date().toISOString() }).where('id', '=', row.id).execute();
    return user;
  }

  // --- sessions ---------------------------------------------------------------------------------

  /** A new login session: the cookie value and its CSRF token. */
  async createSession(userId: number): Promise<{ cookie: string; csrf: string; expires: Date }> {
    const cookie = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    const now = new Date();
    const expires = new Date(now.getTime() + SESSION_HOURS * 3600_000);
    await this.#db
      .insertInto('sessions')
      .values({ id: sha256(cookie), user_id: userId, csrf, created_at: now.toISOString(), expires_at: expires.toISOString() })
      .execute();
    await this.#db.deleteFrom('sessions').where('expires_at', '<', now.toISOString()).execute();
    return { cookie, csrf, expires };
  }

  async session(cookie: string): Promise<{ user: User; csrf: string } | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(cookie)) return undefined;
    const s = await this.#db.selectFrom('sessions').selectAll().where('id', '=', sha256(cookie)).executeTakeFirst();
    if (!s || s.expires_at < new Date().toISOString()) return undefined;
    const user = await this.get(Number(s.user_id));
    if (!user || user.disabled) return undefined;
    return { user, csrf: s.csrf };
  }

  async endSession(cookie: string): Promise<void> {
    await this.#db.deleteFrom('sessions').where('id', '=', sha256(cookie)).execute();
  }
}
