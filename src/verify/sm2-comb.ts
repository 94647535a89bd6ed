/**
 * Fast SM2 verification arithmetic for keys that verify many signatures: fixed-base tables of
 * affine points, so that u·P costs one mixed addition per w bits of u and no doubling at all.
 * A 256-bit scalar is written in signed radix 2ʷ (⌈257/w⌉ digits in [−2ʷ⁻¹, 2ʷ⁻¹]); the table
 * holds j·2ʷⁱ·P for j = 1…2ʷ⁻¹ (w = 10: 26 × 512 points, ~150 ms to build on a quiet core,
 * ~1.6 MB). The generator has a window-12 table (22 × 2,048 points, built once per process), a
 * key a window-10 one, so s·G + t·Q is ≤ 48 mixed additions (XYZZ coordinates, 8M + 2S each),
 * and the final check compares x with r − e in projective form, without an inversion.
 * The tables are built in sm2-comb-table.ts (re-exported here), arithmetic mod p is sm2-field.ts.
 *
 * Only for public scalars (verification): the running time depends on the digits. Signing keeps
 * @noble/curves' constant-time multiplication (or a native k·G injected in Node). Plain BigInt,
 * browser-safe.
 */
import { SM2_CURVE } from './sm2-curve.ts';
import { invert, mod } from './sm2-field.ts';
import type { CombTable } from './sm2-comb-table.ts';

export { baseCombTable, buildCombTable, type CombTable } from './sm2-comb-table.ts';

const { p: P, n: N, a: A } = SM2_CURVE;

/** Signed radix-2ʷ digits d₀…d_{m−1} in [−2ʷ⁻¹, 2ʷ⁻¹] with u = Σ dᵢ·2ʷⁱ (u < 2²⁵⁶). */
function signedDigits(u: bigint, window: number, count: number): Int16Array {
  const digits = new Int16Array(count);
  const mask = BigInt((1 << window) - 1);
  const shift = BigInt(window);
  const half = 1 << (window - 1);
  let carry = 0;
  for (let i = 0; i < count; i++) {
    let d = Number(u & mask) + carry;
    u >>= shift;
    carry = 0;
    if (d > half) {
      d -= 1 << window;
      carry = 1;
    }
    digits[i] = d;
  }
  return digits;
}

/**
 * The accumulator of a verification in XYZZ coordinates (x = X/ZZ, y = Y/ZZZ, ZZ³ = ZZZ²):
 * a mixed addition is 8M + 2S (madd-2008-s), one multiplication fewer than Jacobian, and the
 * final check needs ZZ only. ZZ = 0 is the point at infinity.
 */
interface Xyzz {
  x: bigint;
  y: bigint;
  zz: bigint;
  zzz: bigint;
}

const XYZZ_INFINITY: Xyzz = Object.freeze({ x: 1n, y: 1n, zz: 0n, zzz: 0n });

/** 2·(x, y) for an affine point (mdbl-2008-s-1), the rare case of adding a point to itself. */
function doubleAffineXyzz(x: bigint, y: bigint): Xyzz {
  if (y === 0n) return XYZZ_INFINITY;
  const u = mod(2n * y);
  const v = mod(u * u);
  const w = mod(u * v);
  const s = mod(x * v);
  const m = mod(3n * x * x + A);
  const x3 = mod(m * m - 2n * s);
  const y3 = mod(m * (s - x3) - w * y);
  return { x: x3, y: y3, zz: v, zzz: w };
}

function xyzzToAffine(p: Xyzz): { x: bigint; y: bigint } {
  // x = X/ZZ, y = Y/ZZZ; ZZZ⁻¹ = ZZ / ZZZ² … simpler: invert both through one inversion.
  const inv = invert(mod(p.zz * p.zzz));
  return { x: mod(p.x * mod(inv * p.zzz)), y: mod(p.y * mod(inv * p.zz)) };
}

/** (X1, Y1, ZZ1, ZZZ1) + (x2, y2) affine, madd-2008-s, with the exceptional cases handled. */
function addAffineXyzz(p: Xyzz, x2: bigint, y2: bigint): Xyzz {
  if (p.zz === 0n) return { x: x2, y: y2, zz: 1n, zzz: 1n };
  const pp0 = ((x2 * p.zz) % P) - p.x; // U2 − X1, in (−p, p)
  const rr = ((y2 * p.zzz) % P) - p.y; // S2 − Y1
  if (pp0 === 0n || pp0 === -P || pp0 === P) {
    if (rr % P !== 0n) return XYZZ_INFINITY;
    // The same point: double it (through affine, rare and only reachable with chosen scalars).
    const a = xyzzToAffine(p);
    return doubleAffineXyzz(a.x, a.y);
  }
  const pp = (pp0 * pp0) % P;
  const ppp = (pp0 * pp) % P; // may be negative
  const q = (p.x * pp) % P;
  const x3 = mod(rr * rr - ppp - 2n * q);
  const y3 = mod(rr * (q - x3) - p.y * ppp);
  const zz3 = (p.zz * pp) % P;
  const zzz3 = mod(p.zzz * ppp);
  return { x: x3, y: y3, zz: zz3, zzz: zzz3 };
}

function accumulate(acc: Xyzz, table: CombTable, u: bigint): Xyzz {
  const { xs, ys, window } = table;
  const digits = signedDigits(u, window, table.digits);
  const half = 1 << (window - 1);
  for (let i = 0; i < digits.length; i++) {
    const d = digits[i]!;
    if (d === 0) continue;
    const k = i * half + (d > 0 ? d : -d) - 1;
    acc = addAffineXyzz(acc, xs[k]!, d > 0 ? ys[k]! : P - ys[k]!);
  }
  return acc;
}

/** s·G + t·Q in XYZZ coordinates, both from their tables; s, t in [0, n). */
function combMulAdd(g: CombTable, s: bigint, q: CombTable, t: bigint): Xyzz {
  return accumulate(accumulate(XYZZ_INFINITY, g, s), q, t);
}

/**
 * The SM2 check (e + x₁) mod n = r for (x₁, y₁) = s·G + t·Q, t = (r + s) mod n, given r, s in
 * [1, n) and e; false when t = 0 or the sum is the point at infinity. x₁ ∈ [0, p) and p < 2n,
 * so x₁ ≡ r − e (mod n) means x₁ = v or v + n with v = (r − e) mod n; with x₁ = X/Z² the test is
 * X = v·Z² (mod p), without an inversion.
 */
export function combVerify(g: CombTable, q: CombTable, e: bigint, r: bigint, s: bigint): boolean {
  const t = (r + s) % N;
  if (t === 0n) return false;
  const sum = combMulAdd(g, s, q, t);
  if (sum.zz === 0n) return false;
  const zz = sum.zz;
  let v = (r - e) % N;
  if (v < 0n) v += N;
  if (mod(v * zz) === sum.x) return true;
  return v + N < P && mod((v + N) * zz) === sum.x;
}

/** x of s·G + t·Q in affine form, or null for infinity (for tests against the reference). */
export function combMulAddAffineX(g: CombTable, s: bigint, q: CombTable, t: bigint): bigint | null {
  const sum = combMulAdd(g, s, q, t);
  if (sum.zz === 0n) return null;
  return xyzzToAffine(sum).x;
}
