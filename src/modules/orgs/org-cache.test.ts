import { describe, expect, it } from 'vitest';
import { createOrgCache, ORG_CACHE_TTL_MS } from './org-cache.ts';
import type { OrgRow } from './orgs.repository.ts';

const org = (code: string, name: string): OrgRow => ({
  code,
  level: 'department',
  name,
  parentCode: '130123',
  path: `13.1301.130123.${code}`,
  depth: 4,
  divisionCode: '130123',
  departmentKind: 'health',
  createdAt: new Date(0),
});

describe('the org cache', () => {
  function setup() {
    const rows = new Map<string, OrgRow>([['A', org('A', '卫健局')]]);
    const reads: string[] = [];
    let clock = 0;
    const cache = createOrgCache(
      (code) => {
        reads.push(code);
        return Promise.resolve(rows.get(code));
      },
      () => clock,
    );
    return { rows, reads, cache, advance: (ms: number) => (clock += ms) };
  }

  it('reads an org once within the TTL, concurrent reads included, and again after it', async () => {
    const { reads, cache, advance, rows } = setup();
    const [first, second] = await Promise.all([cache.get('A'), cache.get('A')]);
    expect(first?.name).toBe('卫健局');
    expect(second).toBe(first);
    expect(reads).toEqual(['A']);
    rows.set('A', org('A', '卫生健康局'));
    advance(ORG_CACHE_TTL_MS - 1);
    expect((await cache.get('A'))?.name).toBe('卫健局');
    advance(1);
    expect((await cache.get('A'))?.name).toBe('卫生健康局');
    expect(reads).toEqual(['A', 'A']);
  });

  it('keeps no miss: an org added later is found at once', async () => {
    const { rows, cache } = setup();
    expect(await cache.get('B')).toBeNull();
    rows.set('B', org('B', '民政局'));
    expect((await cache.get('B'))?.name).toBe('民政局');
  });

  it('forgets everything when cleared (a division reload in this process)', async () => {
    const { rows, cache } = setup();
    await cache.get('A');
    rows.set('A', org('A', '卫生健康局'));
    cache.clear();
    expect((await cache.get('A'))?.name).toBe('卫生健康局');
  });
});
