/**
 * Left-behind files found by path (DOMAIN §4.2 rows 4–9, §4.6–§4.8): the netscalerd miner,
 * NOTROBIN artefacts and key-named webshells, APT41 tools, known webshell and tunnel paths, PHP in
 * Apache Alias dirs, and the 2023 files (including PHP in the 2023 webshell dirs and nobody:root
 * scripts). A path counts when meta/stat.txt lists it, when it was copied under fs/, or (for
 * /var/nss) when meta/suid.txt names it — never because some listing or manifest text contains it.
 * The generic "PHP in an Alias dir" gives way to a more specific rule on the same path.
 */
import { mtimeOf, type RuleContext } from '../context.js';
import { parseSuid } from '../meta.js';

const MINER = '/var/tmp/netscalerd';
const NOTROBIN = [
  '/tmp/.init/httpd',
  '/var/nstmp/.nscache/httpd',
  '/var/nstmp/.nscache/prev.sh',
  '/var/nstmp/.nscache/httpd-nscache_clean',
];
const APT41 = ['/tmp/bsd', '/tmp/un'];
const KNOWN_WEBSHELLS = [
  '/var/vpn/themes/imgs/tiny.php',
  '/var/vpn/themes/imgs/debug.php',
  '/var/vpn/themes/imgs/conn.php',
  '/var/vpn/themes/imgs/include.php',
  '/var/vpn/themes/imgs/whatfile',
  '/netscaler/ns_gui/admin_ui/rdx/core/css/images/css.php',
  '/netscaler/ns_gui/vpn/images/vpn_ns_gui.php',
  '/var/nstmp/chisel',
];
const KEY_NAME = /^(?:[a-f0-9]{32}\.php|[a-f0-9]{32}_[A-Za-z0-9]{1,12}\.(?:php|pl))$/;
/** Apache Alias dirs (DOMAIN §4.2#9). */
export const ALIAS_DIRS = [
  '/netscaler/portal/admin/scripts',
  '/netscaler/portal/scripts',
  '/netscaler/portal/supporting_files',
  '/var/netscaler/gui/vpn/scripts/linux',
  '/var/netscaler/gui/vpns/help',
  '/var/netscaler/gui/vpns/scripts/mac',
  '/var/ns_gui/n_top',
  '/var/ns_gui/shared',
  '/var/ns_gui/support',
  '/var/vpn/theme',
  '/var/vpn/themes',
];
const FILES_2023 = ['/var/tmp/the', '/var/tmp/npc', '/var/nss'];
/** Any PHP here is a 2023 webshell location (Mandiant scanner). */
const PHP_2023 = [
  /^\/var\/netscaler\/logon\/LogonPoint\/uiareas\/.+\.php$/i,
  /^\/netscaler\/ns_gui\/epa\/scripts\/[^/]+\/[^/]+\.php$/i,
  /^\/netscaler\/ns_gui\/vpns\/theme\/default\/[^/]+\.php$/i,
];
const SCRIPT_EXT = /\.(php|pl|py|sh|cgi)$/i;
const NOBODY = 65534;

const SHORT: Partial<Record<string, string>> = {
  'miner-netscalerd': 'netscalerd coin miner',
  'notrobin-file': 'NOTROBIN artefact',
  'apt41-tool': 'APT41 tool',
  'known-webshell-path': 'known webshell or tunnel',
  'notrobin-key-webshell': 'NOTROBIN key-named webshell',
  'ioc-2023-file': '2023 (CVE-2023-3519) artefact',
  'php-in-alias-dir': 'PHP in an Apache Alias dir',
};

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const inDir = (p: string, d: string) => p.startsWith(`${d}/`);

export async function artefactRules(ctx: RuleContext): Promise<void> {
  const exists = new Set(ctx.files);
  for (const p of ctx.meta.suid ? parseSuid(ctx.meta.suid) : []) if (p === '/var/nss') exists.add(p);
  const how = (p: string) => {
    const st = ctx.stat?.get(p);
    if (st) return `listed: mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')} uid ${st.uid} gid ${st.gid} size ${st.size}`;
    return ctx.c.has(p) ? 'collected copy present' : 'listed in meta/suid.txt';
  };
  const hit = (rule: Parameters<typeof ctx.out.add>[0], path: string, confidence: 'high' | 'medium' | 'low', note?: string) =>
    ctx.out.add(rule, {
      confidence,
      path,
      excerpt: note ? `${note} (${how(path)})` : `${path} exists (${how(path)})`,
      time: mtimeOf(ctx, path),
      title: `${SHORT[rule] ?? rule}: ${path}`,
    });

  if (exists.has(MINER)) hit('miner-netscalerd', MINER, 'high');
  for (const p of NOTROBIN) if (exists.has(p)) hit('notrobin-file', p, 'high');
  for (const p of APT41) if (exists.has(p)) hit('apt41-tool', p, 'high');
  for (const p of KNOWN_WEBSHELLS) if (exists.has(p)) hit('known-webshell-path', p, 'high');
  for (const p of FILES_2023) if (exists.has(p)) hit('ioc-2023-file', p, 'high');

  for (const p of exists) {
    const name = base(p);
    if ((inDir(p, '/var/vpn/theme') || inDir(p, '/var/vpn/themes')) && KEY_NAME.test(name)) hit('notrobin-key-webshell', p, 'high');
    if (name === '.theme.php') hit('ioc-2023-file', p, 'high');
    if (inDir(p, '/var/tmp/conf') && /\.conf$/.test(name)) hit('ioc-2023-file', p, 'high');
    // Strongest first: the list keeps one ioc-2023-file finding per path.
    if (PHP_2023.some((re) => re.test(p))) hit('ioc-2023-file', p, 'high', 'PHP in a 2023 webshell location');
    const st = ctx.stat?.get(p);
    const named = ctx.out.has('known-webshell-path', p) || ctx.out.has('notrobin-key-webshell', p);
    if (!named && st && st.uid === NOBODY && st.gid === 0 && SCRIPT_EXT.test(name) && !inDir(p, '/var/nsinstall')) {
      hit('ioc-2023-file', p, 'medium', 'script owned nobody:wheel (written by the web server)');
    }
    if (inDir(p, '/var/vpn/themes') && /\.js$/i.test(name)) hit('ioc-2023-file', p, 'low', '.js in /var/vpn/themes (2023 data staging)');
  }
  for (const p of exists) {
    if (!/\.php$/i.test(p) || !ALIAS_DIRS.some((d) => inDir(p, d))) continue;
    // Reported even when a more specific rule named the file: each checklist row that fires is a finding.
    if (PHP_2023.some((re) => re.test(p))) continue; // 2023 webshell dirs are their own row (§4.8)
    hit('php-in-alias-dir', p, 'medium', 'PHP reachable through an Apache Alias');
  }
  if (!ctx.stat) {
    ctx.notChecked.push(
      'left-behind files (§4.2#4–9, §4.8): meta/stat.txt missing, so only collected copies were looked at (miner, NOTROBIN, tools and webshells outside the copied dirs would be missed)',
    );
  }
}
