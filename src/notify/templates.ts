/**
 * Message templates: plain-text files users can edit, `<dir>/<lang>/<name>.txt` (first line
 * `Subject: …`, a blank line, the body) and `<dir>/<lang>/snippets.yaml` (headline, meaning and
 * advice per worst situation). A user directory (config `notify.templates`) wins file by file over
 * the bundled `templates/notify/`. Placeholders are `{{name}}`; an unknown one is an error naming
 * file and line. Values are cleaned before they go in: no control characters (so nothing can break
 * out of the Subject header or fake a MIME boundary line), bounded length.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { EdgewatchError } from '../errors.js';
import type { Worst } from '../cases/types.js';

export const BUNDLED_TEMPLATES = fileURLToPath(new URL('../../templates/notify', import.meta.url));
export const TEMPLATE_NAMES = ['initial', 'followup', 'escalation', 'resolved'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** Every placeholder a template may use. */
export const VARIABLES = [
  'ticket',
  'org',
  'tlp',
  'team',
  'reply_to',
  'count',
  'hosts',
  'headline',
  'meaning',
  'advice',
  'product',
  'scan_date',
  'notified_date',
  'days',
] as const;
export type Variable = (typeof VARIABLES)[number];

const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;
const WORSTS: Worst[] = ['vulnerable', 'mitigated', 'compromised', 'patched_compromised'];

const SnippetsSchema = z.object({
  headline: z.record(z.enum(['vulnerable', 'mitigated', 'compromised', 'patched_compromised']), z.string().max(300)),
  meaning: z.record(z.enum(['vulnerable', 'mitigated', 'compromised', 'patched_compromised']), z.string().max(4000)),
  advice: z.record(z.enum(['vulnerable', 'mitigated', 'compromised', 'patched_compromised']), z.string().max(4000)),
});

export interface Template {
  name: TemplateName;
  language: string;
  subject: string;
  body: string;
  file: string;
}

export interface LanguagePack {
  language: string;
  templates: Record<TemplateName, Template>;
  snippets: z.infer<typeof SnippetsSchema>;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: cleaning exactly these
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;

/** A value for a one-line slot (subject, names): no line breaks or controls, bounded. */
export function oneLine(v: unknown, max = 200): string {
  const s = String(v ?? '')
    .replace(/[\r\n\t]+/g, ' ')
    .replace(CONTROL, '')
    .trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** A value for a body slot: line breaks kept (LF only), other controls removed, bounded. */
export function block(v: unknown, max = 100_000): string {
  const s = String(v ?? '')
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, '  ')
    .replace(CONTROL, '');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function checkPlaceholders(text: string, file: string, lineOffset: number): void {
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    for (const m of line.matchAll(PLACEHOLDER)) {
      if (!(VARIABLES as readonly string[]).includes(m[1])) {
        throw new EdgewatchError('EW_NOTIFY_TEMPLATE', `unknown placeholder {{${m[1]}}} (known: ${VARIABLES.join(', ')})`, {
          file,
          line: i + 1 + lineOffset,
        });
      }
    }
  }
}

function readTemplate(dirs: string[], language: string, name: TemplateName): Template | undefined {
  for (const dir of dirs) {
    const file = join(dir, language, `${name}.txt`);
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8').replace(/\r\n?/g, '\n');
    if (text.length > 64 * 1024) throw new EdgewatchError('EW_NOTIFY_TEMPLATE', 'template larger than 64 KiB', { file });
    const m = /^Subject:[ \t]*(.+)\n\n/.exec(text);
    if (!m) throw new EdgewatchError('EW_NOTIFY_TEMPLATE', 'a template starts with "Subject: …" and a blank line', { file, line: 1 });
    checkPlaceholders(m[1], file, 0);
    checkPlaceholders(text.slice(m[0].length), file, 2);
    return { name, language, subject: m[1].trim(), body: text.slice(m[0].length).trimEnd(), file };
  }
  return undefined;
}

function readSnippets(dirs: string[], language: string): LanguagePack['snippets'] | undefined {
  for (const dir of dirs) {
    const file = join(dir, language, 'snippets.yaml');
    if (!existsSync(file)) continue;
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new EdgewatchError('EW_NOTIFY_TEMPLATE', `not valid YAML: ${(e as Error).message.split('\n')[0]}`, { file });
    }
    const r = SnippetsSchema.safeParse(doc);
    if (!r.success) throw new EdgewatchError('EW_NOTIFY_TEMPLATE', `${r.error.issues[0].path.join('.')}: ${r.error.issues[0].message}`, { file });
    for (const part of ['headline', 'meaning', 'advice'] as const) {
      for (const w of WORSTS) {
        const t = r.data[part][w];
        if (t === undefined) throw new EdgewatchError('EW_NOTIFY_TEMPLATE', `${part}.${w} is missing`, { file });
        checkPlaceholders(t, file, 0);
      }
    }
    return r.data;
  }
  return undefined;
}

/** Load and validate the templates of one language (undefined when the language has none). */
export function loadLanguage(language: string, userDir?: string): LanguagePack | undefined {
  if (!/^[a-z]{2}$/.test(language)) return undefined;
  const dirs = [...(userDir ? [userDir] : []), BUNDLED_TEMPLATES];
  const snippets = readSnippets(dirs, language);
  if (!snippets) return undefined;
  const templates = {} as Record<TemplateName, Template>;
  for (const name of TEMPLATE_NAMES) {
    const t = readTemplate(dirs, language, name);
    if (!t) return undefined;
    templates[name] = t;
  }
  return { language, templates, snippets };
}

/** Fill `{{name}}` placeholders. `vars` values must already be cleaned (oneLine / block). */
export function fill(text: string, vars: Partial<Record<Variable, string>>): string {
  return text.replace(PLACEHOLDER, (_, name: Variable) => vars[name] ?? '');
}
