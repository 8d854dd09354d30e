// The dashboard's API client: same-origin fetch with the session cookie, the CSRF token on changes,
// and one error type. Nothing here builds HTML.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrf: string | undefined;
export function setCsrf(token: string | undefined): void {
  csrf = token;
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.method && init.method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
  const res = await fetch(`api${path}`, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    credentials: 'same-origin',
  });
  if (!res.ok) {
    let body: { error?: string; message?: string } = {};
    try {
      body = await res.json();
    } catch {
      /* not JSON */
    }
    throw new ApiError(res.status, body.error ?? 'error', body.message ?? res.statusText);
  }
  return (await res.json()) as T;
}

export function qs(params: Record<string, string | number | boolean | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

export interface User {
  username: string;
  role: 'admin' | 'analyst' | 'viewer';
  constituencies: string[];
}
export interface Scan {
  id: string;
  label: string | null;
  state: string;
  started_at: string;
  finished_at: string | null;
  total: number | null;
  done: number | null;
}
export interface Headline {
  cve: string;
  vulnerable: number;
  mitigated: number;
  patched: number;
  unknown: number;
  compromised: number;
  patched_compromised: number;
}
export interface Figures {
  scan: string;
  hosts: number;
  product_hosts: number;
  unreachable: number;
  error: number;
  cves: Headline[];
}
export interface HostRow {
  ip: string;
  port: number;
  host: string;
  status: string;
  reason: string | null;
  product: string | null;
  version: string | null;
  compromised: string | null;
  cc: string | null;
  asn: number | null;
  org_key: string | null;
  org_name: string | null;
  sector: string | null;
  cve: Record<string, string>;
}
export interface OrgRow {
  key: string;
  name: string;
  sector: string | null;
  language: string;
  hosts: number;
  vulnerable: number;
  mitigated: number;
  compromised: number;
  worst: string;
}
