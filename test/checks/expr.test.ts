import { describe, expect, it } from 'vitest';
import { compileExpr, ExprError, parse, type Scope, type Value } from '../../src/checks/expr.js';
import { type CheckEnv, checkScope, type SignalTable } from '../../src/checks/scope.js';

type Env = Record<string, Value>;
const scope: Scope<Env> = {
  ident: (name) => (env) => (name in env ? env[name] : null),
  call: (name, args) => {
    if (name === 'len' && args.length === 1) return (env) => String(args[0].eval(env) ?? '').length;
    return `unknown function '${name}'`;
  },
};
const run = (src: string, env: Env = {}): Value => compileExpr(src, scope)(env);

describe('expression language', () => {
  it('literals and comparisons', () => {
    expect(run('1 < 2')).toBe(true);
    expect(run('2.5 >= 2.5')).toBe(true);
    expect(run('\'a\' == "a"')).toBe(true);
    expect(run("'it\\'s' == \"it's\"")).toBe(true);
    expect(run('null == null')).toBe(true);
    expect(run('x == null', { x: null })).toBe(true);
    expect(run('x < 3', { x: null })).toBe(false); // comparisons with null are false
    expect(run("'10' < 9")).toBe(false); // no coercion between strings and numbers
    expect(run("'abc' < 'abd'")).toBe(true);
  });

  it('precedence: ! > relational > equality > && > ||', () => {
    expect(run('true || false && false')).toBe(true);
    expect(run('(true || false) && false')).toBe(false);
    expect(run('!false && false')).toBe(false);
    expect(run('!(false && false)')).toBe(true);
    expect(run('1 < 2 == true')).toBe(true);
    expect(run('a == 1 || b == 2 && c', { a: 0, b: 2, c: false })).toBe(false);
    expect(run('a == 1 || b == 2 && c', { a: 1, b: 0, c: false })).toBe(true);
    expect(run('!!x', { x: 'yes' })).toBe(true);
  });

  it('&& and || short-circuit and yield booleans', () => {
    let calls = 0;
    const counting: Scope<Env> = {
      ident: () => () => {
        calls++;
        return true;
      },
      call: () => 'no',
    };
    expect(compileExpr('false && x', counting)({})).toBe(false);
    expect(compileExpr('true || x', counting)({})).toBe(true);
    expect(calls).toBe(0);
    expect(run("'' || 0")).toBe(false);
  });

  it('identifiers with dots and dashes, and function calls', () => {
    expect(run('p1-smb.ok', { 'p1-smb.ok': true })).toBe(true);
    expect(run("len('abcd') == 4")).toBe(true);
  });

  it('reports syntax errors with the column', () => {
    const err = (src: string): string => {
      try {
        parse(src);
      } catch (e) {
        expect(e).toBeInstanceOf(ExprError);
        return (e as Error).message;
      }
      throw new Error(`no error for ${src}`);
    };
    expect(err('a ==')).toMatch(/expected a value, found end of expression \(column 5\)/);
    expect(err('a = b')).toMatch(/unexpected character '=' \(use '=='\) \(column 3\)/);
    expect(err('a & b')).toMatch(/use '&&'/);
    expect(err('(a')).toMatch(/expected '\)'/);
    expect(err('a b')).toMatch(/expected an operator, found 'b' \(column 3\)/);
    expect(err("'abc")).toMatch(/unterminated string/);
    expect(err('')).toMatch(/empty expression/);
    expect(err('1x')).toMatch(/malformed number/);
    expect(err('('.repeat(100) + 'a' + ')'.repeat(100))).toMatch(/nested too deeply/);
  });

  it('unknown functions are compile errors', () => {
    expect(() => compileExpr('nope(1)', scope)).toThrow(/unknown function 'nope' \(column 1\)/);
  });
});

describe('check scope resolution', () => {
  const signals: SignalTable = {
    qualified: new Map([
      ['a.ok', { slot: 0, request: 0, requestId: 'a' }],
      ['b.ok', { slot: 1, request: 1, requestId: 'b' }],
      ['b.hash', { slot: 2, request: 1, requestId: 'b' }],
    ]),
    unqualified: new Map([
      [
        'ok',
        [
          { slot: 0, request: 0, requestId: 'a' },
          { slot: 1, request: 1, requestId: 'b' },
        ],
      ],
      ['hash', [{ slot: 2, request: 1, requestId: 'b' }]],
    ]),
  };
  const facts = { get: (n: string) => (n === 'version' ? '12.1-50.28' : null), inRange: (n: string) => n === 'r1' };
  const env: CheckEnv = { sig: [true, false, 'abc'], facts };

  it('resolves qualified, unique unqualified, builtins and functions', () => {
    const sc = checkScope({ signals, builtins: new Set(['version', 'fixed']), hasRange: (n) => n === 'r1', context: 'decide' });
    expect(compileExpr('a.ok && !b.ok && hash == "abc"', sc)(env)).toBe(true);
    expect(compileExpr("version_lt(version, '12.1-51.16') && version_ge(version, '12.1-50.28')", sc)(env)).toBe(true);
    expect(compileExpr("in_range('r1') && present(hash) && !present(fixed)", sc)(env)).toBe(true);
    expect(compileExpr("version_lt(null, '1.0-1.1')", sc)(env)).toBe(false);
  });

  it('rejects unknown, ambiguous, unavailable and not-yet-run names', () => {
    const sc = checkScope({ signals, builtins: new Set(['version']), before: 1, context: 'requests[1].when' });
    expect(() => compileExpr('nope', sc)).toThrow(/unknown identifier 'nope'/);
    expect(() => compileExpr('ok', sc)).toThrow(/ambiguous identifier 'ok' \(set by requests a, b\)/);
    expect(() => compileExpr('b.ok', sc)).toThrow(/has not run yet/);
    expect(() => compileExpr('hash', sc)).toThrow(/has not run yet/);
    expect(() => compileExpr('fixed', sc)).toThrow(/'fixed' is not available in requests\[1\]\.when/);
    expect(() => compileExpr("in_range('r1')", sc)).toThrow(/only available in cve checks/);
    expect(() => compileExpr("header('x')", sc)).toThrow(/only available in expr matchers/);
    expect(() => compileExpr('present(a.ok, 1)', sc)).toThrow(/takes 1 argument, got 2/);
  });
});
