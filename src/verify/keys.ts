/**
 * Public and private key encodings: SubjectPublicKeyInfo (RFC 5280, RFC 5480, RFC 8410) and
 * PKCS#8 (RFC 5208/5958), in the exact forms OpenSSL 3 reads and writes:
 *
 *   SM2      id-ecPublicKey 1.2.840.10045.2.1 + namedCurve sm2p256v1 1.2.156.10197.1.301
 *   P-256    id-ecPublicKey + namedCurve prime256v1 1.2.840.10045.3.1.7
 *   Ed25519  id-Ed25519 1.3.101.112, no parameters
 *
 * Raw forms: an EC public key is the SEC1 uncompressed point (65 bytes), an Ed25519 public key
 * its 32 bytes; a private key is the 32-byte scalar (EC) or seed (Ed25519).
 */
import {
  bitString,
  DerError,
  expectTag,
  explicit,
  octetString,
  oid,
  pemDecodeAll,
  pemEncode,
  readBitStringBytes,
  readChildren,
  readOid,
  readSingle,
  readUnsignedInteger,
  sequence,
  TAG,
  unsignedInteger,
  type Tlv,
} from './der.ts';

export const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  sm2p256v1: '1.2.156.10197.1.301',
  prime256v1: '1.2.840.10045.3.1.7',
  ed25519: '1.3.101.112',
  sm2WithSm3: '1.2.156.10197.1.501',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
} as const;

export type KeyAlgorithm = 'SM2' | 'Ed25519' | 'P-256';

export interface PublicKey {
  algorithm: KeyAlgorithm;
  /** SEC1 point for SM2 and P-256, the 32 raw bytes for Ed25519. */
  key: Uint8Array;
}

export interface PrivateKey {
  algorithm: KeyAlgorithm;
  /** The 32-byte scalar (SM2, P-256) or seed (Ed25519). */
  key: Uint8Array;
  /** The public key, when the encoding carries it. */
  publicKey?: Uint8Array;
}

const CURVE_OF: Record<string, KeyAlgorithm | undefined> = { [OID.sm2p256v1]: 'SM2', [OID.prime256v1]: 'P-256' };
const CURVE_OID = { SM2: OID.sm2p256v1, 'P-256': OID.prime256v1 } as const;

function algorithmIdentifier(algorithm: KeyAlgorithm): Uint8Array {
  return algorithm === 'Ed25519' ? sequence(oid(OID.ed25519)) : sequence(oid(OID.ecPublicKey), oid(CURVE_OID[algorithm]));
}

function checkRawPublicKey(algorithm: KeyAlgorithm, key: Uint8Array): void {
  const ok = algorithm === 'Ed25519' ? key.length === 32 : key.length === 65 && key[0] === 4;
  if (!ok) throw new DerError(`bad ${algorithm} public key length`);
}

/** Reads an AlgorithmIdentifier of a key; throws for anything but the three supported. */
function readKeyAlgorithm(tlv: Tlv | undefined): KeyAlgorithm {
  const [algOid, params, ...rest] = readChildren(expectTag(tlv, TAG.SEQUENCE, 'AlgorithmIdentifier'));
  if (rest.length) throw new DerError('trailing fields in AlgorithmIdentifier');
  const algorithm = readOid(algOid);
  if (algorithm === OID.ed25519) {
    if (params) throw new DerError('Ed25519 takes no parameters');
    return 'Ed25519';
  }
  if (algorithm !== OID.ecPublicKey) throw new DerError(`unsupported key algorithm ${algorithm}`);
  const curve = CURVE_OF[readOid(params)];
  if (!curve) throw new DerError('unsupported curve');
  return curve;
}

export function encodeSpki(algorithm: KeyAlgorithm, publicKey: Uint8Array): Uint8Array {
  checkRawPublicKey(algorithm, publicKey);
  return sequence(algorithmIdentifier(algorithm), bitString(publicKey));
}

/** Parses a SubjectPublicKeyInfo; throws DerError when malformed or unsupported. */
export function decodeSpki(der: Uint8Array): PublicKey {
  const [alg, bits, ...rest] = readChildren(readSingle(der, TAG.SEQUENCE));
  if (rest.length) throw new DerError('trailing fields in SubjectPublicKeyInfo');
  const algorithm = readKeyAlgorithm(alg);
  const key = readBitStringBytes(bits);
  checkRawPublicKey(algorithm, key);
  return { algorithm, key };
}

export function encodePkcs8(algorithm: KeyAlgorithm, privateKey: Uint8Array, publicKey?: Uint8Array): Uint8Array {
  if (privateKey.length !== 32) throw new DerError('a private key is 32 bytes');
  if (algorithm === 'Ed25519') return sequence(unsignedInteger(0n), algorithmIdentifier(algorithm), octetString(octetString(privateKey)));
  // RFC 5915 ECPrivateKey inside, as OpenSSL writes it: version 1, the key, the public point in [1].
  const ecPrivateKey = sequence(unsignedInteger(1n), octetString(privateKey), ...(publicKey ? [explicit(1, bitString(publicKey))] : []));
  return sequence(unsignedInteger(0n), algorithmIdentifier(algorithm), octetString(ecPrivateKey));
}

/** RFC 5915 ECPrivateKey (OpenSSL's "EC PRIVATE KEY"), with the curve from [0] or from `curve`. */
function decodeEcPrivateKey(der: Uint8Array, curve?: KeyAlgorithm): PrivateKey {
  const [version, key, ...optional] = readChildren(readSingle(der, TAG.SEQUENCE));
  if (readUnsignedInteger(version) !== 1n) throw new DerError('ECPrivateKey version must be 1');
  const scalar = expectTag(key, TAG.OCTET_STRING, 'private key').content;
  let algorithm = curve;
  let publicKey: Uint8Array | undefined;
  for (const field of optional) {
    if (field.tag === 0xa0) {
      const named = CURVE_OF[readOid(readSingle(field.content))];
      if (!named || (curve && named !== curve)) throw new DerError('unsupported or mismatched curve');
      algorithm = named;
    } else if (field.tag === 0xa1) {
      publicKey = readBitStringBytes(readSingle(field.content));
    } else {
      throw new DerError('unexpected field in ECPrivateKey');
    }
  }
  if (!algorithm) throw new DerError('ECPrivateKey without a curve');
  if (scalar.length !== 32) throw new DerError('EC private key must be 32 bytes');
  if (publicKey) checkRawPublicKey(algorithm, publicKey);
  return { algorithm, key: scalar.slice(), ...(publicKey ? { publicKey: publicKey.slice() } : {}) };
}

/** Parses PKCS#8 PrivateKeyInfo / OneAsymmetricKey. */
export function decodePkcs8(der: Uint8Array): PrivateKey {
  const [version, alg, key] = readChildren(readSingle(der, TAG.SEQUENCE));
  const v = readUnsignedInteger(version);
  if (v !== 0n && v !== 1n) throw new DerError('unsupported PKCS#8 version');
  const algorithm = readKeyAlgorithm(alg);
  const inner = expectTag(key, TAG.OCTET_STRING, 'privateKey').content;
  if (algorithm === 'Ed25519') {
    const seed = readSingle(inner, TAG.OCTET_STRING).content;
    if (seed.length !== 32) throw new DerError('Ed25519 private key must be 32 bytes');
    return { algorithm, key: seed.slice() };
  }
  return decodeEcPrivateKey(inner, algorithm);
}

// ---- PEM ----

export const publicKeyToPem = (spki: Uint8Array): string => pemEncode('PUBLIC KEY', spki);
export const privateKeyToPem = (pkcs8: Uint8Array): string => pemEncode('PRIVATE KEY', pkcs8);

/** The SPKI DER of the first PUBLIC KEY block. */
export function publicKeyFromPem(pem: string): Uint8Array {
  const block = pemDecodeAll(pem).find((b) => b.label === 'PUBLIC KEY');
  if (!block) throw new DerError('no PUBLIC KEY block');
  decodeSpki(block.der);
  return block.der;
}

/**
 * A private key from PEM: PKCS#8 "PRIVATE KEY" or SEC1 "EC PRIVATE KEY" (what `openssl ecparam -genkey`
 * writes), or SEC1 "SM2 PRIVATE KEY" (what OpenSSL 3's `openssl ec` writes for an SM2 key).
 */
export function privateKeyFromPem(pem: string): PrivateKey {
  for (const block of pemDecodeAll(pem)) {
    if (block.label === 'PRIVATE KEY') return decodePkcs8(block.der);
    if (block.label === 'EC PRIVATE KEY') return decodeEcPrivateKey(block.der);
    if (block.label === 'SM2 PRIVATE KEY') return decodeEcPrivateKey(block.der, 'SM2');
  }
  throw new DerError('no PRIVATE KEY, EC PRIVATE KEY or SM2 PRIVATE KEY block');
}
