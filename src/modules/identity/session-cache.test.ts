import { describe, expect, it } from 'vitest';
import type { SessionRow } from './sessions.repository.ts';
import { SessionCache } from './session-cache.ts';

function row(accountId: string): SessionRow {
  return {
    account_id: accountId,
    kind: 'resident',
    name: '居民',
    channel: 'app',
    expires_at: '',
    home_org_code: null,
    roles: [],
    delegation: null,
  };
}

describe('SessionCache', () => {
  const later = new Date('2030-01-01T00:00:00Z');

  it('forgets an entry after its time to live', () => {
    let now = 0;
    const cache = new SessionCache(5_000, () => now);
    cache.set('t1', row('a'), later, cache.generation);
    now = 4_999;
    expect(cache.get('t1')?.row.account_id).toBe('a');
    now = 5_000;
    expect(cache.get('t1')).toBeUndefined();
  });

  it('drops one token, or every token of an account', () => {
    const cache = new SessionCache(5_000, () => 0);
    cache.set('t1', row('a'), later, cache.generation);
    cache.set('t2', row('a'), later, cache.generation);
    cache.set('t3', row('b'), later, cache.generation);
    cache.dropToken('t3');
    expect(cache.get('t3')).toBeUndefined();
    expect(cache.get('t1')).toBeDefined();
    cache.dropAccount('a');
    expect(cache.get('t1')).toBeUndefined();
    expect(cache.get('t2')).toBeUndefined();
  });

  it('refuses an answer read before a change that happened while it was in flight', () => {
    const cache = new SessionCache(5_000, () => 0);
    const before = cache.generation;
    cache.dropAccount('a');
    cache.set('t1', row('a'), later, before);
    expect(cache.get('t1')).toBeUndefined();
    cache.set('t1', row('a'), later, cache.generation);
    expect(cache.get('t1')).toBeDefined();
  });
});
