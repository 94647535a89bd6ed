import { createHash } from 'node:crypto';
import { canonicalJson } from '../../verify/document.ts';
import { paramsOn, typed, type CompiledRule, type Value } from './rule-language.ts';

/** A subject's records, by dataset code (absent when the dataset holds no record of them). */
export type SubjectRecords = Readonly<Record<string, Readonly<Record<string, string>> | undefined>>;

export type Outcome = 'eligible' | 'ineligible' | 'undetermined';

/** What a decision rests on, stored with it: the rule version, each input by reference and digest, what failed. */
interface RuleTrace {
  rule: string;
  version: number;
  /** The version's hash, as its ledger leaf has it. */
  hash: string;
  on: string;
  inputs: { name: string; dataset: string; field: string; digest: string | null }[];
  /** The clauses that were not met, in the rule's order, with their plain words. */
  failed: { id: string; zh: string; en: string }[];
  /** Inputs the datasets did not hold (or held in a form the rule cannot read): the rule could not decide. */
  missing: string[];
}

export interface RuleDecision {
  outcome: Outcome;
  /** The amount in fen when eligible and the rule has an amount; null otherwise. */
  amountFen: number | null;
  trace: RuleTrace;
}

export interface VersionRef {
  rule: string;
  version: number;
  hash: string;
}

function contextOf(compiled: CompiledRule, records: SubjectRecords, on: string) {
  const context: Record<string, Value> = { today: on, ...paramsOn(compiled.body.params, on) };
  const missing: string[] = [];
  for (const input of compiled.body.inputs) {
    const value = typed(input.type, records[input.dataset]?.[input.field]);
    if (value === undefined) missing.push(input.name);
    else context[input.name] = value;
  }
  for (const p of compiled.body.params) if (context[p.name] === undefined) missing.push(p.name);
  return { context, missing };
}

/** Whether one clause holds; an evaluation error (e.g. a malformed date) counts as not met. */
function holds(run: CompiledRule['clauses'][number]['run'], context: Record<string, Value>): boolean {
  try {
    return run(context) === true;
  } catch {
    return false;
  }
}

/**
 * Decides one subject and says why: every clause is evaluated (the resident sees each one they did
 * not meet), inputs are referenced by dataset and field with a digest of the value keyed to the
 * subject (no value is stored). Missing inputs make the outcome `undetermined`: a person decides.
 */
export function evaluateRule(
  compiled: CompiledRule,
  ref: VersionRef,
  records: SubjectRecords,
  on: string,
  subjectKey: string,
): RuleDecision {
  const { context, missing } = contextOf(compiled, records, on);
  const inputs = compiled.body.inputs.map((i) => {
    const value = context[i.name];
    return {
      name: i.name,
      dataset: i.dataset,
      field: i.field,
      digest:
        value === undefined
          ? null
          : createHash('sha256')
              .update(canonicalJson({ subject: subjectKey, dataset: i.dataset, field: i.field, value: String(value) }))
              .digest('hex'),
    };
  });
  const trace: RuleTrace = { ...ref, on, inputs, failed: [], missing };
  if (missing.length > 0) return { outcome: 'undetermined', amountFen: null, trace };
  for (const { clause, run } of compiled.clauses) {
    if (!holds(run, context)) trace.failed.push({ id: clause.id, zh: clause.zh, en: clause.en });
  }
  if (trace.failed.length > 0) return { outcome: 'ineligible', amountFen: null, trace };
  return { outcome: 'eligible', amountFen: amountOf(compiled, context), trace };
}

function amountOf(compiled: CompiledRule, context: Record<string, Value>): number | null {
  if (!compiled.amount) return null;
  const value = compiled.amount(context);
  if (typeof value !== 'bigint' || value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('amount out of range');
  return Number(value);
}

/** The sweep's fast path: the outcome and the first clause not met, stopping there (dry runs, population sweeps). */
export function decide(compiled: CompiledRule, records: SubjectRecords, on: string): { outcome: Outcome; failed: string | null } {
  const { context, missing } = contextOf(compiled, records, on);
  if (missing.length > 0) return { outcome: 'undetermined', failed: null };
  for (const { clause, run } of compiled.clauses) if (!holds(run, context)) return { outcome: 'ineligible', failed: clause.id };
  return { outcome: 'eligible', failed: null };
}
