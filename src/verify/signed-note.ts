/**
 * C2SP signed notes (https://c2sp.org/signed-note): a UTF-8 text, a blank line, and signature
 * lines `— <key name> <base64(key hash ‖ signature)>`. Signing, parsing, and opening a note with
 * the verifiers a caller trusts. The keys (Ed25519 and cosignature/v1, key hashes, vkeys) are in
 * note-keys.ts, re-exported here. Browser-safe.
 */
import { hasControl, isValidKeyName, type NoteSigner, type NoteVerifier } from './note-keys.ts';
import { concatBytes, decodeBase64, encodeBase64, utf8 } from './tlog-bytes.ts';

export {
  computeKeyHash,
  cosignatureSigner,
  cosignatureTimestamp,
  ed25519Signer,
  ed25519Verifier,
  formatVerifierKey,
  isValidKeyName,
  KEY_TYPE_COSIGNATURE_V1,
  KEY_TYPE_ED25519,
  parseVerifierKey,
  type NoteSigner,
  type NoteVerifier,
} from './note-keys.ts';

const MAX_NOTE_BYTES = 1 << 20;
const MAX_SIGNATURES = 100;
const DASH = '\u2014';

export interface NoteSignature {
  name: string;
  keyHash: number;
  /** The signature field after the 4-byte key hash. */
  signature: Uint8Array;
  line: string;
}

/** Text rules: non-empty valid text ending in a newline, no control characters but newline. */
function isValidNoteText(text: string): boolean {
  return text.length > 0 && text.endsWith('\n') && !hasControl(text, true);
}

export function signatureLine(signer: Pick<NoteSigner, 'name' | 'keyHash'>, signature: Uint8Array): string {
  const hash = new Uint8Array(4);
  new DataView(hash.buffer).setUint32(0, signer.keyHash);
  return `${DASH} ${signer.name} ${encodeBase64(concatBytes(hash, signature))}\n`;
}

/** The signed note: text, a blank line, one signature line per signer. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  if (!isValidNoteText(text)) throw new Error('note text must be non-empty, end with a newline and hold no control characters');
  return text + '\n' + signers.map((s) => signatureLine(s, s.sign(text))).join('');
}

/** One signature line, without its newline; null when malformed. */
export function parseSignatureLine(line: string): NoteSignature | null {
  const match = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
  if (!match || !isValidKeyName(match[1]!)) return null;
  const raw = decodeBase64(match[2]!);
  if (!raw || raw.length < 5) return null;
  const keyHash = new DataView(raw.buffer, raw.byteOffset).getUint32(0);
  return { name: match[1]!, keyHash, signature: raw.slice(4), line: `${line}\n` };
}

/** Splits a signed note into its text and signature lines; null when malformed. */
export function parseNote(note: string): { text: string; signatures: NoteSignature[] } | null {
  if (utf8(note).length > MAX_NOTE_BYTES) return null;
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return null;
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  if (!isValidNoteText(text) || !block.endsWith('\n')) return null;
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) return null;
  const signatures: NoteSignature[] = [];
  for (const line of lines) {
    const sig = parseSignatureLine(line);
    if (!sig) return null;
    signatures.push(sig);
  }
  return { text, signatures };
}

export type OpenedNote =
  | { ok: true; text: string; verified: (NoteSignature & { verifier: NoteVerifier })[]; unverified: NoteSignature[] }
  | { ok: false; reason: 'MALFORMED' | 'UNVERIFIED' | 'BAD_SIGNATURE'; detail: string };

/**
 * Opens a note with the verifiers the caller trusts: a signature from a known key that fails is
 * an error (BAD_SIGNATURE), signatures from unknown keys are returned unverified, and at least
 * one known key must have signed (else UNVERIFIED).
 */
export function openNote(note: string, verifiers: readonly NoteVerifier[]): OpenedNote {
  const parsed = parseNote(note);
  if (!parsed) return { ok: false, reason: 'MALFORMED', detail: 'not a signed note' };
  const verified: (NoteSignature & { verifier: NoteVerifier })[] = [];
  const unverified: NoteSignature[] = [];
  for (const sig of parsed.signatures) {
    const verifier = verifiers.find((v) => v.name === sig.name && v.keyHash === sig.keyHash);
    if (!verifier) {
      unverified.push(sig);
    } else if (verifier.verify(parsed.text, sig.signature)) {
      verified.push({ ...sig, verifier });
    } else {
      return { ok: false, reason: 'BAD_SIGNATURE', detail: `the signature of ${sig.name} does not verify` };
    }
  }
  if (verified.length === 0) return { ok: false, reason: 'UNVERIFIED', detail: 'no signature from a trusted key' };
  return { ok: true, text: parsed.text, verified, unverified };
}
