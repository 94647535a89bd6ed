/**
 * The keys of C2SP signed notes (https://c2sp.org/signed-note), signers and verifiers for the
 * two key types signed-note.ts supports:
 *
 * - 0x01 Ed25519: the signature is over the text (a log signing its checkpoints);
 * - 0x04 cosignature/v1 (https://c2sp.org/tlog-cosignature): a witness signs
 *   `cosignature/v1\ntime <t>\n` + the checkpoint text; the signature field is
 *   timestamp (8 bytes, big-endian) ‖ Ed25519 signature.
 *
 * The key hash is the first 4 bytes of SHA-256(key name ‖ 0x0A ‖ type ‖ public key), and a
 * verifier key (vkey) reads `<name>+<hex key hash>+<base64(type ‖ public key)>`. Browser-safe.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, decodeBase64, encodeBase64, readUint64, utf8, writeUint64 } from './tlog-bytes.ts';

export const KEY_TYPE_ED25519 = 0x01;
export const KEY_TYPE_COSIGNATURE_V1 = 0x04;

/** A key that can check signature lines of its name and key hash. */
export interface NoteVerifier {
  name: string;
  keyHash: number;
  type: number;
  publicKey: Uint8Array;
  vkey: string;
  /** Checks the signature field (after the key hash) over the note text. */
  verify(text: string, signature: Uint8Array): boolean;
}

export interface NoteSigner {
  name: string;
  keyHash: number;
  vkey: string;
  /** The signature field (after the key hash) for the note text. */
  sign(text: string): Uint8Array;
}

/** Key names are non-empty and contain no whitespace and no '+'. */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name) && !hasControl(name, false);
}

/** ASCII control characters (and DEL); newlines allowed when `newlines`. */
export function hasControl(text: string, newlines: boolean): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && !(newlines && c === 0x0a)) || c === 0x7f) return true;
  }
  return false;
}

export function computeKeyHash(name: string, type: number, publicKey: Uint8Array): number {
  const digest = sha256(concatBytes(utf8(name), new Uint8Array([0x0a, type]), publicKey));
  return new DataView(digest.buffer, digest.byteOffset).getUint32(0);
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

export function formatVerifierKey(name: string, type: number, publicKey: Uint8Array): string {
  const hash = computeKeyHash(name, type, publicKey);
  return `${name}+${hex8(hash)}+${encodeBase64(concatBytes(new Uint8Array([type]), publicKey))}`;
}

/** Parses a vkey of type 0x01 or 0x04; null when malformed, of another type, or the hash disagrees. */
export function parseVerifierKey(vkey: string): NoteVerifier | null {
  // The base64 part may itself contain '+', so split on the first two only.
  const first = vkey.indexOf('+');
  const second = vkey.indexOf('+', first + 1);
  if (first < 0 || second < 0) return null;
  const name = vkey.slice(0, first);
  const hashHex = vkey.slice(first + 1, second);
  const key = decodeBase64(vkey.slice(second + 1));
  if (!isValidKeyName(name) || !/^[0-9a-f]{8}$/.test(hashHex) || !key || key.length !== 33) return null;
  const type = key[0]!;
  const publicKey = key.slice(1);
  if (computeKeyHash(name, type, publicKey) !== parseInt(hashHex, 16)) return null;
  if (type === KEY_TYPE_ED25519) return ed25519Verifier(name, publicKey);
  if (type === KEY_TYPE_COSIGNATURE_V1) return cosignatureVerifier(name, publicKey);
  return null;
}

// Signatures that verified, by key, signature and message: a verifier of many certificates sees
// the same checkpoint again and again, and an Ed25519 verification in JavaScript costs ~7 ms.
// Only successes are kept, and only for the exact same bytes, so no answer changes.
const VERIFIED_LIMIT = 256;
const verified = new Map<string, true>();

function safeVerify(signature: Uint8Array, message: string, publicKey: Uint8Array): boolean {
  const key = `${encodeBase64(publicKey)} ${encodeBase64(signature)} ${message}`;
  if (verified.has(key)) return true;
  let ok: boolean;
  try {
    ok = ed25519.verify(signature, utf8(message), publicKey, { zip215: false });
  } catch {
    ok = false;
  }
  if (ok) {
    if (verified.size >= VERIFIED_LIMIT) verified.delete(verified.keys().next().value!);
    verified.set(key, true);
  }
  return ok;
}

export function ed25519Verifier(name: string, publicKey: Uint8Array): NoteVerifier {
  return {
    name,
    type: KEY_TYPE_ED25519,
    publicKey,
    keyHash: computeKeyHash(name, KEY_TYPE_ED25519, publicKey),
    vkey: formatVerifierKey(name, KEY_TYPE_ED25519, publicKey),
    verify: (text, signature) => signature.length === 64 && safeVerify(signature, text, publicKey),
  };
}

/** A log's signer: Ed25519 over the note text. `secretKey` is the 32-byte seed. */
export function ed25519Signer(name: string, secretKey: Uint8Array): NoteSigner {
  if (!isValidKeyName(name)) throw new Error(`invalid key name ${JSON.stringify(name)}`);
  const publicKey = ed25519.getPublicKey(secretKey);
  return {
    name,
    keyHash: computeKeyHash(name, KEY_TYPE_ED25519, publicKey),
    vkey: formatVerifierKey(name, KEY_TYPE_ED25519, publicKey),
    sign: (text) => ed25519.sign(utf8(text), secretKey),
  };
}

/** The message a cosignature/v1 signs. */
function cosignatureMessage(text: string, timestamp: number): Uint8Array {
  return utf8(cosignatureText(text, timestamp));
}

const cosignatureText = (text: string, timestamp: number): string => `cosignature/v1\ntime ${timestamp}\n${text}`;

function cosignatureVerifier(name: string, publicKey: Uint8Array): NoteVerifier {
  return {
    name,
    type: KEY_TYPE_COSIGNATURE_V1,
    publicKey,
    keyHash: computeKeyHash(name, KEY_TYPE_COSIGNATURE_V1, publicKey),
    vkey: formatVerifierKey(name, KEY_TYPE_COSIGNATURE_V1, publicKey),
    verify(text, signature) {
      if (signature.length !== 72) return false;
      const timestamp = readUint64(signature, 0);
      if (!Number.isSafeInteger(timestamp)) return false;
      return safeVerify(signature.subarray(8), cosignatureText(text, timestamp), publicKey);
    },
  };
}

/** The time a witness states in its cosignature/v1 signature field, in Unix seconds. */
export function cosignatureTimestamp(signature: Uint8Array): number | null {
  if (signature.length !== 72) return null;
  const t = readUint64(signature, 0);
  return Number.isSafeInteger(t) ? t : null;
}

/** A witness's cosigner (type 0x04). `secretKey` is the 32-byte seed; time is Unix seconds. */
export function cosignatureSigner(name: string, secretKey: Uint8Array, now: () => number): NoteSigner {
  if (!isValidKeyName(name)) throw new Error(`invalid key name ${JSON.stringify(name)}`);
  const publicKey = ed25519.getPublicKey(secretKey);
  return {
    name,
    keyHash: computeKeyHash(name, KEY_TYPE_COSIGNATURE_V1, publicKey),
    vkey: formatVerifierKey(name, KEY_TYPE_COSIGNATURE_V1, publicKey),
    sign(text) {
      const timestamp = Math.floor(now());
      return concatBytes(writeUint64(timestamp), ed25519.sign(cosignatureMessage(text, timestamp), secretKey));
    },
  };
}
