import { describe, expect, it } from 'vitest';
import { measureFirstLoad } from '../bench/web-budget.ts';
import { buildWeb, isWebBuildFresh } from '../src/cli/web-build.ts';

// Issue 4's budgets on the real build: the resident app's first load ≤ 200 KB of JavaScript
// gzipped, the public verifier's ≤ 150 KB (PDF reading and the camera load on demand).
describe('web first-load budgets', () => {
  it('keeps the resident app within 200 KB and the verifier within 150 KB gzipped', async () => {
    if (!isWebBuildFresh()) await buildWeb();
    const rows = Object.fromEntries(measureFirstLoad().map((r) => [r.page, r]));
    expect(rows.resident!.files).toBeGreaterThan(0);
    expect(rows.resident!.gzipBytes / 1024).toBeLessThanOrEqual(200);
    expect(rows.verify!.gzipBytes / 1024).toBeLessThanOrEqual(150);
    // The verifier must not preload either UI library.
    expect(rows.verify!.gzipBytes).toBeLessThan(rows.resident!.gzipBytes);
  }, 180_000);
});
