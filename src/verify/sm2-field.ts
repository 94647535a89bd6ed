/** Arithmetic modulo the SM2 field prime p, in plain BigInt, for the comb code (sm2-comb.ts, sm2-comb-table.ts). Browser-safe. */
import { SM2_CURVE } from './sm2-curve.ts';

const { p: P } = SM2_CURVE;

/** x mod p in [0, p). */
export const mod = (x: bigint): bigint => {
  const r = x % P;
  return r < 0n ? r + P : r;
};

/** x⁻¹ mod p by Fermat would be ~256 squarings; the binary extended Euclid is faster in BigInt. */
export function invert(x: bigint): bigint {
  let a = mod(x);
  if (a === 0n) throw new Error('no inverse of 0');
  let b: bigint = P;
  let u = 1n;
  let v = 0n;
  while (a !== 0n) {
    const q = b / a;
    const r = b - q * a;
    const m = v - q * u;
    b = a;
    a = r;
    v = u;
    u = m;
  }
  return mod(v);
}
