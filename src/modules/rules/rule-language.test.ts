import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.ts';
import { decide, evaluateRule } from './evaluate.ts';
import { compileRule, type RuleBody } from './rule-language.ts';

const REGISTER = 'ps.household_register';
const ref = { rule: 'benefit.old_age_allowance', version: 1, hash: 'h' };

/** 高龄津贴: aged 80 or over, registered in the province; the monthly amount steps up on 2026-07-01. */
const oldAge: RuleBody = {
  inputs: [
    { name: 'birthDate', dataset: REGISTER, field: 'birthDate', type: 'date' },
    { name: 'address', dataset: REGISTER, field: 'address', type: 'string' },
  ],
  params: [
    {
      name: 'monthlyFen',
      values: [
        { from: '2024-01-01', value: 5000 },
        { from: '2026-07-01', value: 10000 },
      ],
    },
  ],
  clauses: [
    { id: 'aged80', expr: 'yearsBetween(birthDate, today) >= 80', zh: '年满 80 周岁', en: 'Aged 80 or over' },
    { id: 'inProvince', expr: 'address.startsWith("河北省")', zh: '户籍在本省', en: 'Registered in the province' },
  ],
  amount: 'monthlyFen',
};

const detailOf = (error: AppError) => (error.params as { detail: { zh: string; en: string } }).detail;

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected a refusal');
}

describe('rule language (CEL)', () => {
  it('decides, names the clauses not met in plain words, and takes the dated amount', () => {
    const rule = compileRule(oldAge);
    const records = (birthDate: string, address = '河北省石家庄市正定县') => ({ [REGISTER]: { birthDate, address } });
    const yes = evaluateRule(rule, ref, records('1946-12-05'), '2026-12-05', 'k1');
    expect(yes).toMatchObject({ outcome: 'eligible', amountFen: 10000, trace: { failed: [], missing: [], version: 1, on: '2026-12-05' } });
    // The day before the 80th birthday, and the parameter's earlier step.
    expect(evaluateRule(rule, ref, records('1946-12-06'), '2026-12-05', 'k1').outcome).toBe('ineligible');
    expect(evaluateRule(rule, ref, records('1945-01-01'), '2026-06-30', 'k1').amountFen).toBe(5000);
    const both = evaluateRule(rule, ref, records('1960-01-01', '广西壮族自治区南宁市'), '2026-12-05', 'k1');
    expect(both.outcome).toBe('ineligible');
    expect(both.trace.failed).toEqual([
      { id: 'aged80', zh: '年满 80 周岁', en: 'Aged 80 or over' },
      { id: 'inProvince', zh: '户籍在本省', en: 'Registered in the province' },
    ]);
  });

  it('cannot decide without the data: undetermined, naming what is missing (a person decides)', () => {
    const rule = compileRule(oldAge);
    const none = evaluateRule(rule, ref, {}, '2026-12-05', 'k');
    expect(none).toMatchObject({ outcome: 'undetermined', amountFen: null, trace: { missing: ['birthDate', 'address'] } });
    const malformed = evaluateRule(rule, ref, { [REGISTER]: { birthDate: '1940年', address: '河北省' } }, '2026-12-05', 'k');
    expect(malformed.trace.missing).toEqual(['birthDate']);
    // Before any step of a parameter, the parameter is missing too.
    expect(
      evaluateRule(rule, ref, { [REGISTER]: { birthDate: '1940-01-01', address: '河北省' } }, '2023-01-01', 'k').trace.missing,
    ).toEqual(['monthlyFen']);
  });

  it('keeps inputs by reference and a digest keyed to the subject, never the value', () => {
    const rule = compileRule(oldAge);
    const records = { [REGISTER]: { birthDate: '1930-03-03', address: '河北省正定县' } };
    const a = evaluateRule(rule, ref, records, '2026-12-05', 'subject-a').trace;
    const b = evaluateRule(rule, ref, records, '2026-12-05', 'subject-b').trace;
    expect(a.inputs.map((i) => [i.name, i.dataset, i.field])).toEqual([
      ['birthDate', REGISTER, 'birthDate'],
      ['address', REGISTER, 'address'],
    ]);
    expect(a.inputs[0]!.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(a.inputs[0]!.digest).not.toBe(b.inputs[0]!.digest);
    expect(JSON.stringify(a)).not.toContain('1930-03-03');
    expect(JSON.stringify(a)).not.toContain('正定县');
  });

  it('refuses, with a clear bilingual reason, what does not parse, reads an undeclared variable, or has the wrong type', () => {
    const parse = refusal(() =>
      compileRule({ ...oldAge, clauses: [{ id: 'x', expr: 'yearsBetween(birthDate, today) >=', zh: '甲', en: 'a' }] }),
    );
    expect(parse.code).toBe('RULE_INVALID');
    expect(JSON.stringify(parse.params)).toContain('x');
    const unknown = refusal(() => compileRule({ ...oldAge, clauses: [{ id: 'x', expr: 'income > 3000', zh: '甲', en: 'a' }] }));
    expect(unknown.code).toBe('RULE_INVALID');
    expect(JSON.stringify(unknown.params)).toContain('income');
    const notBool = refusal(() => compileRule({ ...oldAge, clauses: [{ id: 'x', expr: 'monthlyFen + 1', zh: '甲', en: 'a' }] }));
    expect(detailOf(notBool).en).toContain('must give bool');
    const amountNotInt = refusal(() => compileRule({ ...oldAge, amount: 'address' }));
    expect(detailOf(amountNotInt).zh).toContain('amount');
    expect(refusal(() => compileRule({ ...oldAge, clauses: [] })).code).toBe('RULE_INVALID');
    expect(refusal(() => compileRule({ ...oldAge, clauses: [oldAge.clauses[0]!, oldAge.clauses[0]!] })).code).toBe('RULE_INVALID');
    // Bounded: an expression too big to be a rule is refused, not run.
    const huge = Array.from({ length: 300 }, (_, i) => `monthlyFen > ${i}`).join(' && ');
    expect(refusal(() => compileRule({ ...oldAge, clauses: [{ id: 'x', expr: huge, zh: '甲', en: 'a' }] })).code).toBe('RULE_INVALID');
  });

  it('the sweep path and the traced path agree on every input', () => {
    const rule = compileRule(oldAge);
    const date = fc
      .date({ min: new Date('1900-01-01'), max: new Date('2030-12-31'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10));
    fc.assert(
      fc.property(date, date, fc.constantFrom('河北省正定县', '广西壮族自治区', ''), (birthDate, on, address) => {
        const records = { [REGISTER]: { birthDate, address } };
        const traced = evaluateRule(rule, ref, records, on, 'k');
        const fast = decide(rule, records, on);
        expect(fast.outcome).toBe(traced.outcome);
        expect(fast.failed).toBe(traced.trace.failed[0]?.id ?? null);
      }),
      { numRuns: 300 },
    );
  });
});
