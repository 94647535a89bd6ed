import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chinaDate } from '../../core/values.ts';
import { decodeRatingLeaf, encodeRatingLeaf, hourOf, raterDigest } from './leaf.ts';

describe('the rating.v1 leaf', () => {
  it('is canonical JSON with sorted keys, the hour and a salted rater digest (the format is fixed: a change needs rating.v2)', () => {
    const salt = '00112233445566778899aabbccddeeff';
    const account = '6f1c1d6e-2b55-4c53-9f0e-1f2a3b4c5d6e';
    const rater = createHash('sha256').update(`yiban/rating-rater/v1|${salt}|${account}`).digest('hex');
    expect(raterDigest(salt, account)).toBe(rater);
    const bytes = encodeRatingLeaf(
      {
        event: 'rated',
        rating: '0b6f7c8e-58f7-4a53-9a57-0c1e0f0d9a11',
        org: '130123100242',
        service: 'cert.residence',
        subject: 'case',
        level: 2,
        channel: 'app',
        realName: true,
        rater,
      },
      new Date('2026-05-06T02:37:12.345Z'),
    );
    expect(new TextDecoder().decode(bytes)).toBe(
      `{"at":"2026-05-06T02:00:00Z","channel":"app","event":"rated","kind":"rating.v1","level":2,"org":"130123100242","rater":"${rater}","rating":"0b6f7c8e-58f7-4a53-9a57-0c1e0f0d9a11","realName":true,"service":"cert.residence","subject":"case"}`,
    );
    expect(decodeRatingLeaf(bytes)).toMatchObject({ kind: 'rating.v1', event: 'rated', level: 2 });
    expect(decodeRatingLeaf(new TextEncoder().encode('{"kind":"benefit.decision","event":"rated","rating":"x"}'))).toBeNull();
    expect(decodeRatingLeaf(new TextEncoder().encode('not json'))).toBeNull();
  });

  it('rounds a time down to its hour, never into another day in China (property)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }),
        (time) => {
          const hour = hourOf(time);
          expect(hour).toMatch(/^\d{4}-\d\d-\d\dT\d\d:00:00Z$/);
          const t = Date.parse(hour);
          expect(time.getTime() - t).toBeGreaterThanOrEqual(0);
          expect(time.getTime() - t).toBeLessThan(3_600_000);
          expect(chinaDate(new Date(t))).toBe(chinaDate(time));
        },
      ),
    );
  });

  it('the rater digest of one account differs with each salt, so leaves do not link (property)', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.string({ minLength: 32, maxLength: 32 }), fc.string({ minLength: 32, maxLength: 32 }), (account, a, b) => {
        fc.pre(a !== b);
        expect(raterDigest(a, account)).not.toBe(raterDigest(b, account));
      }),
    );
  });
});
