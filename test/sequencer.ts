import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The order of the test files: vitest's own (on a clean clone, with no results cached: the
 * largest files first), except that the crash tests start first. They are long (bounded kill
 * loops on PGlite and on PostgreSQL, minutes each), so with two workers a crash test started
 * late is a tail that runs alone after every other file has finished.
 */
export default class CrashTestsFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const slow = (f: TestSpecification) => /[\\/]test[\\/]crash[\\/]/.test(f.moduleId);
    return [...sorted.filter(slow), ...sorted.filter((f) => !slow(f))];
  }
}
