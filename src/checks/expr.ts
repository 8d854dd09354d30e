/**
 * The check expression language (`when`, `expr` matchers, identify and decide rules).
 *
 * A hand-written tokenizer and a precedence-climbing (Pratt) parser turn the source into a tiny
 * AST, which is compiled ONCE into nested closures. Nothing is evaluated with `eval` or
 * `new Function`. Identifiers and functions are resolved at compile time through a {@link Scope},
 * so an unknown name is a compile error, never a runtime surprise.
 *
 * Grammar (lowest precedence first):
 *   or      := and ( '||' and )*
 *   and     := eq ( '&&' eq )*
 *   eq      := rel ( ('==' | '!=') rel )*
 *   rel     := unary ( ('<' | '<=' | '>' | '>=') unary )*
 *   unary   := '!' unary | primary
 *   primary := number | string | true | false | null | ident | ident '(' args ')' | '(' or ')'
 * Identifiers may contain dots (`p1.ok`) and, after the first character, dashes (`p1-smb.ok`).
 */

/** A runtime value of the expression language. */
export type Value = number | string | boolean | null;

/** A compiled expression: evaluate against an environment `E`. */
export type Evaluator<E> = (env: E) => Value;

/** A compiled function argument: its evaluator, and the literal value when it is a constant. */
export interface CompiledArg<E> {
  eval: Evaluator<E>;
  /** Set when the argument is a literal (lets functions pre-compute, e.g. lower-case a name). */
  literal?: Value;
}

/**
 * Name resolution for one kind of expression. Each method returns an evaluator, or a string
 * explaining why the name is not available (that string becomes the compile error).
 */
export interface Scope<E> {
  ident(name: string): Evaluator<E> | string;
  call(name: string, args: CompiledArg<E>[]): Evaluator<E> | string;
}

/** A syntax or resolution error inside one expression (column is 1-based). */
export class ExprError extends Error {
  readonly column: number;
  constructor(message: string, column: number) {
    super(`${message} (column ${column})`);
    this.name = 'ExprError';
    this.column = column;
  }
}

type TokKind = 'num' | 'str' | 'ident' | 'op' | 'eof';
interface Token {
  kind: TokKind;
  text: string;
  value?: Value;
  pos: number;
}

const MAX_EXPR_LENGTH = 4096;
const MAX_DEPTH = 64;
const OPS = ['&&', '||', '==', '!=', '<=', '>=', '<', '>', '!', '(', ')', ','];

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}
function isIdentPart(c: string): boolean {
  return isIdentStart(c) || (c >= '0' && c <= '9') || c === '-';
}
function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/** Split an expression into tokens; throws ExprError on a character it does not know. */
export function tokenize(src: string): Token[] {
  if (src.length > MAX_EXPR_LENGTH) throw new ExprError(`expression longer than ${MAX_EXPR_LENGTH} characters`, 1);
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (isDigit(c)) {
      while (i < src.length && isDigit(src[i])) i++;
      if (src[i] === '.' && isDigit(src[i + 1] ?? '')) {
        i++;
        while (i < src.length && isDigit(src[i])) i++;
      }
      if (i < src.length && isIdentStart(src[i])) throw new ExprError(`malformed number '${src.slice(start, i + 1)}'`, start + 1);
      const text = src.slice(start, i);
      out.push({ kind: 'num', text, value: Number(text), pos: start });
      continue;
    }
    if (c === "'" || c === '"') {
      i++;
      let s = '';
      for (;;) {
        if (i >= src.length) throw new ExprError('unterminated string', start + 1);
        const d = src[i];
        if (d === c) {
          i++;
          break;
        }
        if (d === '\\') {
          const e = src[i + 1];
          if (e === undefined) throw new ExprError('unterminated string', start + 1);
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
          i += 2;
          continue;
        }
        s += d;
        i++;
      }
      out.push({ kind: 'str', text: src.slice(start, i), value: s, pos: start });
      continue;
    }
    if (isIdentStart(c)) {
      i++;
      for (;;) {
        while (i < src.length && isIdentPart(src[i])) i++;
        if (src[i] === '.' && isIdentStart(src[i + 1] ?? '')) {
          i++;
          continue;
        }
        break;
      }
      out.push({ kind: 'ident', text: src.slice(start, i), pos: start });
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op === undefined) {
      const hint = c === '=' ? " (use '==')" : c === '&' ? " (use '&&')" : c === '|' ? " (use '||')" : '';
      throw new ExprError(`unexpected character '${c}'${hint}`, start + 1);
    }
    out.push({ kind: 'op', text: op, pos: start });
    i += op.length;
  }
  out.push({ kind: 'eof', text: 'end of expression', pos: src.length });
  return out;
}

/** AST of a parsed expression (exported for tests and docs tooling). */
export type Node =
  | { t: 'lit'; value: Value; pos: number }
  | { t: 'id'; name: string; pos: number }
  | { t: 'call'; name: string; args: Node[]; pos: number }
  | { t: 'not'; arg: Node; pos: number }
  | { t: 'bin'; op: string; left: Node; right: Node; pos: number };

const BINARY_PRECEDENCE: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
};

/** Parse an expression into its AST; throws ExprError with the column of the problem. */
export function parse(src: string): Node {
  const toks = tokenize(src);
  let p = 0;
  let depth = 0;
  const peek = (): Token => toks[p];
  const fail = (tok: Token, what: string): never => {
    throw new ExprError(`${what}, found ${tok.kind === 'eof' ? 'end of expression' : `'${tok.text}'`}`, tok.pos + 1);
  };
  const expectOp = (text: string): void => {
    const tok = peek();
    if (tok.kind !== 'op' || tok.text !== text) fail(tok, `expected '${text}'`);
    p++;
  };

  const primary = (): Node => {
    const tok = peek();
    if (tok.kind === 'num' || tok.kind === 'str') {
      p++;
      return { t: 'lit', value: tok.value ?? null, pos: tok.pos };
    }
    if (tok.kind === 'ident') {
      p++;
      if (tok.text === 'true') return { t: 'lit', value: true, pos: tok.pos };
      if (tok.text === 'false') return { t: 'lit', value: false, pos: tok.pos };
      if (tok.text === 'null') return { t: 'lit', value: null, pos: tok.pos };
      const next = peek();
      if (next.kind === 'op' && next.text === '(') {
        p++;
        const args: Node[] = [];
        if (!(peek().kind === 'op' && peek().text === ')')) {
          for (;;) {
            args.push(expression(0));
            const sep = peek();
            if (sep.kind === 'op' && sep.text === ',') {
              p++;
              continue;
            }
            break;
          }
        }
        expectOp(')');
        return { t: 'call', name: tok.text, args, pos: tok.pos };
      }
      return { t: 'id', name: tok.text, pos: tok.pos };
    }
    if (tok.kind === 'op' && tok.text === '(') {
      p++;
      const inner = expression(0);
      expectOp(')');
      return inner;
    }
    if (tok.kind === 'op' && tok.text === '!') {
      p++;
      return { t: 'not', arg: unary(), pos: tok.pos };
    }
    return fail(tok, 'expected a value');
  };
  const unary = (): Node => {
    if (++depth > MAX_DEPTH) throw new ExprError('expression nested too deeply', peek().pos + 1);
    const n = primary();
    depth--;
    return n;
  };
  const expression = (minPrec: number): Node => {
    let left = unary();
    for (;;) {
      const tok = peek();
      const prec = tok.kind === 'op' ? BINARY_PRECEDENCE[tok.text] : undefined;
      if (prec === undefined || prec <= minPrec) break;
      p++;
      const right = expression(prec);
      left = { t: 'bin', op: tok.text, left, right, pos: tok.pos };
    }
    return left;
  };

  if (peek().kind === 'eof') throw new ExprError('empty expression', 1);
  const root = expression(0);
  if (peek().kind !== 'eof') fail(peek(), 'expected an operator');
  return root;
}

/** Truthiness: false, null, 0, NaN and '' are false; everything else is true. */
export function truthy(v: Value): boolean {
  return v !== false && v !== null && v !== 0 && v !== '' && !(typeof v === 'number' && Number.isNaN(v));
}

function compare(op: string, a: Value, b: Value): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
  }
  if (typeof a === 'string' && typeof b === 'string') {
    return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
  }
  return false;
}

function compileNode<E>(n: Node, scope: Scope<E>): Evaluator<E> {
  switch (n.t) {
    case 'lit': {
      const v = n.value;
      return () => v;
    }
    case 'id': {
      const r = scope.ident(n.name);
      if (typeof r === 'string') throw new ExprError(r, n.pos + 1);
      return r;
    }
    case 'call': {
      const args = n.args.map((a) => ({
        eval: compileNode(a, scope),
        literal: a.t === 'lit' ? a.value : undefined,
      }));
      const r = scope.call(n.name, args);
      if (typeof r === 'string') throw new ExprError(r, n.pos + 1);
      return r;
    }
    case 'not': {
      const a = compileNode(n.arg, scope);
      return (env) => !truthy(a(env));
    }
    case 'bin': {
      const l = compileNode(n.left, scope);
      const r = compileNode(n.right, scope);
      switch (n.op) {
        case '&&':
          return (env) => truthy(l(env)) && truthy(r(env));
        case '||':
          return (env) => truthy(l(env)) || truthy(r(env));
        case '==':
          return (env) => l(env) === r(env);
        case '!=':
          return (env) => l(env) !== r(env);
        default: {
          const op = n.op;
          return (env) => compare(op, l(env), r(env));
        }
      }
    }
  }
}

/** Parse and compile an expression against a scope. Throws ExprError (message + column). */
export function compileExpr<E>(src: string, scope: Scope<E>): Evaluator<E> {
  return compileNode(parse(src), scope);
}

/** Names of the identifiers an expression reads (for dependency checks and docs). */
export function identifiersOf(n: Node, out: string[] = []): string[] {
  if (n.t === 'id') out.push(n.name);
  else if (n.t === 'call') for (const a of n.args) identifiersOf(a, out);
  else if (n.t === 'not') identifiersOf(n.arg, out);
  else if (n.t === 'bin') {
    identifiersOf(n.left, out);
    identifiersOf(n.right, out);
  }
  return out;
}
