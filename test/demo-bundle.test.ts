import { describe, expect, it } from 'vitest';
import { runDemoBundle } from '../src/demo/demo-bundle.ts';

describe('yiban demo bundle birth', () => {
  it('issues the five outputs on a fresh embedded database and meets the burden floor', async () => {
    const { burden, progress } = await runDemoBundle('birth');
    expect(progress.tasks.every((t) => t.state === 'done' && t.decidedBy?.startsWith('rule:'))).toBe(true);
    expect(burden.outputs).toHaveLength(5);
    expect(burden.fieldsPrefilled / burden.fieldsTotal).toBeGreaterThanOrEqual(0.8);
    expect(1 - burden.materialsBundle / burden.materialsSeparate).toBeGreaterThanOrEqual(0.9);
    expect(1 - burden.daysBundle! / burden.daysSeparate).toBeGreaterThanOrEqual(0.8);
    expect(burden.trips).toBe(0);
  }, 120_000);
});
