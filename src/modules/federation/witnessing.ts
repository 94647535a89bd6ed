/**
 * Cross-witnessing (跨省互证): every other member of the directory witnesses this node's ledger and
 * this node witnesses theirs, with the log and witness keys the directory publishes, never with
 * manual configuration. Checkpoints travel by the ledger's tlog-witness push (its own timer, with
 * back-off, so no witness holds up an append); each node reports what it cosigned to the hub in a
 * signed message (`federation.cosigned`); the hub keeps the reports, publishes each member's latest
 * cosigned checkpoint, and records two checkpoints of the same size with different roots as
 * evidence that the member equivocated. Each node also compares what it cosigned with what every
 * other member reported through the hub (gossip), and keeps its own finding.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { AppError } from '../../core/errors.ts';
import type { Executor } from '../../db/database.ts';
import { openCheckpoint, parseCheckpoint } from '../../verify/checkpoint.ts';
import { parseNote } from '../../verify/signed-note.ts';
import { bytesToHex, utf8 } from '../../verify/tlog-bytes.ts';
import type { Directory } from './directory.ts';
import type { DirectoryMember } from './documents.ts';
import type { FederationContext } from './federation-context.ts';
import * as repo from './federation.repository.ts';
import type { MessageTypeHandler } from './message-types.ts';
import { federated } from './node-identity.ts';

export const COSIGNED_TYPE = 'federation.cosigned';
/** How many checkpoints one report may carry (one per member witnessed). */
const MAX_REPORTED = 256;

/** A member's ledger as the hub publishes it: its latest cosigned checkpoint, who cosigned it, and any equivocation. */
export interface PublishedCheckpoint {
  memberId: string;
  name: string;
  origin: string | null;
  size: number | null;
  /** The checkpoint with the log's signature and every cosignature reported for it (C2SP signed note). */
  checkpoint: string | null;
  cosigners: string[];
  equivocating: boolean;
  evidence: { kind: string; detail: string; noteA: string; noteB: string; detectedAt: string }[];
}

export interface WitnessingRound {
  witnessed: number;
  witnesses: number;
  reported: number;
  gossip: { origin: string; peer: string; status: string; detail: string }[];
}

/** The name of a vkey (`<name>+<hash>+<key>`): a log's origin, a witness's key name. */
const keyName = (vkey: string) => vkey.slice(0, vkey.indexOf('+'));

export function createWitnessing(
  ctx: FederationContext,
  deps: {
    directory: Directory;
    send: (tx: Executor, to: string, type: string, payload: Record<string, unknown>) => Promise<unknown>;
  },
) {
  const { db, clock } = ctx;
  let lastReport = '';
  /** The hub's own directory entry, read outside any transaction before reports are recorded. */
  let selfMember: DirectoryMember | null = null;
  const primeSelf = async () => {
    if (selfMember || ctx.config.role !== 'hub' || !ctx.witnessing) return;
    const me = federated(ctx.config).memberId;
    selfMember = ((await deps.directory.current())?.members ?? []).find((m) => m.memberId === me) ?? null;
  };
  const requireHub = () => {
    if (federated(ctx.config).role !== 'hub') throw new AppError('FEDERATION_NOT_HUB');
  };

  /** The hub's side of a report: each checkpoint must carry its log's signature and the reporter's cosignature. */
  async function recordCosigned(
    executor: Executor,
    witnessId: string,
    notes: unknown[],
  ): Promise<{ accepted: number; refused: number; equivocations: number }> {
    // Read through the caller's transaction (PGlite has one connection): approved members and the hub itself.
    const rows = (await repo.listMembers(executor)).filter((r) => r.status === 'approved' && r.ledger);
    const members: DirectoryMember[] = [
      ...(selfMember ? [selfMember] : []),
      ...rows.map((r) => ({
        memberId: r.memberId,
        name: r.name,
        endpoint: r.endpoint,
        keys: r.keys,
        services: r.services,
        datasets: r.datasets,
        ledger: r.ledger!,
      })),
    ];
    const witness = members.find((m) => m.memberId === witnessId);
    let accepted = 0;
    let refused = 0;
    let equivocations = 0;
    for (const note of notes.slice(0, MAX_REPORTED)) {
      if (typeof note !== 'string' || !witness?.ledger) {
        refused++;
        continue;
      }
      const origin = note.slice(0, note.indexOf('\n'));
      const subject = members.find((m) => m.ledger && keyName(m.ledger.logVkey) === origin);
      const opened = subject?.ledger
        ? openCheckpoint(note, subject.ledger.logVkey, { vkeys: [witness.ledger.witnessVkey], threshold: 1 })
        : null;
      if (!subject || !opened?.ok) {
        refused++;
        continue;
      }
      const row: repo.CosignedRow = {
        memberId: subject.memberId,
        witnessId,
        size: opened.checkpoint.size,
        rootHash: bytesToHex(opened.checkpoint.rootHash),
        note,
        reportedAt: clock(),
      };
      if (!(await repo.insertCosigned(executor, row))) continue;
      accepted++;
      for (const other of await repo.listCosigned(executor, subject.memberId)) {
        if (other.size !== row.size || other.rootHash === row.rootHash) continue;
        const [noteA, noteB] = [logSigned(other.note), logSigned(row.note)].sort() as [string, string];
        const created = await repo.insertEquivocation(executor, {
          evidenceDigest: bytesToHex(sha256(utf8(`${noteA}\u0000${noteB}`))),
          memberId: subject.memberId,
          kind: 'FORK',
          noteA,
          noteB,
          detail: `${subject.memberId} signed two trees of size ${row.size}: roots ${other.rootHash.slice(0, 16)}… (cosigned by ${other.witnessId}) and ${row.rootHash.slice(0, 16)}… (cosigned by ${witnessId})`,
          detectedAt: clock(),
        });
        if (created) equivocations++;
      }
    }
    return { accepted, refused, equivocations };
  }

  /** A note with its log's signature only (the evidence: the member signed both). */
  function logSigned(note: string): string {
    const parsed = parseNote(note);
    if (!parsed) return note;
    const origin = parsed.text.slice(0, parsed.text.indexOf('\n'));
    return `${parsed.text}\n${parsed.signatures
      .filter((s) => s.name === origin)
      .map((s) => s.line)
      .join('')}`;
  }

  const cosignedType: MessageTypeHandler = {
    type: COSIGNED_TYPE,
    async apply(tx, message) {
      const notes = Array.isArray(message.payload.checkpoints) ? (message.payload.checkpoints as unknown[]) : [];
      if (ctx.config.role !== 'hub') return { accepted: 0, refused: notes.length, reason: 'not the hub' };
      return recordCosigned(tx, message.from, notes);
    },
  };

  const others = async (): Promise<DirectoryMember[]> => {
    const me = federated(ctx.config).memberId;
    return ((await deps.directory.current())?.members ?? []).filter((m) => m.memberId !== me && m.ledger);
  };

  const api = {
    cosignedType,

    /** The directory's members into the ledger's configuration: each one a witness of this log, and a log this node witnesses. */
    async sync(): Promise<{ witnessed: number; witnesses: number }> {
      const ports = ctx.witnessing;
      if (!ports) return { witnessed: 0, witnesses: 0 };
      let witnessed = 0;
      let witnesses = 0;
      for (const member of await others()) {
        const { logVkey, witnessVkey } = member.ledger!;
        const endpoint = member.endpoint.replace(/\/+$/, '');
        await ports.addWitness(witnessVkey, `${endpoint}/witness`).then(() => witnesses++, ignore);
        await ports.addLog(logVkey, endpoint).then(() => witnessed++, ignore);
      }
      return { witnessed, witnesses };
    },

    /** Reports what this node cosigned to the hub (a signed message through the outbox; the hub records its own directly). */
    async report(): Promise<number> {
      const ports = ctx.witnessing;
      if (!ports) return 0;
      const notes = (await ports.cosigned()).map((c) => c.note).sort();
      const digest = bytesToHex(sha256(utf8(notes.join('\u0000'))));
      if (notes.length === 0 || digest === lastReport) return 0;
      const config = federated(ctx.config);
      await primeSelf();
      if (config.role === 'hub') await db.transaction((tx) => recordCosigned(tx, config.memberId, notes));
      else {
        const hub = (await deps.directory.current())?.hub;
        if (!hub) return 0;
        await db.transaction((tx) => deps.send(tx, hub, COSIGNED_TYPE, { checkpoints: notes }));
      }
      lastReport = digest;
      return notes.length;
    },

    /** Compares what this node cosigned with what each other member reported to the hub (gossip through the hub). */
    async gossip(): Promise<WitnessingRound['gossip']> {
      const ports = ctx.witnessing;
      if (!ports) return [];
      const config = federated(ctx.config);
      const hubUrl = config.role === 'hub' ? ctx.publicUrl : ((await repo.hubPin(db))?.hubUrl ?? config.hubUrl);
      const results: WitnessingRound['gossip'] = [];
      for (const member of await others()) {
        const peer = `${hubUrl.replace(/\/+$/, '')}/api/federation/cosigned/${encodeURIComponent(member.memberId)}`;
        for (const r of await ports.gossip(peer).catch(() => [])) results.push({ ...r, peer: member.memberId });
      }
      return results;
    },

    /** The latest note a member reported cosigned for the log with this origin hash (the hub's gossip view), or null. */
    async cosignedBy(witnessId: string, originHash: string): Promise<string | null> {
      requireHub();
      const rows = (await repo.listCosigned(db)).filter((r) => r.witnessId === witnessId);
      const row = rows.find((r) => bytesToHex(sha256(utf8(r.note.slice(0, r.note.indexOf('\n'))))) === originHash);
      return row?.note ?? null;
    },

    /** The hub's published view: per member, its latest cosigned checkpoint with every cosignature, and its equivocations. */
    async published(): Promise<PublishedCheckpoint[]> {
      requireHub();
      const members = ((await deps.directory.current())?.members ?? []).filter((m) => m.ledger);
      const rows = await repo.listCosigned(db);
      const evidence = await repo.listEquivocations(db);
      return members.map((m) => {
        // The largest checkpoint among those cosigned by the most peers (each peer's latest may lag the others').
        const groups = new Map<string, repo.CosignedRow[]>();
        for (const r of rows.filter((row) => row.memberId === m.memberId)) {
          const key = `${r.size} ${r.rootHash}`;
          groups.set(key, [...(groups.get(key) ?? []), r]);
        }
        let same: repo.CosignedRow[] = [];
        for (const group of groups.values())
          if (group.length > same.length || (group.length === same.length && group[0]!.size > same[0]!.size)) same = group;
        const top = same[0];
        const lines = new Map<string, string>();
        let text: string | null = null;
        for (const r of same) {
          const parsed = parseNote(r.note);
          if (!parsed) continue;
          text = parsed.text;
          for (const s of parsed.signatures) lines.set(`${s.name} ${s.line}`, s.line);
        }
        const found = evidence.filter((e) => e.memberId === m.memberId);
        return {
          memberId: m.memberId,
          name: m.name,
          origin: keyName(m.ledger!.logVkey),
          size: top?.size ?? null,
          checkpoint: text === null ? null : `${text}\n${[...lines.values()].join('')}`,
          cosigners: same.map((r) => r.witnessId),
          equivocating: found.length > 0,
          evidence: found.map((e) => ({
            kind: e.kind,
            detail: e.detail,
            noteA: e.noteA,
            noteB: e.noteB,
            detectedAt: e.detectedAt.toISOString(),
          })),
        };
      });
    },

    /**
     * The hub's cosignature reports pruned (`yiban serve`, hourly): per member and witness the newest
     * (what the published view reads), and every report of a checkpoint an equivocation names (the
     * evidence stays whole). How many reports went.
     */
    async prune(): Promise<number> {
      if (ctx.config.role !== 'hub') return 0;
      const keep = (await repo.listEquivocations(db)).flatMap((e) =>
        [e.noteA, e.noteB].flatMap((note) => {
          const text = parseNote(note)?.text;
          const checkpoint = text === undefined ? null : (parseCheckpoint(text) ?? parseCheckpoint(`${text}\n`));
          return checkpoint ? [{ memberId: e.memberId, size: checkpoint.size, rootHash: bytesToHex(checkpoint.rootHash) }] : [];
        }),
      );
      return repo.pruneCosigned(db, keep);
    },

    /** One round of the background loop (`yiban serve`): refresh (province), sync, report, gossip. */
    async round(): Promise<WitnessingRound> {
      if (ctx.config.role === 'province') await deps.directory.refresh();
      await primeSelf();
      const synced = await api.sync();
      const reported = await api.report();
      const gossip = await api.gossip();
      return { ...synced, reported, gossip };
    },
  };
  return api;
}

const ignore = () => undefined;

export type Witnessing = ReturnType<typeof createWitnessing>;
