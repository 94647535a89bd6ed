import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCheckpoint } from '../src/verify/checkpoint.ts';
import { hashLeaf } from '../src/verify/merkle.ts';
import { cosignatureSigner, ed25519Signer, signNote } from '../src/verify/signed-note.ts';
import { formatAddCheckpointBody } from '../src/modules/ledger/witness-protocol.ts';
import { signedPost, testMember } from './federation-fixtures.ts';
import { cli, nodeSpec, start, stop, until, type NodeSpec } from './federation-nodes.ts';
import { pgliteDataDirFromTemplate } from './db-template.ts';

/**
 * Issue 16, cross-witnessing, with real processes: a hub and two province nodes (`yiban serve`,
 * each with its own PGlite data folder) witness each other's ledgers with the keys the hub's
 * directory publishes, and the hub publishes each member's checkpoint with its peers'
 * cosignatures. A member whose log key the test holds shows Hebei one tree of size 1 and Guangxi
 * another: the hub and both provinces detect the split view. With Guangxi down, Hebei's ledger
 * and messages go on and the hub keeps cosigning them.
 */
const HUB = 'CN/GOV/000000/hub';
const HEBEI = 'CN/GOV/130000/yiban';
const GUANGXI = 'CN/GOV/450000/yiban';
const FORKER = 'CN/GOV/310000/test';
/** Witnessing every 300 ms (5 s in service), so that the test waits less. */
const WITNESS_EVERY = { YIBAN_FEDERATION_WITNESS_MS: '300' };

interface Published {
  memberId: string;
  size: number | null;
  checkpoint: string | null;
  cosigners: string[];
  equivocating: boolean;
  evidence: { kind: string; noteA: string; noteB: string }[];
}

describe('cross-witnessing between federated node processes', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'yiban-fed-witness-'));
  let hub: NodeSpec;
  let hebei: NodeSpec;
  let guangxi: NodeSpec;
  // The forking member: its SM2 message key, and its ledger's log key, held by the test.
  const forker = testMember(FORKER);
  const log = ed25519Signer('forker.yiban.test/ledger', new Uint8Array(32).fill(5));
  const forkerWitness = cosignatureSigner('forker.yiban.test/witness', new Uint8Array(32).fill(6), () => Date.now() / 1000);

  const published = async (): Promise<Published[]> => {
    const response = await fetch(`${hub.url}/api/federation/checkpoints`);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return ((await response.json()) as { members: Published[] }).members;
  };
  const findings = async (node: NodeSpec) =>
    (await (await fetch(`${node.url}/api/witness/findings`)).json()) as { origin: string; kind: string }[];

  beforeAll(async () => {
    hub = await nodeSpec('hub', 'hub', HUB, undefined, dir, WITNESS_EVERY);
    hebei = await nodeSpec('hebei', 'province', HEBEI, hub.url, dir, WITNESS_EVERY);
    guangxi = await nodeSpec('guangxi', 'province', GUANGXI, hub.url, dir, WITNESS_EVERY);
    // Their databases from the migrated template (test/db-template.ts): no initdb or migrations at each first start.
    for (const n of [hub, hebei, guangxi]) await pgliteDataDirFromTemplate(n.env.YIBAN_DATA_DIR!);
    await start(hub);
    const joins = await Promise.all([cli(hebei, ['federation', 'join']), cli(guangxi, ['federation', 'join'])]);
    for (const out of joins) expect(out).toContain('pending');
    const body = JSON.stringify({ ...forker.join, ledger: { logVkey: log.vkey, witnessVkey: forkerWitness.vkey } });
    const request = await signedPost(`${hub.url}/api/federation/members`, forker.signing, body, { idempotencyKey: `join-${FORKER}` });
    expect((await request.send()).status).toBe(202);
    await stop(hub);
    expect(await cli(hub, ['federation', 'approve', HEBEI, GUANGXI, FORKER])).toContain(FORKER);
    await start(hub);
    await Promise.all([start(hebei), start(guangxi)]);
  }, 600_000);

  afterAll(async () => {
    for (const n of [hub, hebei, guangxi]) if (n) await stop(n);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('has every honest node cosigned by every other node, from the directory alone', async () => {
    const nodes = [HUB, HEBEI, GUANGXI];
    const view = await until(
      'every node cosigned by both peers',
      async () => {
        const members = await published();
        const honest = members.filter((m) => nodes.includes(m.memberId));
        const done =
          honest.length === 3 &&
          honest.every((m) => nodes.filter((n) => n !== m.memberId).every((peer) => m.cosigners.includes(peer)) && !m.equivocating);
        return done ? members : undefined;
      },
      240_000,
    );
    for (const m of view.filter((v) => nodes.includes(v.memberId))) {
      // The published note carries the log's signature and both peers' cosignatures.
      expect(m.checkpoint!.split('\n').filter((l) => l.startsWith('\u2014 ')).length).toBeGreaterThanOrEqual(3);
    }
    expect((await cli(hebei, ['federation', 'checkpoints'])).length).toBeGreaterThan(0);
  }, 300_000);

  it('detects a member that shows Hebei and Guangxi two trees of the same size', async () => {
    const note = (leaf: string) =>
      signNote(formatCheckpoint({ origin: log.name, size: 1, rootHash: hashLeaf(new TextEncoder().encode(leaf)), extensions: [] }), [log]);
    const push = (node: NodeSpec, leaf: string) =>
      fetch(`${node.url}/witness/add-checkpoint`, {
        method: 'POST',
        body: formatAddCheckpointBody({ oldSize: 0, proof: [], note: note(leaf) }),
      });
    // Each province witnesses the forker once its directory lists it; each cosigns the tree it is shown.
    await until('Hebei to cosign one history', async () => (await push(hebei, 'a')).status === 200 || undefined);
    await until('Guangxi to cosign another', async () => (await push(guangxi, 'b')).status === 200 || undefined);
    const forkerView = await until('the hub to mark the forker equivocating', async () =>
      (await published()).find((m) => m.memberId === FORKER && m.equivocating),
    );
    expect(forkerView.evidence[0]!.kind).toBe('FORK');
    expect(forkerView.evidence[0]!.noteA).not.toBe(forkerView.evidence[0]!.noteB);
    // Each province compared what it cosigned with what the other reported through the hub.
    for (const node of [hebei, guangxi])
      await until(
        `${node.name} to record the split view`,
        async () => (await findings(node)).some((f) => f.origin === log.name && f.kind === 'FORK') || undefined,
      );
    const honest = (await published()).filter((m) => m.memberId !== FORKER);
    expect(honest.every((m) => !m.equivocating)).toBe(true);
    const splitViewDetected = forkerView.equivocating;
    expect(splitViewDetected).toBe(true);
  }, 300_000);

  it('goes on appending, messaging and cosigning with one peer down', async () => {
    await stop(guangxi);
    // What the hub last reported cosigned for Hebei's log (the hub's gossip view).
    const hebeiOrigin = createHash('sha256').update(`${HEBEI.toLowerCase()}/ledger`).digest('hex');
    const hubCosigned = async () => {
      const response = await fetch(`${hub.url}/api/federation/cosigned/${encodeURIComponent(HUB)}/${hebeiOrigin}/checkpoint`);
      return response.ok ? Number((await response.text()).split('\n')[1]) : undefined;
    };
    const before = await until('the hub to have cosigned Hebei', hubCosigned);
    // A signed message to Hebei (a ledger leaf there), while Guangxi, one of its witnesses, is down.
    const body = JSON.stringify({
      id: randomUUID(),
      from: FORKER,
      to: HEBEI,
      type: 'ping',
      payload: {},
      created: new Date().toISOString(),
    });
    const id = (JSON.parse(body) as { id: string }).id;
    const sent = await signedPost(`${hebei.url}/api/federation/messages`, forker.signing, body, { idempotencyKey: id });
    expect((await sent.send()).status).toBe(200);
    await until('the hub to cosign Hebei’s grown log without Guangxi', async () => ((await hubCosigned()) ?? 0) > before || undefined);
    await start(guangxi);
  }, 300_000);
});
