/**
 * PHP files (DOMAIN §4.2#19, §4.8; Fox-IT iocitrix): mode other than 0444 under
 * /var/netscaler/logon, /var/vpn and /var/netscaler/ns_gui, and webshell strings in the first
 * 2,048 bytes of every collected PHP file. The broad strings (`base64_decode(`,
 * `http_response_code(`, `array_filter(`) count only under those three trees, as Fox-IT does;
 * legit admin UI PHP elsewhere uses them.
 */
import { mtimeOf, type RuleContext } from '../context.js';
import { isRegular } from '../meta.js';
import { readHead } from '../read.js';
import { lineAt } from './portal.js';

export const PHP_TREES = ['/var/netscaler/logon/', '/var/vpn/', '/var/netscaler/ns_gui/'];
const HEAD = 2048;

const SPECIFIC = new RegExp(
  [
    'eval\\(\\$_',
    '@eval\\(',
    'base64_decode\\(\\$_',
    'str_rot13\\(',
    'hex2bin\\(substr\\(',
    '@array_filter',
    'blv_encode',
    'sayhello',
    "get\\('openssl_public_decrypt'\\)",
    '#nssecret#',
    'uRemote',
    '<\\?=`curl ',
    '168\\.100\\.11\\.89:8000',
    'github\\.com/lcvvv/kscan',
    'chmod u\\+s',
    'Expires: Wed, 11 Jan 1984 05:00:00',
  ].join('|'),
);
const BROAD = /base64_decode\(|http_response_code\(|http_status_code\(|array_filter\(/;

export async function phpRules(ctx: RuleContext): Promise<void> {
  const phps = ctx.files.filter((p) => /\.php$/i.test(p));
  if (ctx.stat) {
    for (const p of phps) {
      if (!PHP_TREES.some((t) => p.startsWith(t))) continue;
      const st = ctx.stat.get(p);
      if (!st || !isRegular(st) || (st.mode & 0o7777) === 0o444) continue;
      ctx.out.add('php-permission', {
        confidence: 'medium',
        path: p,
        excerpt: `mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')} (appliance PHP is 0444) uid ${st.uid} gid ${st.gid}`,
        time: mtimeOf(ctx, p),
      });
    }
  } else ctx.notChecked.push('PHP file modes (§4.2#19): meta/stat.txt missing');
  let notCopied = 0;
  for (const p of phps) {
    ctx.signal?.throwIfAborted();
    if (!ctx.c.has(p)) {
      notCopied++;
      continue;
    }
    const head = await readHead(ctx.c, p, HEAD, ctx.warnings);
    if (!head) continue;
    ctx.bytes += head.length;
    const text = head.toString('latin1');
    const m = SPECIFIC.exec(text) ?? (PHP_TREES.some((t) => p.startsWith(t)) ? BROAD.exec(text) : null);
    if (!m) continue;
    const l = lineAt(text, m.index);
    ctx.out.add('php-content', {
      confidence: 'high',
      path: p,
      line: l.line,
      excerpt: l.text,
      time: mtimeOf(ctx, p),
      title: `webshell string \`${m[0]}\` in PHP`,
    });
  }
  if (notCopied > 0) ctx.notChecked.push(`PHP contents (§4.2#19): ${notCopied} listed PHP file(s) were not copied into the collection`);
}
