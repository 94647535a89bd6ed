import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest, longest first (measured on the CI machine, two workers: each one
 * to four minutes, mostly spawned processes: CLI runs, federated nodes, kill loops). On a clean
 * clone vitest has no durations and runs the largest files first, and several of these are short
 * files: started late, one of them is a tail that runs alone after every other file has finished
 * (master-key-cli, 30 s, started in the last two minutes of a run on a loaded two-core machine).
 */
const SLOW_FIRST = [
  'test/hospital-process.test.ts',
  'test/federation-demo-process.test.ts',
  'test/federation-slow-process.test.ts',
  'test/federation-witness-process.test.ts',
  'test/federation-process.test.ts',
  'test/insurance-cli.test.ts',
  'test/crash/issuance-crash.test.ts',
  'test/crash/ledger-crash.test.ts',
  'test/first-admin.test.ts',
  'src/modules/insurance/cross-province.service.test.ts',
  'test/fuzz-api.test.ts',
  'test/master-key-cli.test.ts',
  'src/modules/federation/foreign-status.service.test.ts',
  'test/demo-seed.test.ts',
  'src/modules/federation/cross-evidence.service.test.ts',
  'test/lockout.test.ts',
  'src/modules/sharing/payments.external.test.ts',
  'test/insurance-statement.test.ts',
  'src/modules/bundles/bundles.external.test.ts',
  'test/crash/outbox-crash.test.ts',
  'test/multi-process.test.ts',
];

/** Vitest's own order (cached durations, else file size), except that the files above start first, in that order. */
export default class SlowFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => SLOW_FIRST.findIndex((p) => f.moduleId.replaceAll('\\', '/').endsWith(`/${p}`));
    const slow = sorted.filter((f) => rank(f) >= 0).sort((a, b) => rank(a) - rank(b));
    return [...slow, ...sorted.filter((f) => rank(f) < 0)];
  }
}
