/** docs/check-format.md documents every matcher, extractor, part, variable and function the engine accepts. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/checks/paths.js';
import { ExtractorSchema, MatcherSchema } from '../../src/checks/schema.js';
import { ALL_BUILTINS, RESPONSE_VARIABLES } from '../../src/checks/scope.js';

const doc = readFileSync(join(REPO_ROOT, 'docs', 'check-format.md'), 'utf8');
const literalOf = (o: unknown): string => (o as { shape: { type: { value: string } } }).shape.type.value;

describe('docs/check-format.md', () => {
  it('names every matcher and extractor type', () => {
    const types = [...MatcherSchema.options.map(literalOf), ...ExtractorSchema.options.map(literalOf)];
    expect(types).toContain('gzip-mtime');
    for (const t of types) expect(doc, t).toContain(`| \`${t}\` |`);
  });

  it('names every part, response variable, built-in variable and function', () => {
    const names = [...['body', 'title', 'header', 'status_line', 'location', 'all'], ...Object.keys(RESPONSE_VARIABLES), ...ALL_BUILTINS];
    for (const n of names) expect(doc, n).toMatch(new RegExp(`\\| \`${n}[\`(]`));
    for (const f of ['present(', 'version_lt(', 'version_ge(', 'in_range(', 'has_header(', 'header(']) expect(doc).toContain(`\`${f}`);
  });
});
