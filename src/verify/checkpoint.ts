/**
 * C2SP checkpoints (https://c2sp.org/tlog-checkpoint): the note text a log signs,
 * `<origin>\n<tree size>\n<base64 root hash>\n` and optional extension lines. Browser-safe.
 */
import { HASH_SIZE } from './merkle.ts';
import { KEY_TYPE_ED25519, openNote, parseVerifierKey, type NoteVerifier } from './signed-note.ts';
import { decodeBase64, encodeBase64 } from './tlog-bytes.ts';

export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  extensions: string[];
}

export function formatCheckpoint(cp: Checkpoint): string {
  return [cp.origin, String(cp.size), encodeBase64(cp.rootHash), ...cp.extensions].join('\n') + '\n';
}

/** Parses a checkpoint body; null when any line is malformed. */
export function parseCheckpoint(text: string): Checkpoint | null {
  if (!text.endsWith('\n')) return null;
  const lines = text.slice(0, -1).split('\n');
  const [origin, size, root, ...extensions] = lines;
  if (!origin || !size || !root || /\s$|^\s/.test(origin)) return null;
  if (!/^(0|[1-9]\d*)$/.test(size) || !Number.isSafeInteger(Number(size))) return null;
  const rootHash = decodeBase64(root);
  if (!rootHash || rootHash.length !== HASH_SIZE) return null;
  if (extensions.some((line) => line.length === 0)) return null;
  return { origin, size: Number(size), rootHash, extensions };
}

export type CheckpointCheck =
  | { ok: true; checkpoint: Checkpoint; text: string; witnesses: string[] }
  | { ok: false; reason: 'MALFORMED' | 'BAD_SIGNATURE' | 'UNKNOWN_LOG_KEY' | 'ORIGIN_MISMATCH' | 'NOT_ENOUGH_WITNESSES'; detail: string };

/**
 * Opens a signed checkpoint with the log's pinned vkey, and optionally requires cosignatures of
 * `witnesses.threshold` of the given witness vkeys. The origin must be the log key's name.
 */
export function openCheckpoint(
  note: string,
  logVkey: string,
  witnesses?: { vkeys: readonly string[]; threshold: number },
): CheckpointCheck {
  // A verifier of many certificates sees the same few checkpoints again and again: successes are
  // remembered for the exact same note, log key and witness policy (failures are not).
  const cacheKey = `${logVkey}\n${witnesses ? `${witnesses.threshold} ${witnesses.vkeys.join(' ')}` : '-'}\n${note}`;
  const hit = opened.get(cacheKey);
  if (hit)
    return {
      ...hit,
      checkpoint: { ...hit.checkpoint, rootHash: hit.checkpoint.rootHash.slice(), extensions: [...hit.checkpoint.extensions] },
      witnesses: [...hit.witnesses],
    };
  const result = openUncached(note, logVkey, witnesses);
  if (result.ok) {
    if (opened.size >= OPENED_LIMIT) opened.delete(opened.keys().next().value!);
    opened.set(cacheKey, { ...result, checkpoint: { ...result.checkpoint, rootHash: result.checkpoint.rootHash.slice() } });
  }
  return result;
}

const OPENED_LIMIT = 64;
const opened = new Map<string, Extract<CheckpointCheck, { ok: true }>>();

function openUncached(
  note: string,
  logVkey: string,
  witnesses: { vkeys: readonly string[]; threshold: number } | undefined,
): CheckpointCheck {
  const log = parseVerifierKey(logVkey);
  if (log?.type !== KEY_TYPE_ED25519) return { ok: false, reason: 'UNKNOWN_LOG_KEY', detail: 'the log key is not a valid Ed25519 vkey' };
  const witnessKeys = (witnesses?.vkeys ?? []).map(parseVerifierKey).filter((v): v is NoteVerifier => v !== null);
  const opened = openNote(note, [log, ...witnessKeys]);
  if (!opened.ok) {
    const reason = opened.reason === 'MALFORMED' ? 'MALFORMED' : opened.reason === 'UNVERIFIED' ? 'UNKNOWN_LOG_KEY' : 'BAD_SIGNATURE';
    return { ok: false, reason, detail: opened.detail };
  }
  if (!opened.verified.some((s) => s.verifier === log)) {
    return { ok: false, reason: 'UNKNOWN_LOG_KEY', detail: `the checkpoint is not signed by ${log.name}` };
  }
  const checkpoint = parseCheckpoint(opened.text);
  if (!checkpoint) return { ok: false, reason: 'MALFORMED', detail: 'the note is not a checkpoint' };
  if (checkpoint.origin !== log.name) {
    return { ok: false, reason: 'ORIGIN_MISMATCH', detail: `origin ${checkpoint.origin} is not the log key's name ${log.name}` };
  }
  const cosigners = [...new Set(opened.verified.filter((s) => s.verifier !== log).map((s) => s.name))];
  if (witnesses && cosigners.length < witnesses.threshold) {
    return {
      ok: false,
      reason: 'NOT_ENOUGH_WITNESSES',
      detail: `${cosigners.length} of the required ${witnesses.threshold} witnesses cosigned`,
    };
  }
  return { ok: true, checkpoint, text: opened.text, witnesses: cosigners };
}
