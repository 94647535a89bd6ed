/**
 * SM2 keys and what signing and verification (sm2.ts) share: the curve's point type on
 * sm2p256v1 (GB/T 32918.5-2017), private scalars and public points, Z_A and e = SM3(Z ‖ M) with
 * the default signer ID 1234567812345678 (GM/T 0009), and the DER signature
 * `SEQUENCE { r INTEGER, s INTEGER }`. Browser-safe: no Node imports.
 */
import { weierstrass, type WeierstrassPoint } from '@noble/curves/abstract/weierstrass.js';
import { Field, mod } from '@noble/curves/abstract/modular.js';
import { bytesToNumberBE, concatBytes, numberToBytesBE, randomBytes } from '@noble/curves/utils.js';
import { readChildren, readSingle, readUnsignedInteger, sequence, TAG, unsignedInteger } from './der.ts';
import { sm3, Sm3 } from './sm3.ts';
import { SM2_CURVE } from './sm2-curve.ts';

/** The default distinguishing ID of GM/T 0009-2012 §10 ("1234567812345678"). */
const SM2_DEFAULT_ID = '1234567812345678';

const { n: N } = SM2_CURVE;
export const Sm2Point = weierstrass(SM2_CURVE, { Fp: Field(SM2_CURVE.p), Fn: Field(SM2_CURVE.n) });
export type Sm2Point = WeierstrassPoint<bigint>;
// A wider window for the base point, built on the first k·G (signing, key generation) rather than
// at import: built eagerly it cost every process and page that loads this file ~0.4 s of CPU.
Sm2Point.BASE.precompute(8, true);

const CURVE_PREFIX = concatBytes(...[SM2_CURVE.a, SM2_CURVE.b, SM2_CURVE.Gx, SM2_CURVE.Gy].map((v) => numberToBytesBE(v, 32)));
const encoder = new TextEncoder();

export interface Sm2KeyPair {
  /** The 32-byte big-endian scalar d, 1 ≤ d ≤ n − 2. */
  privateKey: Uint8Array;
  /** The uncompressed point 04 ‖ x ‖ y (65 bytes). */
  publicKey: Uint8Array;
}

export interface Sm2Options {
  /** The signer's distinguishing ID; defaults to 1234567812345678. */
  id?: string | Uint8Array;
}

const idBytes = (id: string | Uint8Array | undefined): Uint8Array =>
  id === undefined ? encoder.encode(SM2_DEFAULT_ID) : typeof id === 'string' ? encoder.encode(id) : id;

export function privateScalar(privateKey: Uint8Array): bigint {
  if (privateKey.length !== 32) throw new Error('an SM2 private key is 32 bytes');
  const d = bytesToNumberBE(privateKey);
  // d = n − 1 would make 1 + d non-invertible.
  if (d < 1n || d > N - 2n) throw new Error('SM2 private key out of range');
  return d;
}

/** Parses and validates a public point (uncompressed or compressed SEC1); throws if not on the curve. */
export function sm2PublicPoint(publicKey: Uint8Array): Sm2Point {
  const point = Sm2Point.fromBytes(publicKey);
  point.assertValidity();
  return point;
}

export function sm2PublicKeyFromPrivate(privateKey: Uint8Array): Uint8Array {
  return Sm2Point.BASE.multiply(privateScalar(privateKey)).toBytes(false);
}

export function sm2GenerateKeyPair(): Sm2KeyPair {
  // 48 random bytes reduced mod n − 2 leave a bias below 2^-128 (FIPS 186-5 A.2.1 style).
  const d = mod(bytesToNumberBE(randomBytes(48)), N - 2n) + 1n;
  const privateKey = numberToBytesBE(d, 32);
  return { privateKey, publicKey: sm2PublicKeyFromPrivate(privateKey) };
}

/** Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA). */
export function sm2Z(publicKey: Uint8Array | Sm2Point, id?: string | Uint8Array): Uint8Array {
  const point = publicKey instanceof Uint8Array ? sm2PublicPoint(publicKey) : publicKey;
  const ident = idBytes(id);
  const bits = ident.length * 8;
  if (bits > 0xffff) throw new Error('SM2 ID too long');
  const affine = point.toBytes(false).subarray(1);
  return sm3(Uint8Array.of(bits >> 8, bits & 0xff), ident, CURVE_PREFIX, affine);
}

/** e = SM3(Z ‖ M) as an integer. */
export function messageScalar(z: Uint8Array, message: Uint8Array): bigint {
  return bytesToNumberBE(new Sm3().update(z).update(message).digest());
}

export function encodeSm2Signature(r: bigint, s: bigint): Uint8Array {
  return sequence(unsignedInteger(r), unsignedInteger(s));
}

/** Strict DER → (r, s) with 1 ≤ r, s < n; throws on anything else. */
export function decodeSm2Signature(der: Uint8Array): { r: bigint; s: bigint } {
  const seq = readSingle(der, TAG.SEQUENCE);
  const [rTlv, sTlv, ...rest] = readChildren(seq);
  if (rest.length) throw new Error('trailing fields in SM2 signature');
  const r = readUnsignedInteger(rTlv);
  const s = readUnsignedInteger(sTlv);
  if (r < 1n || r >= N || s < 1n || s >= N) throw new Error('SM2 signature out of range');
  return { r, s };
}
