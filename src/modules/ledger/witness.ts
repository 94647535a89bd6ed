/**
 * A witness (C2SP tlog-witness, pull model): fetch the log's checkpoint, check the log's
 * signature with the pinned vkey, prove from the log's tiles that it extends the last
 * checkpoint this witness saw, and only then cosign (cosignature/v1) and hand the
 * cosignature to the log. No node:* here: file handling is in ledger.cli.ts.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { openCheckpoint } from '../../verify/checkpoint.ts';
import { verifyConsistency } from '../../verify/merkle.ts';
import {
  KEY_TYPE_COSIGNATURE_V1,
  computeKeyHash,
  cosignatureSigner,
  isValidKeyName,
  signatureLine,
  type NoteSigner,
} from '../../verify/signed-note.ts';
import { bytesToHex, concatBytes, decodeBase64, encodeBase64, equalBytes } from '../../verify/tlog-bytes.ts';
import { consistencyProofFromTiles, httpTileSource } from '../../verify/tlog-tiles.ts';

/** What a witness remembers of a log between runs. */
export interface WitnessState {
  logVkey: string;
  origin: string;
  size: number;
  /** base64 */
  rootHash: string;
  updatedAt: string;
}

export type WitnessRefusal = 'BAD_SIGNATURE' | 'WRONG_LOG' | 'MALFORMED' | 'ROLLBACK' | 'FORK' | 'INCONSISTENT';

export type WitnessOutcome =
  | {
      status: 'COSIGNED';
      size: number;
      previousSize: number | null;
      state: WitnessState;
      signature: string;
      /** Set when the log did not take the cosignature (the state still advances: the checkpoint was verified). */
      submitError?: string;
    }
  | { status: 'REFUSED'; reason: WitnessRefusal; message: string };

/** A witness key file in the note private-key style: `PRIVATE+KEY+<name>+<hash>+<base64(0x04 ‖ seed)>`. */
function formatWitnessKey(name: string, seed: Uint8Array): string {
  const publicKey = ed25519.getPublicKey(seed);
  const hash = computeKeyHash(name, KEY_TYPE_COSIGNATURE_V1, publicKey).toString(16).padStart(8, '0');
  return `PRIVATE+KEY+${name}+${hash}+${encodeBase64(concatBytes(new Uint8Array([KEY_TYPE_COSIGNATURE_V1]), seed))}\n`;
}

export function parseWitnessKey(text: string): { name: string; seed: Uint8Array } {
  const match = /^PRIVATE\+KEY\+([^+\s]+)\+([0-9a-f]{8})\+(\S+)$/.exec(text.trim());
  const raw = match ? decodeBase64(match[3]!) : null;
  if (!match || !raw || raw.length !== 33 || raw[0] !== KEY_TYPE_COSIGNATURE_V1 || !isValidKeyName(match[1]!)) {
    throw new Error('not a witness key file (PRIVATE+KEY+<name>+<hash>+<base64 of 0x04 and the seed>)');
  }
  const seed = raw.slice(1);
  const hash = computeKeyHash(match[1]!, KEY_TYPE_COSIGNATURE_V1, ed25519.getPublicKey(seed));
  if (hash !== parseInt(match[2]!, 16)) throw new Error('the witness key file is damaged (key hash mismatch)');
  return { name: match[1]!, seed };
}

export function generateWitnessKey(name: string): { keyFile: string; vkey: string } {
  if (!isValidKeyName(name)) throw new Error(`invalid witness name ${JSON.stringify(name)}: no spaces and no '+'`);
  const seed = ed25519.utils.randomSecretKey();
  return { keyFile: formatWitnessKey(name, seed), vkey: witnessCosigner(name, seed).vkey };
}

export function witnessCosigner(name: string, seed: Uint8Array, now: () => number = () => Date.now() / 1000): NoteSigner {
  return cosignatureSigner(name, seed, now);
}

const short = (hash: Uint8Array | string) => (typeof hash === 'string' ? hash : bytesToHex(hash)).slice(0, 16);

/**
 * One round. `logUrl` is the app's base URL (the log serves /ledger/* and /api/ledger/*).
 * Throws on network or HTTP failures fetching the log; refuses (without cosigning) when the
 * log is not the pinned one, its signature is bad, or its new tree does not extend the old.
 */
export async function witnessOnce(input: {
  logUrl: string;
  logVkey: string;
  cosigner: NoteSigner;
  state: WitnessState | null;
  fetch?: typeof fetch;
  now?: () => Date;
}): Promise<WitnessOutcome> {
  const fetcher = input.fetch ?? fetch;
  const base = input.logUrl.replace(/\/+$/, '');
  const now = input.now ?? (() => new Date());
  const refuse = (reason: WitnessRefusal, message: string): WitnessOutcome => ({ status: 'REFUSED', reason, message });

  if (input.state && input.state.logVkey !== input.logVkey) {
    return refuse('WRONG_LOG', `the state file belongs to the log ${input.state.logVkey}, not ${input.logVkey}`);
  }
  const response = await fetcher(`${base}/ledger/checkpoint`);
  if (!response.ok) throw new Error(`GET ${base}/ledger/checkpoint: HTTP ${response.status}`);
  const note = await response.text();
  const opened = openCheckpoint(note, input.logVkey);
  if (!opened.ok) {
    const reason: WitnessRefusal =
      opened.reason === 'MALFORMED' ? 'MALFORMED' : opened.reason === 'BAD_SIGNATURE' ? 'BAD_SIGNATURE' : 'WRONG_LOG';
    return refuse(reason, `the checkpoint does not verify with the pinned log key: ${opened.detail}`);
  }
  const { checkpoint, text } = opened;
  const previous = input.state;
  if (previous) {
    const oldRoot = decodeBase64(previous.rootHash);
    if (!oldRoot) return refuse('MALFORMED', 'the state file holds a malformed root hash');
    if (checkpoint.size < previous.size) {
      return refuse(
        'ROLLBACK',
        `the log served size ${checkpoint.size}, older than the size ${previous.size} this witness already cosigned; a witness never cosigns backwards`,
      );
    }
    if (checkpoint.size === previous.size && !equalBytes(oldRoot, checkpoint.rootHash)) {
      return refuse(
        'FORK',
        `the log signed two different trees of size ${checkpoint.size} (roots ${short(previous.rootHash)}… and ${short(checkpoint.rootHash)}…): it has forked`,
      );
    }
    if (checkpoint.size > previous.size) {
      let consistent = false;
      try {
        const proof = await consistencyProofFromTiles(httpTileSource(`${base}/ledger/`, fetcher), previous.size, checkpoint.size);
        consistent = verifyConsistency({ oldSize: previous.size, newSize: checkpoint.size, oldRoot, newRoot: checkpoint.rootHash, proof });
      } catch (error) {
        return refuse(
          'INCONSISTENT',
          `the log cannot prove that size ${checkpoint.size} extends size ${previous.size}: ${(error as Error).message}`,
        );
      }
      if (!consistent) {
        return refuse(
          'INCONSISTENT',
          `the tree of size ${checkpoint.size} (root ${short(checkpoint.rootHash)}…) does not extend the tree of size ${previous.size} (root ${short(previous.rootHash)}…) this witness cosigned: the log rewrote its history`,
        );
      }
    }
  }
  const state: WitnessState = {
    logVkey: input.logVkey,
    origin: checkpoint.origin,
    size: checkpoint.size,
    rootHash: encodeBase64(checkpoint.rootHash),
    updatedAt: now().toISOString(),
  };
  const signature = signatureLine(input.cosigner, input.cosigner.sign(text));
  let submitError: string | undefined;
  try {
    const posted = await fetcher(`${base}/api/ledger/cosignatures`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ size: checkpoint.size, signature }),
    });
    if (!posted.ok) submitError = `HTTP ${posted.status}: ${(await posted.text()).slice(0, 300)}`;
  } catch (error) {
    submitError = (error as Error).message;
  }
  return {
    status: 'COSIGNED',
    size: checkpoint.size,
    previousSize: previous?.size ?? null,
    state,
    signature,
    ...(submitError ? { submitError } : {}),
  };
}
