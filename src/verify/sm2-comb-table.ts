/**
 * Fixed-base tables for SM2 verification (sm2-comb.ts): j·2ʷⁱ·P in affine form for every digit
 * position i and digit j = 1…2ʷ⁻¹, built in Jacobian coordinates and normalised with one
 * inversion per row. The generator's table (window 12) is built once per process, on first use.
 * Only public points; plain BigInt, browser-safe.
 */
import { SM2_CURVE } from './sm2-curve.ts';
import { invert, mod } from './sm2-field.ts';

const { p: P, a: A } = SM2_CURVE;

/** A Jacobian point (X/Z², Y/Z³); Z = 0 is the point at infinity. */
interface Jacobian {
  x: bigint;
  y: bigint;
  z: bigint;
}

const INFINITY: Jacobian = Object.freeze({ x: 1n, y: 1n, z: 0n });

/** 2·(X, Y, Z), dbl-2007-bl for general a (only used while building tables). */
function double(p: Jacobian): Jacobian {
  if (p.z === 0n || p.y === 0n) return INFINITY;
  const xx = mod(p.x * p.x);
  const yy = mod(p.y * p.y);
  const yyyy = mod(yy * yy);
  const zz = mod(p.z * p.z);
  const s = mod(2n * (mod((p.x + yy) * (p.x + yy)) - xx - yyyy));
  const m = mod(3n * xx + A * mod(zz * zz));
  const x = mod(m * m - 2n * s);
  const y = mod(m * (s - x) - 8n * yyyy);
  const z = mod(mod((p.y + p.z) * (p.y + p.z)) - yy - zz);
  return { x, y, z };
}

/** (X1, Y1, Z1) + (x2, y2) affine, madd-2007-bl, with the exceptional cases handled. */
function addAffine(p: Jacobian, x2: bigint, y2: bigint): Jacobian {
  if (p.z === 0n) return { x: x2, y: y2, z: 1n };
  const z1z1 = (p.z * p.z) % P;
  const u2 = (x2 * z1z1) % P;
  const s2 = (((y2 * p.z) % P) * z1z1) % P;
  const h = u2 - p.x;
  const rr = s2 - p.y;
  if (h % P === 0n) {
    // Same x: the same point (double it) or its negation (the sum is infinity).
    return rr % P === 0n ? double(p) : INFINITY;
  }
  const hh = (h * h) % P;
  const i = 4n * hh;
  const j = (h * i) % P;
  const r = 2n * rr;
  const v = (p.x * i) % P;
  const x3 = mod(r * r - j - 2n * v);
  const y3 = mod(r * (v - x3) - ((2n * p.y) % P) * j);
  const z3 = mod((p.z + h) * (p.z + h) - z1z1 - hh);
  return { x: x3, y: y3, z: z3 };
}

/**
 * A fixed-base table for window w: xs[i·2ʷ⁻¹ + j − 1], ys[…] = affine j·2ʷⁱ·P for
 * j = 1…2ʷ⁻¹ and i = 0…⌈257/w⌉ − 1.
 */
export interface CombTable {
  readonly window: number;
  readonly digits: number;
  readonly xs: readonly bigint[];
  readonly ys: readonly bigint[];
}

/**
 * Builds the table for an affine point (x, y) on the curve (the caller has checked it). w = 8:
 * 33 × 128 points (~40 ms, ~0.5 MB); w = 10: 26 × 512 points (~150 ms, ~1.6 MB), 7 additions
 * fewer per scalar.
 */
export function buildCombTable(x: bigint, y: bigint, window = 8): CombTable {
  if (!Number.isInteger(window) || window < 4 || window > 12) throw new Error('comb window must be 4–12');
  const half = 1 << (window - 1);
  const digits = Math.ceil(257 / window); // one more bit for the carry of the signed digits
  const xs: bigint[] = new Array<bigint>(digits * half);
  const ys: bigint[] = new Array<bigint>(digits * half);
  let bx = x;
  let by = y;
  for (let i = 0; i < digits; i++) {
    // 1·B … 2ʷ⁻¹·B in Jacobian, then all to affine with one inversion (Montgomery's trick).
    const row: Jacobian[] = [{ x: bx, y: by, z: 1n }];
    for (let j = 1; j < half; j++) row.push(addAffine(row[j - 1]!, bx, by));
    const next = double(row[half - 1]!); // 2ʷ·B = 2ʷ⁽ⁱ⁺¹⁾·P
    const affine = toAffineAll([...row, next]);
    for (let j = 0; j < half; j++) {
      const pt = affine[j]!;
      xs[i * half + j] = pt.x;
      ys[i * half + j] = pt.y;
    }
    const nb = affine[half]!;
    bx = nb.x;
    by = nb.y;
  }
  return { window, digits, xs, ys };
}

/** Batch normalisation; throws on a point at infinity (cannot happen for j·B, j < n). */
function toAffineAll(points: Jacobian[]): { x: bigint; y: bigint }[] {
  const prefix: bigint[] = [];
  let acc = 1n;
  for (const p of points) {
    if (p.z === 0n) throw new Error('point at infinity in a comb table');
    prefix.push(acc);
    acc = mod(acc * p.z);
  }
  let inv = invert(acc);
  const out = new Array<{ x: bigint; y: bigint }>(points.length);
  for (let k = points.length - 1; k >= 0; k--) {
    const p = points[k]!;
    const zi = mod(inv * prefix[k]!);
    inv = mod(inv * p.z);
    const zi2 = mod(zi * zi);
    out[k] = { x: mod(p.x * zi2), y: mod(p.y * zi2 * zi) };
  }
  return out;
}

let baseTable: CombTable | undefined;

/** The table for the generator, window 12, built on first use (~0.3–0.6 s, ~5 MB, once per process). */
export function baseCombTable(): CombTable {
  baseTable ??= buildCombTable(SM2_CURVE.Gx, SM2_CURVE.Gy, 12);
  return baseTable;
}
