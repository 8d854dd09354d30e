/**
 * Reads an organisation file in YAML: either a list of organisations or a mapping with the single
 * key `organisations` (plus an optional `version: 1`). Keeps the parsed document so that every
 * problem can name its line. Duplicate mapping keys and alias bombs are errors.
 */
import { isMap, isNode, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { FileIssue, RawFile } from './raw.js';

const MAX_ALIASES = 100;

export function readYamlEntries(text: string): RawFile {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const issues: FileIssue[] = [];
  for (const e of doc.errors.slice(0, 20)) {
    issues.push({ line: lc.linePos(e.pos[0]).line || undefined, path: '(yaml)', message: e.message.split('\n')[0] });
  }
  if (issues.length > 0) return { entries: [], issues };

  const lineAt = (d: Document, path: ReadonlyArray<string | number>): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? d.contents : d.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
    }
    return undefined;
  };

  let base: (string | number)[] = [];
  const top = doc.contents;
  if (top === null) {
    return { entries: [], issues: [{ line: 1, path: '(file)', message: 'the file is empty: expected a list of organisations' }] };
  }
  if (isMap(top)) {
    for (const pair of top.items) {
      const k = isNode(pair.key) ? (pair.key as { value?: unknown }).value : pair.key;
      if (k !== 'organisations' && k !== 'version') {
        const line = isNode(pair.key) && pair.key.range ? lc.linePos(pair.key.range[0]).line : undefined;
        issues.push({ line, path: String(k), message: 'unknown top-level field (expected organisations, version)' });
      }
    }
    const version: unknown = doc.get('version');
    if (version !== undefined && version !== 1) {
      issues.push({ line: lineAt(doc, ['version']), path: 'version', message: 'only version 1 is known' });
    }
    base = ['organisations'];
  } else if (!isSeq(top)) {
    const message = 'expected a list of organisations or a mapping with "organisations:"';
    return { entries: [], issues: [{ line: lineAt(doc, []), path: '(file)', message }] };
  }
  const seq = base.length === 0 ? top : doc.getIn(base, true);
  if (!isSeq(seq)) {
    issues.push({ line: lineAt(doc, base), path: 'organisations', message: 'organisations must be a list' });
    return { entries: [], issues };
  }
  let js: unknown;
  try {
    js = seq.toJS(doc, { maxAliasCount: MAX_ALIASES });
  } catch (e) {
    return { entries: [], issues: [...issues, { line: lineAt(doc, base), path: '(yaml)', message: (e as Error).message.split('\n')[0] }] };
  }
  const list = js as unknown[];
  const entries = list.map((value, i) => {
    const item = seq.items[i];
    const line = (isNode(item) && item.range ? lc.linePos(item.range[0]).line : lineAt(doc, [...base, i])) ?? 1;
    return {
      value,
      line,
      label: `${base.length ? 'organisations' : ''}[${i}]`,
      lineOf: (path: ReadonlyArray<string | number>) => lineAt(doc, [...base, i, ...path]) ?? line,
      fieldName: (path: ReadonlyArray<string | number>) =>
        path
          .map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`))
          .join('')
          .replace(/^\./, ''),
    };
  });
  return { entries, issues };
}
