/**
 * Portal directories (DOMAIN §4.1, §4.2 rows 1–3): Template Toolkit payloads in template and
 * bookmark files, the FireEye blacklist strings in the template/bookmark/script/theme dirs,
 * exploit-style mode 644, and Perl scripts that are not the appliance's (by name; an MD5 that
 * differs from the 13.0-47.22 reference is a warning, not a finding — see perlScripts). One portal finding per file,
 * strongest first: payload (high) > blacklisted content (medium) > permissions (low).
 * Bookmark dir: only non-XML files and XML newer than 2019-12-15 (older ones predate the bug).
 */
import { createHash } from 'node:crypto';
import { dirCovered, mtimeOf, type RuleContext, under } from '../context.js';
import { isRegular } from '../meta.js';
import { readHead } from '../read.js';

export const TEMPLATE_DIRS = ['/netscaler/portal/templates', '/var/tmp/netscaler/portal/templates', '/var/vpn/bookmark'];
export const PORTAL_DIRS = [...TEMPLATE_DIRS, '/netscaler/portal/scripts', '/var/vpn/themes', '/var/vpn/theme'];
const BOOKMARK_DIR = '/var/vpn/bookmark';
/** 2019-12-15T00:00:00Z: bookmark XML older than this predates the disclosure. */
const BOOKMARK_CUTOFF = Date.UTC(2019, 11, 15) / 1000;

/** Payload inside one `[% … %]` block (Template Toolkit directive). */
const TT_BLOCK = /\[%([\s\S]{0,8192}?)%\]/g;
const TT_PAYLOAD = /template\.new|readpipe|chr\(|`|datafile\(/;

/** FireEye netscaler-content.sh blacklist (DOMAIN §4.2#1) with its stated exceptions. */
const BLACKLIST = new RegExp(
  [
    'template\\.new',
    'exec(?!ute)',
    '`',
    'eval\\((?!handle_subscriptions\\(\\)\\))',
    'bash',
    'ns\\.conf',
    'curl',
    'wget',
    'Encode::decode\\(chr\\(',
    '\\}exit',
    'pwnpzi1337',
    'test1337',
    'chr\\(',
    '^#NS',
    '45\\.120\\.53\\.214',
    'eternalblue\\.replay',
    'scan\\.py',
    'x64\\.dll',
    'x86\\.dll',
    '(?<!bui)ld\\.sh',
    'piz\\.Lan',
    '(?<!upgra)de\\.py',
    '\\.new\\.zip',
    '/tmp/rAgn',
    '198\\.44\\.227\\.126',
    '/tmp/l\\.sh',
    'Digest::MD5',
    'Could not execute command',
    '/tmp/bsd',
    '/tmp/un',
    '66\\.42\\.98\\.220',
    '/tmp/\\.init/httpd',
    '\\.nscache',
    'netscalerd',
    '(?:tiny|debug|conn)\\.php',
  ].join('|'),
  'm',
);


/** Legit /netscaler/portal/scripts on 13.0-47.22 (DOMAIN §4.2#3): name → MD5. */
export const LEGIT_PORTAL_SCRIPTS: Readonly<Record<string, string>> = {
  'tips.pl': '3280ba3ab11a34077885f9de1beb1c92',
  'logout.pl': '2a2b40bfdedfc8b4ba56c280994d8d37',
  'navthemes.pl': '9926d0a20e179756daeb4688c8a03b37',
  'newbm.pl': '0591c29843bc5a48368ed06c23a3733a',
  'picktheme.pl': '575f21c82bd84aa458466e0c378d9abc',
  'rmbm.pl': '85b99d94aa01718e1ce830cd86c2d2ff',
  'subscription.pl': 'bb959a65984bad31acd925312d12de8f',
  'themes.pl': '5fcb189ac8c557ab1d956e612dae0a05',
  'PersonalBookmark.pl': 'd45a1c4924170e2c398831676a3b8102',
};
/** The build the MD5 reference set belongs to. */
export const LEGIT_SCRIPTS_BUILD = '13.0-47.22';

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/** The line (1-based) and text around offset `at`. */
export function lineAt(text: string, at: number): { line: number; text: string } {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < at; i = text.indexOf('\n', i + 1)) line++;
  const s = text.lastIndexOf('\n', at - 1) + 1;
  const e = text.indexOf('\n', at);
  return { line, text: text.slice(s, e < 0 ? text.length : e) };
}

function payloadAt(text: string): number {
  const t = text.indexOf('template.new');
  let best = t;
  TT_BLOCK.lastIndex = 0;
  for (let m = TT_BLOCK.exec(text); m; m = TT_BLOCK.exec(text)) {
    if (TT_PAYLOAD.test(m[1])) {
      if (best < 0 || m.index < best) best = m.index;
      break;
    }
  }
  return best;
}

export async function portalRules(ctx: RuleContext): Promise<void> {
  const covered = PORTAL_DIRS.filter((d) => dirCovered(ctx, d));
  if (covered.length === 0) {
    ctx.notChecked.push(`template/bookmark/script/theme dirs: none of ${PORTAL_DIRS.join(', ')} is in the collection`);
    return;
  }
  const missing = PORTAL_DIRS.filter((d) => !covered.includes(d));
  if (missing.length > 0 && missing.length < PORTAL_DIRS.length && !ctx.stat) {
    ctx.notChecked.push(`portal dirs not collected: ${missing.join(', ')}`);
  }
  await perlScripts(ctx);
  const seen = new Set<string>();
  for (const dir of PORTAL_DIRS) {
    for (const path of under(ctx, dir)) {
      if (seen.has(path)) continue;
      seen.add(path);
      ctx.signal?.throwIfAborted();
      await onePortalFile(ctx, dir, path);
    }
  }
  if (!ctx.stat) ctx.notChecked.push('portal file permissions (§4.2#2): meta/stat.txt missing');
}

async function onePortalFile(ctx: RuleContext, dir: string, path: string): Promise<void> {
  const st = ctx.stat?.get(path);
  const time = mtimeOf(ctx, path);
  const name = base(path);
  const isXml = /\.xml$/i.test(name);
  if (dir === BOOKMARK_DIR && isXml && st && st.mtime < BOOKMARK_CUTOFF) return;
  const isTemplateDir = TEMPLATE_DIRS.includes(dir);

  // The file name itself may carry the payload (`lol[%template.new(…)%].xml`).
  const decodedName = name.replace(/%25/g, '%').replace(/%3d/gi, '=');
  // Every checklist row that fires is reported: content (payload, else blacklisted strings) and
  // mode (§4.2#2) are separate evidence about the same file.
  let contentDone = false;
  if (isTemplateDir && payloadAt(decodedName) >= 0) {
    ctx.out.add('template-payload', { confidence: 'high', path, excerpt: `file name: ${name}`, time });
    contentDone = true;
  }
  if (!contentDone && ctx.c.has(path)) {
    const head = await readHead(ctx.c, path, ctx.limits.maxGrepBytes, ctx.warnings);
    if (head) {
      ctx.bytes += head.length;
      const text = head.toString('latin1');
      const at = isTemplateDir ? payloadAt(text) : -1;
      if (at >= 0) {
        const l = lineAt(text, at);
        ctx.out.add('template-payload', { confidence: 'high', path, line: l.line, excerpt: l.text, time });
      }
      const m = at >= 0 ? null : BLACKLIST.exec(text);
      if (m) {
        const l = lineAt(text, m.index);
        ctx.out.add('template-blacklisted-content', {
          confidence: 'medium',
          path,
          line: l.line,
          excerpt: l.text,
          time,
          title: `blacklisted content \`${m[0]}\` in a portal dir`,
        });
      }
    }
  }
  if (ctx.out.has('perl-script-unexpected', path)) return;
  if (st && isRegular(st) && (st.mode & 0o777) === 0o644 && !name.startsWith('bm_prefix_')) {
    ctx.out.add('portal-file-permissions', {
      confidence: 'low',
      path,
      excerpt: `mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')} uid ${st.uid} gid ${st.gid}`,
      time,
    });
  }
}

async function perlScripts(ctx: RuleContext): Promise<void> {
  const dir = '/netscaler/portal/scripts';
  if (!dirCovered(ctx, dir)) return;
  const md5Build = ctx.version === LEGIT_SCRIPTS_BUILD;
  if (!md5Build)
    ctx.notChecked.push(`portal script MD5s (§4.2#3): no reference set for build ${ctx.version ?? '(unknown)'}; names checked only`);
  for (const path of under(ctx, dir)) {
    const rest = path.slice(dir.length + 1);
    if (rest.includes('/') || !/\.pl$/i.test(rest)) continue;
    const time = mtimeOf(ctx, path);
    const legit = LEGIT_PORTAL_SCRIPTS[rest];
    if (legit === undefined) {
      ctx.out.add('perl-script-unexpected', {
        confidence: 'medium',
        path,
        excerpt: `${rest} is not one of the appliance's portal scripts`,
        time,
      });
      continue;
    }
    if (!md5Build || !ctx.c.has(path)) continue;
    const body = await readHead(ctx.c, path, ctx.limits.maxGrepBytes, ctx.warnings);
    if (!body) continue;
    const md5 = createHash('md5').update(body).digest('hex');
    if (md5 !== legit) {
      // Not a finding: a clean box of another patch level, or a rebuilt image, differs too. The
      // attacks seen added scripts (caught by name) or wrote payloads (caught by content).
      ctx.warnings.push(
        `${path}: MD5 ${md5} differs from the ${LEGIT_SCRIPTS_BUILD} reference ${legit}; compare with a clean image of the same build`,
      );
    }
  }
}
