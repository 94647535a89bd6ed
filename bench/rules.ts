/**
 * Rule evaluation alone (issue 13's floor: ≥ 20,000 evaluations per second per core, against the
 * naive path in the same run). The rule is 高龄津贴 (aged 80+, registered in the province, a dated
 * monthly amount), over N synthetic residents' household-register records.
 *
 *   npx tsx bench/rules.ts [--n 200000]
 *
 * - compiled: the version compiled once (as the rules service keeps it), then `decide` per resident
 *   (the sweep path) and `evaluateRule` per resident (the traced path a grant stores);
 * - naive (the baseline): the same rule parsed, type-checked and interpreted per resident, one at a
 *   time, as a service that keeps no compiled form would do. OpenFisca publishes ~120 ms per /calculate.
 *
 * One process, one core. Exits 1 when the traced path is under 20,000/s or not faster than naive.
 */
import { decide, evaluateRule } from '../src/modules/rules/evaluate.ts';
import { compileRule, type RuleBody } from '../src/modules/rules/rule-language.ts';
import { loadLine } from './support/machine.ts';

const n = Number(process.argv[process.argv.indexOf('--n') + 1] || 200_000) || 200_000;
const REGISTER = 'ps.household_register';
const body: RuleBody = {
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
const ON = '2026-12-05';
const ref = { rule: 'benefit.old_age_allowance', version: 1, hash: '0'.repeat(64) };

const people = Array.from({ length: n }, (_, i) => ({
  key: `subject-${i}`,
  records: {
    [REGISTER]: {
      birthDate: `${1920 + (i % 90)}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`,
      address: i % 10 === 0 ? '广西壮族自治区南宁市' : '河北省石家庄市正定县',
    },
  },
}));

function rate(label: string, count: number, run: () => number): number {
  const started = performance.now();
  const eligible = run();
  const seconds = (performance.now() - started) / 1000;
  const perSecond = count / seconds;
  console.log(
    `${label.padEnd(44)} ${Math.round(perSecond).toLocaleString('en').padStart(12)} /s   (${count.toLocaleString('en')} in ${seconds.toFixed(2)} s, ${eligible} eligible)`,
  );
  return perSecond;
}

console.log(`# rules: evaluation of one rule per resident — ${loadLine()}`);
const compiled = compileRule(body);
// Warm up the JIT on a slice before measuring.
for (const p of people.slice(0, 5000)) decide(compiled, p.records, ON);
const sweep = rate(
  'compiled, sweep path (decide)',
  n,
  () => people.filter((p) => decide(compiled, p.records, ON).outcome === 'eligible').length,
);
const traced = rate(
  'compiled, traced path (evaluateRule + digests)',
  n,
  () => people.filter((p) => evaluateRule(compiled, ref, p.records, ON, p.key).outcome === 'eligible').length,
);
const naiveCount = Math.min(n, 20_000);
const naive = rate(
  'naive: parse + check + interpret per resident',
  naiveCount,
  () => people.slice(0, naiveCount).filter((p) => evaluateRule(compileRule(body), ref, p.records, ON, p.key).outcome === 'eligible').length,
);
console.log(
  `\ntraced ÷ naive: ${(traced / naive).toFixed(1)}×   sweep ÷ naive: ${(sweep / naive).toFixed(1)}×   floor: traced ≥ 20,000/s per core and > naive`,
);
const ok = traced >= 20_000 && traced > naive;
console.log(ok ? 'PASS' : 'FAIL');
process.exitCode = ok ? 0 : 1;
