// The edgewatch dashboard: log in, then the picture at a glance (figures per CVE with the change
// since the previous scan, a world map, the trend across scans, builds, organisations), the hosts
// table (server-side filters, sorting, pages, export), one host with its evidence, enrichment,
// triage findings and timeline, organisations, cases, and scans with live progress (server-sent
// events). Every table has a CSV/JSON export (audited server-side). All host-controlled values are
// rendered as text by Preact.
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, api, type Figures, type HostRow, type OrgRow, qs, type Scan, setCsrf, type User } from './api';
import { BuildsChart, type CountryCount, countryName, TrendChart, WorldMap } from './charts';
import './style.css';
import { t } from './text';

// --- routing (hash based: #/overview, #/hosts?…, #/host/1.2.3.4, #/orgs, #/scans, #/scan/ID) -----
function parseHash(): { page: string; arg: string; params: URLSearchParams } {
  const h = location.hash.replace(/^#\/?/, '');
  const [path, query] = h.split('?');
  const [page, ...rest] = (path || 'overview').split('/');
  return { page, arg: decodeURIComponent(rest.join('/')), params: new URLSearchParams(query ?? '') };
}
function go(hash: string) {
  location.hash = hash;
}
function useRoute() {
  const [r, setR] = useState(parseHash());
  useEffect(() => {
    const f = () => setR(parseHash());
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  return r;
}

function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): { data?: T; error?: string; loading: boolean } {
  const [s, set] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  useEffect(() => {
    let live = true;
    set((p) => ({ ...p, loading: true }));
    fn().then(
      (data) => live && set({ data, loading: false }),
      (e) => live && set({ error: e instanceof Error ? e.message : String(e), loading: false }),
    );
    return () => {
      live = false;
    };
  }, deps);
  return s;
}

const STATES = ['vulnerable', 'mitigated', 'patched', 'unknown', 'not_applicable'];
const fmt = (n: number | null | undefined) => (n === null || n === undefined ? '–' : n.toLocaleString('en'));

/** A scan as people name it: its label (or id) and start date. */
function scanName(scans: Scan[], id: string): string {
  const s = scans.find((x) => x.id === id);
  return s ? `${t(s.label ?? s.id)} (${s.started_at.slice(0, 10)})` : id;
}

/** CSV and JSON download links of one /api/export table (`what` names it in test ids). */
function Exports(props: { path: string; params?: Record<string, string | number | boolean | undefined>; what: string; small?: boolean }) {
  const href = (format: string) => `api/export/${props.path}${qs({ ...(props.params ?? {}), format })}`;
  return (
    <span class={`exports${props.small ? ' small' : ''}`}>
      <a class="button" href={href('csv')} download data-testid={`export-${props.what}-csv`}>
        {props.small ? 'CSV' : 'Export CSV'}
      </a>
      <a class="button" href={href('json')} download data-testid={`export-${props.what}-json`}>
        {props.small ? 'JSON' : 'Export JSON'}
      </a>
    </span>
  );
}

// --- login -----------------------------------------------------------------------------------
function Login(props: { onLogin: (u: User) => void }) {
  const [username, setU] = useState('');
  const [password, setP] = useState('');
  const [err, setErr] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    setErr('');
    try {
      const r = await api<{ user: User; csrf: string }>('/auth/login', { method: 'POST', body: { username, password } });
      setCsrf(r.csrf);
      props.onLogin(r.user);
    } catch (x) {
      setErr(x instanceof ApiError && x.status === 429 ? 'Too many attempts: wait a minute.' : 'Wrong user name or password.');
    }
  };
  return (
    <div class="login">
      <form onSubmit={submit} aria-label="log in">
        <h1>edgewatch</h1>
        <p class="muted">Exposed edge appliances, their owners and their fixes. TLP:AMBER data — sign in.</p>
        <label>
          User name
          <input name="username" autocomplete="username" value={username} onInput={(e) => setU((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            value={password}
            onInput={(e) => setP((e.target as HTMLInputElement).value)}
          />
        </label>
        {err && <p class="error" role="alert">{err}</p>}
        <button type="submit">Log in</button>
      </form>
    </div>
  );
}

// --- overview ----------------------------------------------------------------------------------
function Delta(props: { now: number; before?: number }) {
  if (props.before === undefined) return null;
  const d = props.now - props.before;
  if (d === 0) return <span class="delta">±0</span>;
  return <span class={`delta ${d > 0 ? 'up' : 'down'}`}>{d > 0 ? `+${fmt(d)}` : `−${fmt(-d)}`}</span>;
}

function Card(props: { label: string; value: number; before?: number; kind: string; onClick?: () => void; testid?: string }) {
  return (
    <button type="button" class={`card ${props.kind}`} onClick={props.onClick} data-testid={props.testid}>
      <span class="label">{props.label}</span>
      <span class="value">{fmt(props.value)}</span>
      <Delta now={props.value} before={props.before} />
    </button>
  );
}

function Overview(props: { scans: Scan[]; scan: string; cve: string; setCve: (c: string) => void; user: User }) {
  const { scan, cve } = props;
  const figures = useLoad(() => api<{ current: Figures; previous: Figures | null }>(`/scans/${encodeURIComponent(scan)}/figures`), [scan]);
  const countries = useLoad(() => api<{ countries: CountryCount[] }>(`/scans/${encodeURIComponent(scan)}/countries${qs({ cve })}`), [scan, cve]);
  const trend = useLoad(() => api<{ scans: Array<{ label: string | null; started_at: string; counts: Record<string, number> }> }>(`/trend${qs({ cve })}`), [cve]);
  const versions = useLoad(() => api<{ versions: Array<{ version: string | null; hosts: number }> }>(`/scans/${encodeURIComponent(scan)}/versions`), [scan]);
  const orgs = useLoad(() => api<{ organisations: OrgRow[] }>(`/organisations${qs({ scan, page: 1, per_page: 10, sort: 'worst' })}`), [scan]);
  const cur = figures.data?.current;
  const h = cur?.cves.find((c) => c.cve === cve);
  const p = figures.data?.previous?.cves.find((c) => c.cve === cve);
  const hostsLink = (extra: Record<string, string | boolean>) => go(`/hosts${qs({ scan, cve, ...extra })}`);
  const cves = cur?.cves.map((c) => c.cve) ?? [];
  return (
    <div>
      <div class="toolbar">
        <label>
          CVE{' '}
          <select value={cve} onChange={(e) => props.setCve((e.target as HTMLSelectElement).value)} data-testid="cve-select">
            {(cves.includes(cve) ? cves : [cve, ...cves]).map((c) => (
              <option value={c}>{c}</option>
            ))}
          </select>
        </label>
        <span class="muted">
          {cur ? `${fmt(cur.hosts)} targets, ${fmt(cur.product_hosts)} appliances` : ''}
          {figures.data?.previous ? ` · change since the previous scan, ${scanName(props.scans, figures.data.previous.scan)}` : ' · no earlier scan to compare with'}
        </span>
        {props.user.constituencies.length === 0 && (
          <span class="exports small">
            <a class="button" href={`api/reports${qs({ scan, format: 'markdown', trend: true })}`} download data-testid="report-md">
              Report
            </a>
            <a class="button" href={`api/reports${qs({ scan, trend: true })}`} target="_blank" rel="noopener" data-testid="report-json">
              Report JSON
            </a>
          </span>
        )}
      </div>
      {figures.error && <p class="error">{figures.error}</p>}
      <section class="cards" data-testid="headline">
        <Card label="vulnerable" kind="bad" value={h?.vulnerable ?? 0} before={p?.vulnerable} onClick={() => hostsLink({ state: 'vulnerable' })} testid="fig-vulnerable" />
        <Card label="mitigated, not patched" kind="warn" value={h?.mitigated ?? 0} before={p?.mitigated} onClick={() => hostsLink({ state: 'mitigated' })} testid="fig-mitigated" />
        <Card label="patched" kind="good" value={h?.patched ?? 0} before={p?.patched} onClick={() => hostsLink({ state: 'patched' })} testid="fig-patched" />
        <Card label="compromised" kind="bad" value={h?.compromised ?? 0} before={p?.compromised} onClick={() => hostsLink({ compromised: true })} testid="fig-compromised" />
        <Card label="patched but compromised" kind="bad" value={h?.patched_compromised ?? 0} before={p?.patched_compromised} testid="fig-patched-compromised" />
        <Card label="unreachable" kind="muted" value={cur?.unreachable ?? 0} before={figures.data?.previous?.unreachable} testid="fig-unreachable" />
      </section>
      <section class="grid2">
        <div class="panel">
          <h2>
            Hosts at risk by country <Exports small path="countries" params={{ scan, cve }} what="countries" />
          </h2>
          {countries.data && <WorldMap data={countries.data.countries} onPick={(cc) => hostsLink({ cc })} />}
          <table class="small">
            <tbody>
              {countries.data?.countries.slice(0, 8).map((c) => (
                <tr>
                  <td>
                    <a href={`#/hosts${qs({ scan, cve, cc: c.cc ?? '' })}`}>{countryName(c.cc)}</a>
                  </td>
                  <td class="num">{fmt(c.vulnerable + c.mitigated + c.compromised)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div class="panel">
          <h2>
            {cve} across scans <Exports small path="trend" params={{ cve }} what="trend" />
          </h2>
          {trend.data && <TrendChart scans={trend.data.scans} />}
          <h2>
            Builds in use <Exports small path="versions" params={{ scan }} what="versions" />
          </h2>
          {versions.data && <BuildsChart versions={versions.data.versions} />}
        </div>
      </section>
      <section class="panel">
        <h2>
          Organisations <a href="#/orgs">all</a> <Exports small path="organisations" params={{ scan }} what="overview-orgs" />
        </h2>
        <OrgTable rows={(orgs.data?.organisations ?? []).filter((o) => o.hosts > 0).slice(0, 10)} scan={scan} />
      </section>
    </div>
  );
}

// --- hosts ------------------------------------------------------------------------------------------
function Hosts(props: { scan: string; params: URLSearchParams }) {
  const p = props.params;
  const filters = {
    scan: p.get('scan') ?? props.scan,
    cve: p.get('cve') ?? '',
    state: p.get('state') ?? '',
    cc: p.get('cc') ?? '',
    org: p.get('org') ?? '',
    sector: p.get('sector') ?? '',
    q: p.get('q') ?? '',
    compromised: p.get('compromised') ?? '',
    sort: p.get('sort') ?? 'ip',
    desc: p.get('desc') ?? '',
    page: Number(p.get('page') ?? '1') || 1,
  };
  const set = (patch: Record<string, string | number>) => go(`/hosts${qs({ ...filters, page: 1, ...patch })}`);
  const perPage = 50;
  const query = {
    cve: filters.cve || undefined,
    state: filters.state || undefined,
    cc: filters.cc || undefined,
    org: filters.org || undefined,
    sector: filters.sector || undefined,
    q: filters.q || undefined,
    compromised: filters.compromised || undefined,
    sort: filters.sort,
    desc: filters.desc || undefined,
  };
  const r = useLoad(
    () => api<{ total: number; hosts: HostRow[] }>(`/scans/${encodeURIComponent(filters.scan)}/hosts${qs({ ...query, page: filters.page, per_page: perPage })}`),
    [JSON.stringify(filters)],
  );
  const cves = useMemo(() => [...new Set((r.data?.hosts ?? []).flatMap((h) => Object.keys(h.cve)))].sort(), [r.data]);
  const pages = Math.max(1, Math.ceil((r.data?.total ?? 0) / perPage));
  const [q, setQ] = useState(filters.q);
  const sortBy = (col: string) => set({ sort: col, desc: filters.sort === col && !filters.desc ? '1' : '' });
  const th = (col: string, label: string) => (
    <th>
      <button type="button" class="link" onClick={() => sortBy(col)}>
        {label}
        {filters.sort === col ? (filters.desc ? ' ▼' : ' ▲') : ''}
      </button>
    </th>
  );
  const exportHref = (format: string) => `api/export/hosts${qs({ scan: filters.scan, ...query, format })}`;
  return (
    <div>
      <div class="toolbar">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            set({ q });
          }}
        >
          <input placeholder="search address, name, build, organisation" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} data-testid="host-search" />
        </form>
        <select value={filters.state} onChange={(e) => set({ state: (e.target as HTMLSelectElement).value })} data-testid="state-filter">
          <option value="">any state</option>
          {STATES.map((s) => (
            <option value={s}>{s}</option>
          ))}
        </select>
        <input class="short" placeholder="country (NL)" value={filters.cc} onChange={(e) => set({ cc: (e.target as HTMLInputElement).value })} />
        <input class="short" placeholder="sector" value={filters.sector} onChange={(e) => set({ sector: (e.target as HTMLInputElement).value })} />
        <span class="muted" data-testid="host-total">
          {r.data ? `${fmt(r.data.total)} hosts` : '…'}
        </span>
        <a class="button" href={exportHref('csv')} download data-testid="export-csv">
          Export CSV
        </a>
        <a class="button" href={exportHref('json')} download>
          Export JSON
        </a>
      </div>
      {r.error && <p class="error">{r.error}</p>}
      <table class="hosts" data-testid="hosts-table">
        <thead>
          <tr>
            {th('ip', 'address')}
            <th>name</th>
            {th('status', 'status')}
            {th('version', 'build')}
            {cves.map((c) => (
              <th>{c}</th>
            ))}
            <th>compromised</th>
            {th('country', 'country')}
            {th('org', 'organisation')}
          </tr>
        </thead>
        <tbody>
          {r.data?.hosts.map((h) => (
            <tr>
              <td>
                <a href={`#/host/${encodeURIComponent(h.ip)}`}>{h.ip}</a>
                {h.port !== 443 ? `:${h.port}` : ''}
              </td>
              <td class="trunc" title={t(h.host)}>
                {t(h.host)}
              </td>
              <td>{h.status === 'ok' ? t(h.product ?? 'other') : `${h.status} (${t(h.reason)})`}</td>
              <td>{t(h.version)}</td>
              {cves.map((c) => (
                <td>
                  <span class={`state ${h.cve[c] ?? ''}`}>{h.cve[c] ?? ''}</span>
                </td>
              ))}
              <td>{h.compromised === 'true' ? <span class="state vulnerable">yes</span> : h.compromised === 'false' ? 'no sign' : ''}</td>
              <td>{h.cc ?? ''}</td>
              <td class="trunc" title={t(h.org_name)}>
                {t(h.org_name)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="pager">
        <button type="button" disabled={filters.page <= 1} onClick={() => set({ page: filters.page - 1 })}>
          ‹ previous
        </button>
        <span>
          page {filters.page} of {pages}
        </span>
        <button type="button" disabled={filters.page >= pages} onClick={() => set({ page: filters.page + 1 })} data-testid="next-page">
          next ›
        </button>
      </div>
    </div>
  );
}

// --- one host ------------------------------------------------------------------------------------
interface Evidence {
  check: string;
  id: string;
  request: string;
  status: number | null;
  headers?: Record<string, string>;
  excerpt?: string;
  matched?: string[];
  error?: string;
}
interface HostDetail {
  ip: string;
  observations: Array<{ scan: string; scan_label: string | null; scan_started: string; record: Record<string, unknown> }>;
  enrichment: Record<string, unknown> | null;
  organisation: { key: string; name: string; sector: string | null } | null;
  triage: Array<{
    id: string;
    collection: string;
    triaged_at: string;
    verdict: string;
    high: number;
    medium: number;
    low: number;
    findings: Array<{ n: number; rule: string; kind: string; confidence: string; path: string; line: number | null; time: string | null; source_ip: string | null; excerpt: string }>;
  }>;
}

function HostPage(props: { ip: string }) {
  const r = useLoad(() => api<HostDetail>(`/hosts/${encodeURIComponent(props.ip)}`), [props.ip]);
  if (r.error) return <p class="error">{r.error}</p>;
  if (!r.data) return <p>…</p>;
  const d = r.data;
  const latest = d.observations[0]?.record as Record<string, unknown>;
  const e = d.enrichment;
  return (
    <div data-testid="host-page">
      <h1>
        {d.ip} <span class="muted">{t(latest?.host)}</span> <Exports small path={`host/${encodeURIComponent(d.ip)}`} what="host" />
      </h1>
      <section class="grid2">
        <div class="panel">
          <h2>Now</h2>
          <dl>
            <dt>product</dt>
            <dd>{t(latest?.product ?? 'not the product')}</dd>
            <dt>build</dt>
            <dd>
              {t(latest?.version ?? 'unknown')} <span class="muted">{t(latest?.version_source)}</span>
            </dd>
            {Object.entries((latest?.cve as Record<string, string>) ?? {}).map(([c, s]) => (
              <>
                <dt>{c}</dt>
                <dd>
                  <span class={`state ${s}`}>{t(s)}</span> <span class="muted">{t((latest?.why as Record<string, string>)?.[c])}</span>
                </dd>
              </>
            ))}
            <dt>compromised</dt>
            <dd>{t(latest?.compromised ?? 'not checked')}</dd>
          </dl>
        </div>
        <div class="panel">
          <h2>Who</h2>
          <dl>
            <dt>organisation</dt>
            <dd>{d.organisation ? `${t(d.organisation.name)} (${t(d.organisation.sector ?? 'no sector')})` : 'not attributed'}</dd>
            <dt>why</dt>
            <dd>{t(e?.why)}</dd>
            <dt>country</dt>
            <dd>{countryName((e?.cc as string) ?? null)}</dd>
            <dt>network</dt>
            <dd>
              {e?.asn ? `AS${t(e.asn)} ${t(e.as_name)}` : ''} {t(e?.network)}
            </dd>
            <dt>reverse DNS</dt>
            <dd>{t(e?.rdns)}</dd>
            <dt>abuse contact</dt>
            <dd>
              {t(e?.abuse_contact)} {e?.abuse_source ? <span class="muted">({t(e.abuse_source)})</span> : null}
            </dd>
            <dt>names</dt>
            <dd data-testid="names">{t(Array.isArray(e?.names) ? (e.names as unknown[]).map((n) => (typeof n === 'string' ? n : JSON.stringify(n))).join(', ') : '')}</dd>
            <dt>notification group</dt>
            <dd>{t(e?.grp)}</dd>
            <dt>enriched</dt>
            <dd>
              {e?.enriched_at ? String(e.enriched_at).slice(0, 19).replace('T', ' ') : 'not enriched'}
              {Array.isArray(e?.sources) && (e.sources as unknown[]).length > 0 ? (
                <span class="muted">
                  {' '}
                  from{' '}
                  {t(
                    (e.sources as Array<{ id?: string; version?: string }>)
                      .map((x) => `${x.id ?? '?'} ${x.version ?? ''}`.trim())
                      .join(', '),
                  )}
                </span>
              ) : null}
            </dd>
            {e?.lab_public_ip ? (
              <>
                <dt>lab identity</dt>
                <dd>demo identity {t(e.lab_public_ip)}</dd>
              </>
            ) : null}
          </dl>
        </div>
      </section>
      <section class="panel">
        <h2>Timeline</h2>
        <table class="small" data-testid="timeline">
          <thead>
            <tr>
              <th>scan</th>
              <th>when</th>
              <th>status</th>
              <th>build</th>
              <th>states</th>
            </tr>
          </thead>
          <tbody>
            {d.observations.map((o) => (
              <tr>
                <td>{t(o.scan_label ?? o.scan)}</td>
                <td>{String(o.record.scanned_at ?? o.scan_started).slice(0, 19).replace('T', ' ')}</td>
                <td>{t(o.record.status)}{o.record.reason ? ` (${t(o.record.reason)})` : ''}</td>
                <td>{t(o.record.version)}</td>
                <td>
                  {t(
                    Object.entries((o.record.cve as Record<string, string>) ?? {})
                      .map(([c, s]) => `${c}: ${s}`)
                      .join(', '),
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="panel" data-testid="triage">
        <h2>Triage of collections</h2>
        {d.triage.length === 0 ? (
          <p class="muted">No collection from this host has been triaged (`edgewatch triage`).</p>
        ) : (
          d.triage.map((tr) => (
            <div class="triage-run">
              <p>
                <strong>{t(tr.verdict)}</strong> · {tr.triaged_at.slice(0, 19).replace('T', ' ')} · {t(tr.collection)} ·{' '}
                <span class="muted">
                  {tr.high} high, {tr.medium} medium, {tr.low} low
                </span>
              </p>
              {tr.findings.length > 0 && (
                <table class="small" data-testid="triage-findings">
                  <thead>
                    <tr>
                      <th>confidence</th>
                      <th>kind</th>
                      <th>rule</th>
                      <th>where</th>
                      <th>when</th>
                      <th>excerpt</th>
                    </tr>
                  </thead>
                  <tbody>
                    {tr.findings.map((f) => (
                      <tr>
                        <td>
                          <span class={`state ${f.confidence === 'high' ? 'vulnerable' : f.confidence === 'medium' ? 'mitigated' : ''}`}>{t(f.confidence)}</span>
                        </td>
                        <td>{t(f.kind)}</td>
                        <td>{t(f.rule)}</td>
                        <td class="trunc" title={t(f.path)}>
                          {t(f.path)}
                          {f.line !== null ? `:${f.line}` : ''}
                        </td>
                        <td>
                          {t(f.time)}
                          {f.source_ip ? ` from ${t(f.source_ip)}` : ''}
                        </td>
                        <td>
                          <code>{t(f.excerpt)}</code>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>
          ))
        )}
      </section>
      <section class="panel">
        <h2>Evidence (latest scan, as sent and received)</h2>
        {((latest?.evidence as Evidence[]) ?? []).map((ev) => (
          <details class="evidence">
            <summary>
              <code>{t(ev.request)}</code> → {t(ev.status ?? ev.error ?? 'no answer')} <span class="muted">{t(ev.check)}/{t(ev.id)}</span>
            </summary>
            {ev.headers && (
              <pre>
                {t(
                  Object.entries(ev.headers)
                    .map(([k, v]) => `${k}: ${v}`)
                    .join('\n'),
                ).replace(/⟦U\+000A⟧/g, '\n')}
              </pre>
            )}
            {ev.excerpt && <pre>{t(ev.excerpt.replace(/\r?\n/g, '\u2424')).replace(/\u2424/g, '\n')}</pre>}
            {ev.matched && <p class="muted">matched: {t(ev.matched.join(', '))}</p>}
          </details>
        ))}
        {latest?.tls ? <pre data-testid="tls">{t(JSON.stringify(latest.tls, null, 2))}</pre> : null}
      </section>
    </div>
  );
}

// --- organisations ----------------------------------------------------------------------------------
function OrgTable(props: { rows: OrgRow[]; scan: string }) {
  return (
    <table class="small" data-testid="orgs-table">
      <thead>
        <tr>
          <th>organisation</th>
          <th>sector</th>
          <th class="num">hosts</th>
          <th class="num">vulnerable</th>
          <th class="num">mitigated</th>
          <th class="num">compromised</th>
          <th>worst</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((o) => (
          <tr>
            <td>
              <a href={`#/hosts${qs({ scan: props.scan, org: o.key })}`}>{t(o.name)}</a>
            </td>
            <td>{t(o.sector)}</td>
            <td class="num">{fmt(o.hosts)}</td>
            <td class="num">{fmt(o.vulnerable)}</td>
            <td class="num">{fmt(o.mitigated)}</td>
            <td class="num">{fmt(o.compromised)}</td>
            <td>
              <span class={`state ${o.worst}`}>{o.worst}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Pager(props: { page: number; total: number; perPage: number; onPage: (p: number) => void; testid: string }) {
  const pages = Math.max(1, Math.ceil(props.total / props.perPage));
  return (
    <div class="pager">
      <button type="button" disabled={props.page <= 1} onClick={() => props.onPage(props.page - 1)}>
        ‹ previous
      </button>
      <span>
        page {props.page} of {pages}
      </span>
      <button type="button" disabled={props.page >= pages} onClick={() => props.onPage(props.page + 1)} data-testid={`${props.testid}-next`}>
        next ›
      </button>
    </div>
  );
}

const PER_PAGE = 100;

function Orgs(props: { scan: string }) {
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<'name' | 'hosts' | 'worst' | 'sector'>('worst');
  const [page, setPage] = useState(1);
  // Filtered, sorted and paginated on the server: only one page of rows reaches the browser.
  const r = useLoad(
    () => api<{ organisations: OrgRow[]; total: number }>(`/organisations${qs({ scan: props.scan, q: filter || undefined, sort, page, per_page: PER_PAGE })}`),
    [props.scan, filter, sort, page],
  );
  return (
    <div>
      <div class="toolbar">
        <input
          placeholder="filter by name or sector"
          value={filter}
          onInput={(e) => {
            setFilter((e.target as HTMLInputElement).value);
            setPage(1);
          }}
          data-testid="org-filter"
        />
        <select
          value={sort}
          onChange={(e) => {
            setSort((e.target as HTMLSelectElement).value as 'name');
            setPage(1);
          }}
        >
          <option value="worst">worst state first</option>
          <option value="hosts">most hosts first</option>
          <option value="name">by name</option>
          <option value="sector">by sector</option>
        </select>
        <span class="muted">{fmt(r.data?.total ?? 0)} organisations</span>
        <a class="button" href={`api/export/organisations${qs({ scan: props.scan, format: 'csv' })}`} download>
          Export CSV
        </a>
        <a class="button" href={`api/export/organisations${qs({ scan: props.scan, format: 'json' })}`} download>
          Export JSON
        </a>
      </div>
      <OrgTable rows={r.data?.organisations ?? []} scan={props.scan} />
      <Pager page={page} total={r.data?.total ?? 0} perPage={PER_PAGE} onPage={setPage} testid="orgs" />
    </div>
  );
}

// --- cases --------------------------------------------------------------------------------------------
interface CaseRow {
  id: string;
  state: string;
  worst: string | null;
  org_key: string | null;
  org_name: string | null;
  grp: string | null;
  sector: string | null;
  hosts_open: number;
  hosts_total: number;
  notified_at: string | null;
  opened_at: string;
  age_days: number;
}

function CasesPage(props: { user: User }) {
  const [state, setState] = useState('');
  const [q, setQ] = useState('');
  const [sort, setSort] = useState<'age' | 'hosts' | 'worst' | 'owner'>('worst');
  const [tick, setTick] = useState(0);
  const [page, setPage] = useState(1);
  // Filtered, sorted and paginated on the server: only one page of rows reaches the browser.
  const r = useLoad(
    () => api<{ cases: CaseRow[]; total: number }>(`/cases${qs({ state: state || undefined, q: q || undefined, sort, page, per_page: PER_PAGE })}`),
    [state, q, sort, page, tick],
  );
  const owner = (c: CaseRow) => c.org_name ?? c.grp ?? '';
  const rows = r.data?.cases ?? [];
  const ack = async (id: string) => {
    await api(`/cases/${encodeURIComponent(id)}/state`, { method: 'POST', body: { state: 'acknowledged', note: 'acknowledged in the dashboard' } });
    setTick((t) => t + 1);
  };
  return (
    <div>
      <div class="toolbar">
        <input
          placeholder="filter by ticket, owner or sector"
          value={q}
          onInput={(e) => {
            setQ((e.target as HTMLInputElement).value);
            setPage(1);
          }}
          data-testid="case-filter"
        />
        <select
          value={state}
          onChange={(e) => {
            setState((e.target as HTMLSelectElement).value);
            setPage(1);
          }}
        >
          <option value="">any state</option>
          {['open', 'notified', 'acknowledged', 'escalated', 'contact_needed', 'resolved'].map((s) => (
            <option value={s}>{s}</option>
          ))}
        </select>
        <select
          value={sort}
          onChange={(e) => {
            setSort((e.target as HTMLSelectElement).value as 'age');
            setPage(1);
          }}
        >
          <option value="worst">worst first</option>
          <option value="age">oldest first</option>
          <option value="hosts">most open hosts first</option>
          <option value="owner">by owner</option>
        </select>
        <span class="muted">{fmt(r.data?.total ?? 0)} cases</span>
        <Exports path="cases" params={{ state: state || undefined, q: q || undefined }} what="cases" />
      </div>
      <table class="small" data-testid="cases-table">
        <thead>
          <tr>
            <th>ticket</th>
            <th>owner</th>
            <th>sector</th>
            <th class="num">open hosts</th>
            <th>worst</th>
            <th>state</th>
            <th>notified</th>
            <th class="num">age (days)</th>
            {props.user.role !== 'viewer' && <th />}
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => (
            <tr>
              <td>{c.id}</td>
              <td class="trunc" title={t(owner(c))}>
                {c.org_key ? <a href={`#/hosts${qs({ org: c.org_key })}`}>{t(owner(c))}</a> : t(owner(c))}
              </td>
              <td>{t(c.sector)}</td>
              <td class="num">
                {fmt(c.hosts_open)} / {fmt(c.hosts_total)}
              </td>
              <td>{c.worst ? <span class={`state ${c.worst === 'mitigated' ? 'mitigated' : 'vulnerable'}`}>{c.worst.replace('_', ' ')}</span> : ''}</td>
              <td>{c.state.replace('_', ' ')}</td>
              <td>{c.notified_at ? c.notified_at.slice(0, 10) : 'not yet'}</td>
              <td class="num">{c.age_days}</td>
              {props.user.role !== 'viewer' && (
                <td>
                  {c.state === 'notified' || c.state === 'escalated' ? (
                    <button type="button" class="small" onClick={() => ack(c.id)}>
                      acknowledged
                    </button>
                  ) : null}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      <Pager page={page} total={r.data?.total ?? 0} perPage={PER_PAGE} onPage={setPage} testid="cases" />
    </div>
  );
}

// --- scans ------------------------------------------------------------------------------------------
function Progress(props: { id: string; onStop?: (state: string) => void }) {
  const [ev, setEv] = useState<{ state: string; done: number | null; total: number | null } | null>(null);
  useEffect(() => {
    // The server sends one `progress` event a second and ends the stream when the scan stops.
    const es = new EventSource(`api/scans/${encodeURIComponent(props.id)}/events`);
    let last = '';
    es.addEventListener('progress', (m) => {
      const e = JSON.parse((m as MessageEvent).data) as { state: string; done: number | null; total: number | null };
      last = e.state;
      setEv(e);
      if (e.state !== 'running') {
        es.close();
        props.onStop?.(e.state);
      }
    });
    es.onerror = () => {
      es.close();
      if (last === 'running') props.onStop?.(last);
    };
    return () => es.close();
  }, [props.id]);
  if (!ev) return <span class="muted">…</span>;
  const pct = ev.total ? Math.floor(((ev.done ?? 0) * 100) / ev.total) : null;
  return (
    <span data-testid="progress">
      {ev.state}
      {ev.done !== null ? ` · ${fmt(ev.done)}${ev.total ? ` of ${fmt(ev.total)}` : ''}` : ''}
      {pct !== null ? (
        <progress max={100} value={pct}>
          {pct}%
        </progress>
      ) : null}
    </span>
  );
}

function Scans(props: { scans: Scan[]; user: User; reload: () => void }) {
  const [targets, setTargets] = useState('');
  const [label, setLabel] = useState('');
  const [msg, setMsg] = useState('');
  const start = async (e: Event) => {
    e.preventDefault();
    try {
      const list = targets.split(/\s+/).filter(Boolean);
      const r = await api<{ scan: string }>('/scans', { method: 'POST', body: { targets: list, label: label || undefined } });
      setMsg(`started ${r.scan}`);
      props.reload();
      go(`/scan/${encodeURIComponent(r.scan)}`);
    } catch (x) {
      setMsg(x instanceof Error ? x.message : String(x));
    }
  };
  return (
    <div>
      <div class="toolbar">
        <span class="muted">{props.scans.length} scans</span>
        <Exports path="scans" what="scans" />
      </div>
      <table class="small" data-testid="scans-table">
        <thead>
          <tr>
            <th>scan</th>
            <th>label</th>
            <th>started</th>
            <th>progress</th>
            <th>export</th>
          </tr>
        </thead>
        <tbody>
          {props.scans.map((s) => (
            <tr>
              <td>
                <a href={`#/scan/${encodeURIComponent(s.id)}`}>{s.id}</a>
              </td>
              <td>{t(s.label)}</td>
              <td>{s.started_at.slice(0, 19).replace('T', ' ')}</td>
              <td>{s.state === 'running' ? <Progress id={s.id} onStop={props.reload} /> : `${s.state}${s.done !== null ? ` · ${fmt(s.done)}` : ''}`}</td>
              <td>
                <a href={`api/export/hosts${qs({ scan: s.id, format: 'csv' })}`} download>
                  CSV
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.user.role !== 'viewer' && (
        <form class="panel" onSubmit={start}>
          <h2>Start a scan</h2>
          <p class="muted">Targets are checked against the server’s scope and exclusion lists before any packet is sent.</p>
          <textarea rows={4} placeholder="addresses, CIDRs or names, one per line" value={targets} onInput={(e) => setTargets((e.target as HTMLTextAreaElement).value)} />
          <input placeholder="label" value={label} onInput={(e) => setLabel((e.target as HTMLInputElement).value)} />
          <button type="submit">Start</button>
          {msg && <p>{msg}</p>}
        </form>
      )}
    </div>
  );
}

// --- one scan ------------------------------------------------------------------------------------
function ScanPage(props: { id: string; scans: Scan[]; user: User; reload: () => void }) {
  const s = props.scans.find((x) => x.id === props.id);
  const [ended, setEnded] = useState<string | null>(null);
  const [asked, setAsked] = useState('');
  useEffect(() => {
    // A scan started since the list was loaded (here or elsewhere): reload the list once.
    if (!s && asked !== props.id) {
      setAsked(props.id);
      props.reload();
    }
  }, [props.id, s]);
  if (!s) return <p class="muted">{asked === props.id && props.scans.length ? 'No such scan.' : '…'}</p>;
  const enc = encodeURIComponent(s.id);
  const state = ended ?? s.state;
  // (A scan that stops while the page is open shows its final state; the scan list is reloaded.)
  return (
    <div data-testid="scan-page">
      <h1>
        {t(s.label ?? s.id)} <span class="muted">{s.id}</span>
      </h1>
      <section class="panel">
        <dl>
          <dt>state</dt>
          <dd data-testid="scan-state">
            {ended === null && s.state === 'running' ? (
              <Progress
                id={s.id}
                onStop={(st) => {
                  setEnded(st);
                  props.reload();
                }}
              />
            ) : (
              state
            )}
          </dd>
          <dt>started</dt>
          <dd>{s.started_at.slice(0, 19).replace('T', ' ')}</dd>
          <dt>finished</dt>
          <dd>{s.finished_at ? s.finished_at.slice(0, 19).replace('T', ' ') : '–'}</dd>
          {s.total !== null || s.done !== null ? (
            <>
              <dt>targets</dt>
              <dd>
                {fmt(s.done)} recorded{s.total !== null ? ` of ${fmt(s.total)}` : ''}
              </dd>
            </>
          ) : null}
        </dl>
      </section>
      <section class="panel">
        <p>
          <a class="button" href={`#/overview?scan=${enc}`}>
            Figures
          </a>{' '}
          <a class="button" href={`#/hosts?scan=${enc}`}>
            Hosts
          </a>{' '}
          <Exports path="hosts" params={{ scan: s.id }} what="scan-hosts" />{' '}
          {props.user.constituencies.length === 0 && (
            <a class="button" href={`api/reports${qs({ scan: s.id, format: 'markdown' })}`} download>
              Report
            </a>
          )}
        </p>
      </section>
    </div>
  );
}

// --- shell ------------------------------------------------------------------------------------------
function App() {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [cve, setCve] = useState('CVE-2019-19781');
  const [tick, setTick] = useState(0);
  const route = useRoute();
  useEffect(() => {
    api<{ user: User; csrf?: string }>('/auth/me').then(
      (r) => {
        setCsrf(r.csrf);
        setUser(r.user);
      },
      () => setUser(null),
    );
  }, []);
  const scans = useLoad(() => (user ? api<{ scans: Scan[] }>('/scans') : Promise.resolve({ scans: [] as Scan[] })), [user, tick]);
  if (user === undefined) return <p class="muted">…</p>;
  if (user === null) return <Login onLogin={setUser} />;
  const list = scans.data?.scans ?? [];
  const latest = list.find((s) => s.state === 'finished') ?? list[0];
  const scan = route.params.get('scan') ?? latest?.id;
  const logout = async () => {
    await api('/auth/logout', { method: 'POST' }).catch(() => undefined);
    setCsrf(undefined);
    setUser(null);
  };
  const nav = (page: string, label: string) => (
    <a href={`#/${page}${scan ? `?scan=${encodeURIComponent(scan)}` : ''}`} class={route.page === page ? 'active' : ''}>
      {label}
    </a>
  );
  return (
    <div>
      <header>
        <span class="brand">edgewatch</span>
        <nav>
          {nav('overview', 'Overview')}
          {nav('hosts', 'Hosts')}
          {nav('orgs', 'Organisations')}
          {nav('cases', 'Cases')}
          {nav('scans', 'Scans')}
        </nav>
        <span class="tlp">TLP:AMBER</span>
        <span class="who" data-testid="who">
          {user.username} · {user.role}
          {user.constituencies.length ? ` · ${user.constituencies.join(', ')}` : ''}
        </span>
        <button type="button" class="link light" onClick={logout}>
          log out
        </button>
      </header>
      <main>
        {!scan && !scans.loading && <p>No scans yet. Run `edgewatch scan …` or start one under Scans.</p>}
        {scan && route.page === 'overview' && <Overview scans={list} scan={scan} cve={cve} setCve={setCve} user={user} />}
        {scan && route.page === 'hosts' && <Hosts scan={scan} params={route.params} />}
        {route.page === 'host' && <HostPage ip={route.arg} />}
        {scan && route.page === 'orgs' && <Orgs scan={scan} />}
        {route.page === 'cases' && <CasesPage user={user} />}
        {route.page === 'scans' && <Scans scans={list} user={user} reload={() => setTick((t) => t + 1)} />}
        {route.page === 'scan' && <ScanPage id={route.arg} scans={list} user={user} reload={() => setTick((t) => t + 1)} />}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
