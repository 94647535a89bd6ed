import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SM2_CURVE } from './sm2-curve.ts';
import { baseCombTable, buildCombTable, combMulAddAffineX, combVerify, type CombTable } from './sm2-comb.ts';
import { createSm2Signer, createSm2Verifier, decodeSm2Signature, encodeSm2Signature, sm2GenerateKeyPair, Sm2Point, sm2Z } from './sm2.ts';
import { Sm3 } from './sm3.ts';
import { bytesToHex } from './tlog-bytes.ts';

const { n: N } = SM2_CURVE;
const G = Sm2Point.BASE;

/** The reference: @noble/curves' own arithmetic. */
function referenceX(s: bigint, q: typeof G, t: bigint): bigint | null {
  const sum = G.multiplyUnsafe(s).add(q.multiplyUnsafe(t));
  return sum.is0() ? null : sum.x;
}

// Keys with tables of window 8, 10 (what a verifier builds) and 5 (another digit layout).
const keys = [8, 10, 5].map((window) => {
  const pair = sm2GenerateKeyPair();
  const point = Sm2Point.fromBytes(pair.publicKey);
  return { ...pair, point, table: buildCombTable(point.x, point.y, window) };
});
const gTable = baseCombTable();

// Scalars in [0, n): uniform, small, near n, and with every radix-256 digit at the ±128 boundary.
const scalar = fc.oneof(
  fc.bigInt({ min: 0n, max: N - 1n }),
  fc.bigInt({ min: 0n, max: 1000n }),
  fc.bigInt({ min: N - 1000n, max: N - 1n }),
  fc.constantFrom(
    0x80n,
    0x8080n,
    BigInt('0x' + '80'.repeat(31)),
    BigInt('0x' + 'ff'.repeat(31)),
    BigInt('0x' + '7f'.repeat(32)) % N,
    N - 1n,
    N - 2n,
    1n,
    2n,
  ),
);

describe('SM2 fixed-base comb (sm2-comb.ts) against the @noble/curves reference', () => {
  it('s·G + t·Q agrees for random keys and scalars, including boundary digits', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...keys),
        scalar,
        scalar,
        (key, s, t) => combMulAddAffineX(gTable, s, key.table, t) === referenceX(s, key.point, t),
      ),
      { numRuns: 300 },
    );
  });

  it('handles P + P and P + (−P) inside the sum (Q = G, chosen scalars)', () => {
    const asQ: CombTable = gTable;
    for (const [s, t] of [
      [5n, 5n], // 5G + 5G: the accumulator equals the table point, a doubling
      [1n, N - 1n], // G + (n − 1)G = infinity
      [0n, 0n],
      [0x0101n, 0x0101n],
      [N - 5n, 5n], // infinity at the last step
      [N - 1n, N - 1n],
    ] as const) {
      const expected = G.multiplyUnsafe((s + t) % N);
      expect(combMulAddAffineX(gTable, s, asQ, t)).toBe(expected.is0() ? null : expected.x);
    }
  });

  it('the table holds j·2⁸ⁱ·P on the curve', () => {
    const { xs, ys } = keys[0]!.table;
    const { p, a, b } = SM2_CURVE;
    for (const k of [0, 1, 127, 128, 129, 2000, xs.length - 1]) {
      const x = xs[k]!;
      const y = ys[k]!;
      expect((y * y - (x * x * x + a * x + b)) % p).toBe(0n);
      const i = Math.floor(k / 128);
      const j = (k % 128) + 1;
      expect(x).toBe(keys[0]!.point.multiply((BigInt(j) << BigInt(8 * i)) % N).x);
    }
  });
});

describe('SM2 verification with a precomputed key (fast path) against the reference path', () => {
  const utf8 = (s: string) => new TextEncoder().encode(s);

  it('agrees on random keys, messages and signatures, valid or tampered', () => {
    const pairs = [keys[0]!, sm2GenerateKeyPair()].map((k) => ({
      signer: createSm2Signer(k.privateKey),
      fast: createSm2Verifier(k.publicKey, { precompute: true }),
      reference: createSm2Verifier(k.publicKey),
      other: createSm2Verifier(sm2GenerateKeyPair().publicKey, { precompute: true }),
    }));
    fc.assert(
      fc.property(fc.constantFrom(...pairs), fc.string({ maxLength: 300 }), fc.nat(), fc.nat(), (pair, text, at, bit) => {
        const message = utf8(text);
        const signature = pair.signer.sign(message);
        if (!pair.fast.verify(message, signature) || !pair.reference.verify(message, signature)) return false;
        // Another key never accepts it.
        if (pair.other.verify(message, signature)) return false;
        // A flipped bit anywhere in the signature or the message: both paths say no.
        const badSig = signature.slice();
        badSig[at % badSig.length]! ^= 1 << (bit % 8);
        const badMsg = Uint8Array.of(...message, 0);
        if (message.length > 0) {
          badMsg.set(message);
          badMsg[at % message.length]! ^= 1 << (bit % 8);
        }
        const shorter = message.length > 0 ? badMsg.subarray(0, message.length) : badMsg;
        return (
          !pair.fast.verify(message, badSig) &&
          !pair.reference.verify(message, badSig) &&
          !pair.fast.verify(shorter, signature) &&
          !pair.reference.verify(shorter, signature)
        );
      }),
      { numRuns: 60 },
    );
  });

  it('agrees on arbitrary (r, s) pairs: combVerify is exactly (e + x₁) mod n = r', () => {
    const key = keys[0]!;
    const z = sm2Z(key.point);
    const reference = createSm2Verifier(key.publicKey);
    const fast = createSm2Verifier(key.publicKey, { precompute: true });
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: N - 1n }), fc.bigInt({ min: 1n, max: N - 1n }), fc.string({ maxLength: 40 }), (r, s, text) => {
        const message = utf8(text);
        const signature = encodeSm2Signature(r, s);
        const e = BigInt('0x' + bytesToHex(new Sm3().update(z).update(message).digest()));
        const t = (r + s) % N;
        const x = t === 0n ? null : referenceX(s, key.point, t);
        const expected = x !== null && (e + x) % N === r;
        return (
          combVerify(gTable, key.table, e, r, s) === expected &&
          fast.verify(message, signature) === expected &&
          reference.verify(message, signature) === expected
        );
      }),
      { numRuns: 100 },
    );
    // A constructed valid pair: pick s and t, then r = t − s, e = r − x₁ (mod n).
    const s = 12345n;
    const t = 67890n;
    const r = (t - s + N) % N;
    const x = referenceX(s, key.point, t)!;
    const e = (((r - x) % N) + N) % N;
    expect(combVerify(gTable, key.table, e, r, s)).toBe(true);
    expect(combVerify(gTable, key.table, (e + 1n) % N, r, s)).toBe(false);
    expect(combVerify(gTable, key.table, e, r, (s + 1n) % N)).toBe(false);
    expect(combVerify(gTable, key.table, e, N - s, s)).toBe(false); // t = 0
    expect(decodeSm2Signature(encodeSm2Signature(r, s))).toEqual({ r, s });
  });
});
