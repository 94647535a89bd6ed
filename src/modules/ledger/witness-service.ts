/**
 * Yiban as a witness, push model (C2SP tlog-witness): logs submit checkpoints to
 * `add-checkpoint` with the old size and a consistency proof; the witness checks the log's
 * signature with the vkey configured for the origin, checks the proof against the checkpoint it
 * last cosigned, advances its record by compare-and-swap and returns a cosignature/v1 line.
 * A checkpoint that contradicts the record is refused and kept as a split-view finding, and
 * `gossip` compares the record with what a peer witness cosigned for the same log.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { AppError } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import type { Db } from '../../db/database.ts';
import { openCheckpoint, type Checkpoint } from '../../verify/checkpoint.ts';
import { emptyRoot, verifyConsistency } from '../../verify/merkle.ts';
import {
  KEY_TYPE_ED25519,
  cosignatureSigner,
  parseNote,
  parseVerifierKey,
  signatureLine,
  type NoteSigner,
} from '../../verify/signed-note.ts';
import { bytesToHex, encodeBase64, equalBytes, utf8 } from '../../verify/tlog-bytes.ts';
import { consistencyProofFromTiles, httpTileSource } from '../../verify/tlog-tiles.ts';
import { loadOrCreateSeed } from './log-key.ts';
import { parseAddCheckpointBody } from './witness-protocol.ts';
import {
  advanceWitnessLog,
  deleteWitnessLog,
  findWitnessLog,
  insertFinding,
  insertWitnessLog,
  listFindings,
  listWitnessLogs,
  type WitnessLogRow,
} from './witness.repository.ts';

export interface WitnessDeps {
  db: Db;
  masterKey: Buffer;
  /** The witness's key name, e.g. `yiban.local/witness`. */
  name: string;
  clock?: () => Date;
  fetch?: typeof fetch;
}

/** What add-checkpoint answers; the route maps each status to the spec's HTTP status. */
export type AddCheckpointOutcome =
  | { status: 'COSIGNED'; signatures: string; size: number }
  | { status: 'CONFLICT'; size: number }
  | { status: 'MALFORMED' | 'UNKNOWN_LOG' | 'FORBIDDEN'; detail: string }
  | { status: 'INCONSISTENT'; detail: string; finding: boolean };

export type FindingKind = 'FORK' | 'INCONSISTENT';

export interface GossipResult {
  origin: string;
  peer: string;
  status: 'CONSISTENT' | 'SPLIT_VIEW' | 'NOT_WITNESSED' | 'NOTHING_HELD' | 'UNCHECKED' | 'PEER_ERROR';
  detail: string;
}

/** A source of consistency proofs for a log (its tiles), for comparing checkpoints of different sizes. */
export type ProofSource = (log: WitnessLogRow, from: number, to: number) => Promise<Uint8Array[]>;

/** SHA-256 of the origin, lowercase hex: the monitoring path `<prefix>/<origin hash>/checkpoint`. */
export function originHash(origin: string): string {
  return bytesToHex(sha256(utf8(origin)));
}

const short = (root: Uint8Array) => bytesToHex(root).slice(0, 16);

/** The note's text and the signature lines of the given key names (the log's, once verified). */
function noteWith(note: string, text: string, keep: (name: string) => boolean, extra: string): string {
  const lines = (parseNote(note)?.signatures ?? []).filter((s) => keep(s.name)).map((s) => s.line);
  return `${text}\n${lines.join('')}${extra}`;
}

export function createWitnessService(deps: WitnessDeps) {
  const { db, name } = deps;
  const clock = deps.clock ?? (() => new Date());
  const fetcher = deps.fetch ?? fetch;
  let cosignerPromise: Promise<NoteSigner> | undefined;
  // The seed sits in ledger_keys under a name no log key can have (key names hold no space).
  const cosigner = () =>
    (cosignerPromise ??= loadOrCreateSeed(db, deps.masterKey, `witness ${name}`).then((seed) =>
      cosignatureSigner(name, seed, () => clock().getTime() / 1000),
    )).catch((error: unknown) => {
      cosignerPromise = undefined;
      throw error;
    });

  async function recordFinding(input: {
    origin: string;
    kind: FindingKind;
    heldNote: string;
    otherNote: string;
    source: string;
    detail: string;
    proof?: Uint8Array[];
  }): Promise<boolean> {
    const pair = [input.heldNote, input.otherNote].sort().join('\u0000');
    const proof = input.proof ? input.proof.map((h) => `${encodeBase64(h)}\n`).join('') : null;
    return insertFinding(db, { ...input, proof, evidenceDigest: bytesToHex(sha256(utf8(pair))) });
  }

  /** Checks a signed checkpoint against the record; a contradiction is recorded and described. */
  async function contradiction(
    log: WitnessLogRow,
    checkpoint: Checkpoint,
    note: string,
    source: string,
    proof: Uint8Array[] | null,
  ): Promise<{ detail: string; finding: boolean } | null> {
    if (!log.note) return null;
    if (checkpoint.size === log.size) {
      if (equalBytes(checkpoint.rootHash, log.rootHash)) return null;
      const detail = `the log signed two trees of size ${log.size}: roots ${short(log.rootHash)}… and ${short(checkpoint.rootHash)}…`;
      return {
        detail,
        finding: await recordFinding({ origin: log.origin, kind: 'FORK', heldNote: log.note, otherNote: note, source, detail }),
      };
    }
    if (proof === null) return null;
    const [small, big] = checkpoint.size < log.size ? [checkpoint, log] : [log, checkpoint];
    const [smallNote, bigNote] = checkpoint.size < log.size ? [note, log.note] : [log.note, note];
    const ok = verifyConsistency({ oldSize: small.size, newSize: big.size, oldRoot: small.rootHash, newRoot: big.rootHash, proof });
    if (ok) return null;
    const detail = `the tree of size ${big.size} (root ${short(big.rootHash)}…) does not extend the tree of size ${small.size} (root ${short(small.rootHash)}…)`;
    const finding = await recordFinding({
      origin: log.origin,
      kind: 'INCONSISTENT',
      heldNote: smallNote,
      otherNote: bigNote,
      source,
      detail,
      proof,
    });
    return { detail, finding };
  }

  return {
    name,
    async vkey(): Promise<string> {
      return (await cosigner()).vkey;
    },

    /** Configures a log to witness, by its Ed25519 vkey (the key name is the origin). */
    async addLog(vkey: string, options: { url?: string } = {}): Promise<{ origin: string; vkey: string; created: boolean }> {
      const verifier = parseVerifierKey(vkey.trim());
      if (verifier?.type !== KEY_TYPE_ED25519) {
        throw new AppError('VALIDATION_FAILED', { detail: message('ledger.witness.logKeyType') });
      }
      if (options.url !== undefined && !/^https?:\/\/\S+$/.test(options.url)) {
        throw new AppError('VALIDATION_FAILED', { detail: message('ledger.witness.url') });
      }
      const url = options.url?.replace(/\/+$/, '') ?? null;
      const created = await insertWitnessLog(db, { origin: verifier.name, vkey: verifier.vkey, rootHash: emptyRoot(), url });
      if (!created && (await findWitnessLog(db, verifier.name))?.vkey !== verifier.vkey) {
        throw new AppError('ALREADY_EXISTS', { what: 'witnessLog' });
      }
      return { origin: verifier.name, vkey: verifier.vkey, created };
    },

    async removeLog(origin: string): Promise<void> {
      if (!(await deleteWitnessLog(db, origin))) throw new AppError('NOT_FOUND', { what: 'witnessLog' });
    },

    listLogs: () => listWitnessLogs(db),

    findings: (limit = 100) => listFindings(db, Math.min(Math.max(limit, 1), 1000)),

    /** The latest checkpoint cosigned for the log whose origin hashes to `hash`; null when none. */
    async checkpointFor(hash: string): Promise<string | null> {
      const log = (await listWitnessLogs(db)).find((l) => originHash(l.origin) === hash);
      return log?.note ?? null;
    },

    /** POST add-checkpoint, checked in the spec's order. */
    async addCheckpoint(body: string): Promise<AddCheckpointOutcome> {
      const request = parseAddCheckpointBody(body);
      const parsed = request ? parseNote(request.note) : null;
      if (!request || !parsed) return { status: 'MALFORMED', detail: 'not an add-checkpoint request body' };
      const origin = parsed.text.slice(0, parsed.text.indexOf('\n'));
      const log = await findWitnessLog(db, origin);
      if (!log) return { status: 'UNKNOWN_LOG', detail: `this witness does not witness ${JSON.stringify(origin)}` };
      const opened = openCheckpoint(request.note, log.vkey);
      if (!opened.ok) {
        return opened.reason === 'MALFORMED'
          ? { status: 'MALFORMED', detail: opened.detail }
          : { status: 'FORBIDDEN', detail: opened.detail };
      }
      const { checkpoint, text } = opened;
      if (request.oldSize > checkpoint.size) {
        return { status: 'MALFORMED', detail: `old size ${request.oldSize} is larger than the checkpoint's ${checkpoint.size}` };
      }
      if (checkpoint.size === 0 && !equalBytes(checkpoint.rootHash, emptyRoot())) {
        return { status: 'INCONSISTENT', detail: 'a tree of size 0 has the empty root', finding: false };
      }
      const logLine = (n: string) => n === origin;
      const submitted = noteWith(request.note, text, logLine, '');
      if (request.oldSize !== log.size) {
        // Not the spec's business, but evidence all the same: the same size with another root.
        if (checkpoint.size === log.size) await contradiction(log, checkpoint, submitted, 'add-checkpoint', null);
        return { status: 'CONFLICT', size: log.size };
      }
      if (request.oldSize === 0 && request.proof.length > 0) {
        return { status: 'INCONSISTENT', detail: 'a proof from the empty tree must be empty', finding: false };
      }
      const found = await contradiction(log, checkpoint, submitted, 'add-checkpoint', request.proof);
      if (found) return { status: 'INCONSISTENT', ...found };
      const signer = await cosigner();
      const signature = signatureLine(signer, signer.sign(text));
      const advanced = await advanceWitnessLog(db, {
        origin,
        oldSize: log.size,
        oldRoot: log.rootHash,
        size: checkpoint.size,
        rootHash: checkpoint.rootHash,
        note: noteWith(request.note, text, logLine, signature),
      });
      if (!advanced) return { status: 'CONFLICT', size: (await findWitnessLog(db, origin))?.size ?? log.size };
      return { status: 'COSIGNED', signatures: signature, size: checkpoint.size };
    },

    /**
     * Compares each log's record with the checkpoint a peer witness cosigned for it
     * (`<peer>/<origin hash>/checkpoint`): the same size with another root is a split view, and
     * so is a larger tree that the log's own tiles (or `proofs`) cannot prove consistent.
     */
    async gossip(peerUrl: string, options: { proofs?: ProofSource } = {}): Promise<GossipResult[]> {
      const peer = peerUrl.replace(/\/+$/, '');
      const proofs: ProofSource | undefined =
        options.proofs ??
        ((log, from, to) => {
          if (!log.url) throw new Error('no tile URL configured for this log');
          return consistencyProofFromTiles(httpTileSource(`${log.url}/ledger/`, fetcher), from, to);
        });
      const results: GossipResult[] = [];
      for (const log of await listWitnessLogs(db)) {
        const result = (status: GossipResult['status'], detail: string) => results.push({ origin: log.origin, peer, status, detail });
        let note: string;
        try {
          const response = await fetcher(`${peer}/${originHash(log.origin)}/checkpoint`, { signal: AbortSignal.timeout(10_000) });
          if (response.status === 404) {
            result('NOT_WITNESSED', 'the peer has cosigned nothing for this log');
            continue;
          }
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
          note = await response.text();
        } catch (error) {
          result('PEER_ERROR', (error as Error).message);
          continue;
        }
        const opened = openCheckpoint(note, log.vkey);
        if (!opened.ok) {
          result('PEER_ERROR', `the peer's checkpoint does not verify with the log key: ${opened.detail}`);
          continue;
        }
        if (!log.note) {
          result('NOTHING_HELD', 'this witness has cosigned nothing for this log yet');
          continue;
        }
        const theirs = noteWith(note, opened.text, (n) => n === log.origin, '');
        let proof: Uint8Array[] | null = null;
        if (opened.checkpoint.size !== log.size) {
          try {
            const [from, to] = [Math.min(log.size, opened.checkpoint.size), Math.max(log.size, opened.checkpoint.size)];
            proof = await proofs(log, from, to);
          } catch (error) {
            result('UNCHECKED', `sizes ${log.size} and ${opened.checkpoint.size}: no consistency proof (${(error as Error).message})`);
            continue;
          }
        }
        const found = await contradiction(log, opened.checkpoint, theirs, `gossip ${peer}`, proof);
        if (found) result('SPLIT_VIEW', found.detail);
        else
          result('CONSISTENT', `sizes ${log.size} and ${opened.checkpoint.size} agree (root ${encodeBase64(log.rootHash).slice(0, 12)}…)`);
      }
      return results;
    },
  };
}

export type WitnessService = ReturnType<typeof createWitnessService>;
