/**
 * The settlement engine alone (issue 14's floor: ≥ 50,000 fee lines settled per second on one
 * core): `settle()` over synthetic encounters from the seed catalogue, 5–40 lines each (a third
 * outpatient visits, the rest inpatient stays), the 贵港 2026-07 policy resolved for each person's
 * scheme, hospital level and where, with each person's year to date carried from stay to stay.
 * Every result is checked (its parts add up to the total) outside the timed loop.
 *
 *   npx tsx bench/insurance-engine.ts [--encounters 50000]
 *
 * One process, one core. Exits 1 under the floor.
 */
import { resolvePolicy, type Encounter } from '../src/modules/insurance/policies.ts';
import { SEED_CATALOGUE, SEED_POLICIES } from '../src/modules/insurance/insurance.seed.ts';
import { settle, type FeeLine, type SettlementPolicy, type YearToDate } from '../src/modules/insurance/settlement.ts';
import { seeded } from '../src/modules/insurance/hospital-simulate.ts';
import { loadLine } from './support/machine.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const encounters = arg('--encounters', 50_000);
const FLOOR = 50_000;
const random = seeded(14);

interface Case {
  lines: FeeLine[];
  policy: SettlementPolicy;
  person: number;
  balance: number;
}

const catalogue = SEED_CATALOGUE.map((c) => ({
  code: c.code,
  itemClass: c.cls,
  priceLimitFen: c.limit === undefined ? null : Math.round(c.limit * 100),
  maxFen: c.max === undefined ? 20_000 : Math.round(c.max * 100),
}));
const people = 5_000;
const cases: Case[] = [];
let totalLines = 0;
for (let i = 0; i < encounters; i++) {
  const inpatient = random() < 0.67;
  const count = inpatient ? 15 + Math.floor(random() * 26) : 5 + Math.floor(random() * 8);
  const lines: FeeLine[] = [];
  for (let j = 0; j < count; j++) {
    const c = catalogue[Math.floor(random() * catalogue.length)]!;
    lines.push({
      id: `L${j + 1}`,
      code: c.code,
      itemClass: c.itemClass,
      quantity: 1 + Math.floor(random() * 5),
      unitPriceFen: Math.max(1, Math.round(c.maxFen * (0.5 + random() * 0.5))),
      priceLimitFen: c.priceLimitFen,
    });
  }
  totalLines += count;
  const scheme = random() < 0.5 ? 'employee' : 'resident';
  const e: Encounter = {
    region: '450800',
    scheme,
    level: (1 + Math.floor(random() * 3)) as 1 | 2 | 3,
    where: random() < 0.7 ? 'local' : 'province',
    filed: false,
    emergency: false,
    stayNumber: 1 + Math.floor(random() * 2),
    date: '2026-09-01',
  };
  cases.push({
    lines,
    policy: resolvePolicy(SEED_POLICIES, e),
    person: i % people,
    balance: scheme === 'employee' ? Math.floor(random() * 300_000) : 0,
  });
}

function run(): { seconds: number; results: ReturnType<typeof settle>[] } {
  const years: YearToDate[] = Array.from({ length: people }, () => ({ deductibleUsedFen: 0, fundPaidFen: 0 }));
  const results: ReturnType<typeof settle>[] = [];
  const started = performance.now();
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i]!;
    const year = years[c.person]!;
    const s = settle(c.lines, c.policy, year, c.balance);
    year.deductibleUsedFen += s.deductibleFen;
    year.fundPaidFen += s.hifpPayFen;
    results[i] = s;
  }
  return { seconds: (performance.now() - started) / 1000, results };
}

console.log(`# insurance engine: settle() alone, one core — ${loadLine()}`);
console.log(
  `${encounters.toLocaleString('en')} encounters, ${totalLines.toLocaleString('en')} fee lines (mean ${(totalLines / encounters).toFixed(1)} per encounter)`,
);
run(); // warm-up: the JIT on the same shapes
const rounds = [run(), run(), run()];
for (const { results } of rounds)
  for (const s of results) {
    const parts = s.fulamtOwnpayFen + s.overlmtSelfpayFen + s.preselfpayFen + s.inscpFen;
    if (parts !== s.totalFen || s.hifpPayFen + s.acctPayFen + s.cashPayFen !== s.totalFen) throw new Error('a settlement does not add up');
  }
const rates = rounds.map((r) => totalLines / r.seconds);
const best = Math.max(...rates);
console.log(
  `fee lines/s per round: ${rates.map((r) => Math.round(r).toLocaleString('en')).join(' / ')}; best ${Math.round(best).toLocaleString('en')}/s = ${Math.round((best * encounters) / totalLines).toLocaleString('en')} encounters/s`,
);
const median = [...rates].sort((a, b) => a - b)[1]!;
console.log(
  `floor: ≥ ${FLOOR.toLocaleString('en')} fee lines/s on one core (median round ${Math.round(median).toLocaleString('en')}): ${median >= FLOOR ? 'PASS' : 'FAIL'}`,
);
process.exitCode = median >= FLOOR ? 0 : 1;
