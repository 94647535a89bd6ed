/**
 * Yiban as a C2SP tlog-witness over real HTTP (127.0.0.1, port 0): add-checkpoint's answers
 * (200, 409 with text/x.tlog.size, 422, 403, 404, 400), the compare-and-swap under concurrent
 * requests, and split views planted by a log that signs two histories with one key: refused and
 * recorded by one witness, and found by two witnesses comparing what they cosigned.
 */
import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { afterAll, assert, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testEngines } from '../../../test/db.ts';
import type { Database } from '../../db/database.ts';
import { buildServer, type App } from '../../http/server.ts';
import { formatCheckpoint } from '../../verify/checkpoint.ts';
import { consistencyProofRanges, hashLeaf, merkleRoot } from '../../verify/merkle.ts';
import {
  cosignatureTimestamp,
  ed25519Signer,
  openNote,
  parseSignatureLine,
  parseVerifierKey,
  signNote,
  type NoteSigner,
} from '../../verify/signed-note.ts';
import { encodeBase64 } from '../../verify/tlog-bytes.ts';
import { formatAddCheckpointBody } from './witness-protocol.ts';
import { createWitnessService, originHash, type WitnessService } from './witness-service.ts';
import { witnessApiRoutes, witnessRoutes } from './witness.routes.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);

/** A log that can sign any history under one key: honest when it keeps to one. */
function fakeLog(origin: string) {
  const signer = ed25519Signer(origin, ed25519.utils.randomSecretKey());
  const leaves = (tag: string, n: number) => Array.from({ length: n }, (_, i) => hashLeaf(utf8(`${tag} ${i}`)));
  return {
    origin,
    signer,
    leaves,
    checkpoint: (history: Uint8Array[], size: number, by: NoteSigner = signer) =>
      signNote(formatCheckpoint({ origin, size, rootHash: merkleRoot(history.slice(0, size)), extensions: [] }), [by]),
    proof: (history: Uint8Array[], m: number, n: number) =>
      consistencyProofRanges(m, n).map((r) => merkleRoot(history.slice(r.start, r.end))),
  };
}

interface Node {
  database: Database;
  witness: WitnessService;
  app: App;
  url: string;
}

async function startWitness(engine: 'pglite' | 'postgres', name: string): Promise<Node> {
  const database = await createTestDatabase(engine);
  const witness = createWitnessService({ db: database.db, masterKey: randomBytes(32), name });
  const app = await buildServer({
    database,
    auth: { authenticate: () => Promise.resolve(null) },
    apiRoutes: [witnessApiRoutes({ witness })],
    rootRoutes: [witnessRoutes({ witness })],
    logLevel: 'silent',
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { database, witness, app, url };
}

async function addCheckpoint(node: Node, body: string): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(`${node.url}/witness/add-checkpoint`, { method: 'POST', body });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

describe.each(testEngines())('C2SP tlog-witness add-checkpoint on %s', (engine) => {
  let w1: Node;
  let w2: Node;
  const log = fakeLog('fake.example/log');
  const history = log.leaves('A', 64);
  const submit = (node: Node, oldSize: number, size: number, h = history) =>
    addCheckpoint(
      node,
      formatAddCheckpointBody({ oldSize, proof: oldSize === 0 ? [] : log.proof(h, oldSize, size), note: log.checkpoint(h, size) }),
    );

  beforeAll(async () => {
    [w1, w2] = await Promise.all([startWitness(engine, 'w1.example/witness'), startWitness(engine, 'w2.example/witness')]);
    for (const node of [w1, w2]) await node.witness.addLog(log.signer.vkey);
  });

  afterAll(async () => {
    for (const node of [w1, w2]) {
      await node?.app.close();
      await node?.database.close();
    }
  });

  it('cosigns from the empty tree, answers 409 with the size it holds, then cosigns the extension', async () => {
    const first = await submit(w1, 0, 5);
    expect(first.status).toBe(200);
    const vkey = await w1.witness.vkey();
    const cosigned = openNote(log.checkpoint(history, 5) + first.text, [parseVerifierKey(log.signer.vkey)!, parseVerifierKey(vkey)!]);
    assert(cosigned.ok);
    expect(cosigned.verified.map((s) => s.name)).toEqual(['fake.example/log', 'w1.example/witness']);
    const timestamp = cosignatureTimestamp(parseSignatureLine(first.text.trimEnd())!.signature)!;
    expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(60);

    const stale = await submit(w1, 0, 8);
    expect(stale).toMatchObject({ status: 409, type: 'text/x.tlog.size', text: '5\n' });
    expect((await submit(w1, 5, 8)).status).toBe(200);

    // The monitoring endpoint serves the latest: the log's signature and this witness's.
    const served = await fetch(`${w1.url}/witness/${originHash(log.origin)}/checkpoint`);
    const note = await served.text();
    expect(note.startsWith(`fake.example/log\n8\n${encodeBase64(merkleRoot(history.slice(0, 8)))}\n\n`)).toBe(true);
    const opened = openNote(note, [parseVerifierKey(log.signer.vkey)!, parseVerifierKey(vkey)!]);
    assert(opened.ok);
    expect(opened.verified).toHaveLength(2);
    expect((await fetch(`${w1.url}/witness/${originHash('nobody.example/log')}/checkpoint`)).status).toBe(404);
    // The same checkpoint again is cosigned again (a log retrying after a lost answer).
    expect((await submit(w1, 8, 8)).status).toBe(200);
  });

  it('refuses a bad proof (422), an unknown log (404), a wrong signature (403) and malformed requests (400)', async () => {
    const proof = log.proof(history, 8, 12);
    proof[0] = new Uint8Array(32).fill(7);
    const bad = await addCheckpoint(w1, formatAddCheckpointBody({ oldSize: 8, proof, note: log.checkpoint(history, 12) }));
    expect(bad.status).toBe(422);
    const other = fakeLog('other.example/log');
    expect((await addCheckpoint(w1, formatAddCheckpointBody({ oldSize: 0, proof: [], note: other.checkpoint(history, 3) }))).status).toBe(
      404,
    );
    // Same name, another key: no signature from the trusted key.
    const impostor = ed25519Signer(log.origin, ed25519.utils.randomSecretKey());
    expect(
      (
        await addCheckpoint(
          w1,
          formatAddCheckpointBody({ oldSize: 8, proof: log.proof(history, 8, 12), note: log.checkpoint(history, 12, impostor) }),
        )
      ).status,
    ).toBe(403);
    // The trusted key's name and key hash with a signature that does not verify.
    const forged = log.checkpoint(history, 12).replace(/ (\S{8})\S{10}/, ' $1AAAAAAAAAA');
    expect((await addCheckpoint(w1, formatAddCheckpointBody({ oldSize: 8, proof: log.proof(history, 8, 12), note: forged }))).status).toBe(
      403,
    );
    expect((await addCheckpoint(w1, formatAddCheckpointBody({ oldSize: 13, proof: [], note: log.checkpoint(history, 12) }))).status).toBe(
      400,
    );
    expect((await addCheckpoint(w1, `old 08\n\n${log.checkpoint(history, 12)}`)).status).toBe(400);
    expect((await addCheckpoint(w1, log.checkpoint(history, 12))).status).toBe(400);
    // Nothing moved. Only the bad proof is kept, with the proof: it may be the log's or the wire's fault.
    expect((await submit(w1, 0, 9)).text).toBe('8\n');
    const findings = await w1.witness.findings();
    expect(findings.map((f) => [f.kind, f.proof])).toEqual([['INCONSISTENT', proof.map((h) => `${encodeBase64(h)}\n`).join('')]]);
  });

  it('lets exactly one of many concurrent requests from the same old size advance', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => submit(w1, 8, 9 + i)));
    const won = results.filter((r) => r.status === 200);
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(7);
    const size = 9 + results.findIndex((r) => r.status === 200);
    expect((await w1.witness.listLogs())[0]!.size).toBe(size);
    expect((await submit(w1, 0, 20)).text).toBe(`${size}\n`);
    expect((await submit(w1, size, 20)).status).toBe(200);
  });

  it('refuses another history from the same log key and records both checkpoints as a finding', async () => {
    const fork = log.leaves('B', 64);
    // Same size, another root: a fork, whatever old size the log names.
    const sameSize = await submit(w1, 20, 20, fork);
    expect(sameSize.status).toBe(422);
    expect((await submit(w1, 0, 20, fork)).status).toBe(409);
    // A larger tree that does not extend the one cosigned.
    const proof = log.proof(fork, 20, 24);
    const larger = await addCheckpoint(w1, formatAddCheckpointBody({ oldSize: 20, proof, note: log.checkpoint(fork, 24) }));
    expect(larger.status).toBe(422);

    const res = await fetch(`${w1.url}/api/witness/findings`);
    const findings = (await res.json()) as { kind: string; heldNote: string; otherNote: string; source: string }[];
    expect(findings.map((f) => f.kind).sort()).toEqual(['FORK', 'INCONSISTENT', 'INCONSISTENT']);
    const fork20 = findings.find((f) => f.kind === 'FORK')!;
    expect(fork20.source).toBe('add-checkpoint');
    expect(fork20.heldNote.startsWith(log.checkpoint(history, 20))).toBe(true);
    expect(fork20.otherNote).toBe(log.checkpoint(fork, 20));
    // Both notes verify with the log's key: the evidence convicts the log, not the witness.
    for (const note of [fork20.heldNote, fork20.otherNote]) expect(openNote(note, [parseVerifierKey(log.signer.vkey)!]).ok).toBe(true);
    expect((await w1.witness.listLogs())[0]!.size).toBe(20);
  });

  it('finds a split view between two witnesses by comparing what each cosigned (gossip)', async () => {
    const splitter = fakeLog('split.example/log');
    const a = splitter.leaves('A', 16);
    const b = splitter.leaves('B', 16);
    for (const node of [w1, w2]) await node.witness.addLog(splitter.signer.vkey);
    const post = (node: Node, h: Uint8Array[], oldSize: number, size: number) =>
      addCheckpoint(
        node,
        formatAddCheckpointBody({
          oldSize,
          proof: oldSize === 0 ? [] : splitter.proof(h, oldSize, size),
          note: splitter.checkpoint(h, size),
        }),
      );
    // Each witness alone sees a consistent log.
    expect((await post(w1, a, 0, 6)).status).toBe(200);
    expect((await post(w2, b, 0, 6)).status).toBe(200);

    const fromW1 = await w1.witness.gossip(`${w2.url}/witness`);
    expect(fromW1.find((r) => r.origin === splitter.origin)?.status).toBe('SPLIT_VIEW');
    // fake.example/log: w2 never cosigned it.
    expect(fromW1.find((r) => r.origin === log.origin)?.status).toBe('NOT_WITNESSED');
    const fromW2 = await w2.witness.gossip(`${w1.url}/witness`);
    expect(fromW2.find((r) => r.origin === splitter.origin)?.status).toBe('SPLIT_VIEW');
    const finding = (await w2.witness.findings()).find((f) => f.origin === splitter.origin)!;
    expect(finding).toMatchObject({ kind: 'FORK', source: `gossip ${w1.url}/witness` });
    expect(finding.otherNote.startsWith(splitter.checkpoint(a, 6))).toBe(true);

    // Different sizes: the proof from the log's tiles (here: history A's) does not link B's tree.
    expect((await post(w1, a, 6, 9)).status).toBe(200);
    const proofsFromA = (_l: unknown, from: number, to: number) => Promise.resolve(splitter.proof(a, from, to));
    const later = await w2.witness.gossip(`${w1.url}/witness`, { proofs: proofsFromA });
    expect(later.find((r) => r.origin === splitter.origin)?.status).toBe('SPLIT_VIEW');
    expect(
      (await w2.witness.findings())
        .filter((f) => f.origin === splitter.origin)
        .map((f) => f.kind)
        .sort(),
    ).toEqual(['FORK', 'INCONSISTENT']);
  });

  it('finds nothing when two witnesses saw one history at different sizes', async () => {
    const honest = fakeLog('honest.example/log');
    const h = honest.leaves('H', 16);
    for (const node of [w1, w2]) await node.witness.addLog(honest.signer.vkey);
    const post = (node: Node, oldSize: number, size: number) =>
      addCheckpoint(
        node,
        formatAddCheckpointBody({ oldSize, proof: oldSize === 0 ? [] : honest.proof(h, oldSize, size), note: honest.checkpoint(h, size) }),
      );
    expect((await post(w1, 0, 3)).status).toBe(200);
    expect((await post(w1, 3, 11)).status).toBe(200);
    expect((await post(w2, 0, 7)).status).toBe(200);
    const proofs = (_l: unknown, from: number, to: number) => Promise.resolve(honest.proof(h, from, to));
    const results = await w2.witness.gossip(`${w1.url}/witness`, { proofs });
    expect(results.find((r) => r.origin === honest.origin)?.status).toBe('CONSISTENT');
    expect((await w2.witness.findings()).filter((f) => f.origin === honest.origin)).toEqual([]);
  });
});
