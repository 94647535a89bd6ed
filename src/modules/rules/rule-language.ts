import { Environment, type ASTNode } from '@marcbachmann/cel-js';
import { AppError } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import { workingDaysBetween } from '../catalog/index.ts';

/**
 * The rule language: CEL (Common Expression Language, cel-spec) through @marcbachmann/cel-js,
 * sandboxed (no I/O, no loops, bounded size) and type-checked when a rule is saved. A rule reads
 * only the inputs it declares (dataset fields), `today`, and its dated parameters; dates are
 * 'YYYY-MM-DD' strings, integers are CEL ints (amounts in fen).
 */
export type InputType = 'string' | 'int' | 'bool' | 'date';

interface RuleInput {
  /** The variable name the clauses use. */
  name: string;
  dataset: string;
  field: string;
  type: InputType;
}

export interface RuleParam {
  name: string;
  /** The value from each date on (fen for amounts); the latest `from` on or before the evaluation date applies. */
  values: { from: string; value: number }[];
}

interface RuleClause {
  id: string;
  /** A CEL expression that must be true. */
  expr: string;
  /** What the clause requires, in plain words: shown to the resident when it fails. */
  zh: string;
  en: string;
}

export interface RuleBody {
  inputs: RuleInput[];
  params: RuleParam[];
  clauses: RuleClause[];
  /** A CEL int expression: the amount in fen, for benefit rules; null for rules that only decide. */
  amount: string | null;
}

export type Value = string | bigint | boolean;
type Evaluate = (context: Record<string, Value>) => unknown;

export interface CompiledRule {
  body: RuleBody;
  /** Each clause's evaluator and its syntax tree (to-sql.ts compiles the tree for population sweeps). */
  clauses: { clause: RuleClause; run: Evaluate; ast: ASTNode }[];
  amount: Evaluate | null;
}

const NAME = /^[a-z][A-Za-z0-9_]{0,39}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const LIMITS = { maxAstNodes: 400, maxDepth: 32, maxListElements: 200, maxMapEntries: 50, maxCallArguments: 8 };

function invalid(detail: { zh: string; en: string }): AppError {
  return new AppError('RULE_INVALID', { detail });
}

function fullYears(from: string, to: string): bigint {
  if (!DATE.test(from) || !DATE.test(to)) throw new Error('not a date');
  let years = Number(to.slice(0, 4)) - Number(from.slice(0, 4));
  if (to.slice(5) < from.slice(5)) years -= 1;
  return BigInt(years);
}

/** Whether `on` is the anniversary of `date` (the same month and day; a 29 February has none in other years). */
function anniversary(date: string, on: string): boolean {
  if (!DATE.test(date) || !DATE.test(on)) throw new Error('not a date');
  return date.slice(5) === on.slice(5);
}

function days(from: string, to: string): bigint {
  if (!DATE.test(from) || !DATE.test(to)) throw new Error('not a date');
  return BigInt(Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000));
}

/** The environment of one rule: its inputs and parameters as typed variables, `today`, and the date functions. */
function environment(body: RuleBody): Environment {
  let env = new Environment({ limits: LIMITS })
    .registerVariable('today', 'string')
    .registerFunction('yearsBetween(string, string): int', fullYears)
    .registerFunction('daysBetween(string, string): int', days)
    .registerFunction('anniversary(string, string): bool', anniversary)
    .registerFunction('workingDaysBetween(string, string): int', (a: string, b: string) => BigInt(workingDaysBetween(a, b)));
  for (const input of body.inputs) env = env.registerVariable(input.name, input.type === 'date' ? 'string' : input.type);
  for (const param of body.params) env = env.registerVariable(param.name, 'int');
  return env;
}

/** Checks the shape, parses and type-checks every expression: a rule that does not compile is refused when saved. */
export function compileRule(body: RuleBody): CompiledRule {
  const names = new Set<string>(['today']);
  for (const n of [...body.inputs.map((i) => i.name), ...body.params.map((p) => p.name)]) {
    if (!NAME.test(n)) throw invalid(message('rules.badName', { name: n.slice(0, 40) }));
    if (names.has(n)) throw invalid(message('rules.duplicateName', { name: n }));
    names.add(n);
  }
  for (const p of body.params) {
    if (p.values.length === 0 || p.values.some((v) => !DATE.test(v.from) || !Number.isSafeInteger(v.value))) {
      throw invalid(message('rules.badParam', { name: p.name }));
    }
  }
  if (body.clauses.length === 0) throw invalid(message('rules.noClause'));
  const ids = new Set<string>();
  const env = environment(body);
  const compile = (expr: string, want: 'bool' | 'int', where: string) => {
    let parsed;
    try {
      parsed = env.parse(expr);
    } catch (error) {
      throw invalid(message('rules.expression', { where, error: firstLine(error) }));
    }
    const checked = parsed.check();
    if (!checked.valid) throw invalid(message('rules.expression', { where, error: firstLine(checked.error) }));
    if (checked.type !== want) throw invalid(message('rules.wrongType', { where, want, got: String(checked.type) }));
    return parsed;
  };
  const clauses = body.clauses.map((clause) => {
    if (!NAME.test(clause.id) || ids.has(clause.id)) throw invalid(message('rules.badClauseId', { id: clause.id.slice(0, 40) }));
    ids.add(clause.id);
    if (!clause.zh.trim() || !clause.en.trim()) throw invalid(message('rules.clauseWords', { id: clause.id }));
    const parsed = compile(clause.expr, 'bool', clause.id);
    return { clause, run: parsed as Evaluate, ast: parsed.ast };
  });
  const amount = body.amount === null ? null : (compile(body.amount, 'int', 'amount') as Evaluate);
  return { body, clauses, amount };
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error)
    .split('\n')[0]!
    .slice(0, 200);
}

/** The parameters' values on a date: the latest step on or before it (a parameter not yet in force is absent). */
export function paramsOn(params: readonly RuleParam[], date: string): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const p of params) {
    const step = p.values.filter((v) => v.from <= date).sort((a, b) => (a.from < b.from ? 1 : -1))[0];
    if (step) out[p.name] = BigInt(step.value);
  }
  return out;
}

/** A dataset value as the rule's variable of its declared type; undefined when it is absent or does not fit. */
export function typed(type: InputType, raw: string | undefined): Value | undefined {
  if (raw === undefined || raw === '') return undefined;
  switch (type) {
    case 'string':
      return raw;
    case 'date':
      return DATE.test(raw.slice(0, 10)) ? raw.slice(0, 10) : undefined;
    case 'int':
      return /^-?\d{1,15}$/.test(raw) ? BigInt(raw) : undefined;
    case 'bool':
      return raw === 'true' ? true : raw === 'false' ? false : undefined;
  }
}
