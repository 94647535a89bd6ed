import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../../test/factories.ts';
import { testEngines } from '../../../test/db.ts';
import { testMember } from '../../../test/federation-fixtures.ts';
import { formatCheckpoint } from '../../verify/checkpoint.ts';
import { hashLeaf } from '../../verify/merkle.ts';
import { cosignatureSigner, ed25519Signer, signNote, signatureLine } from '../../verify/signed-note.ts';
import * as repo from './federation.repository.ts';
import { COSIGNED_TYPE } from './witnessing.ts';

const HUB = 'CN/GOV/000000/hub';
const HEBEI = 'CN/GOV/130000/yiban';
const GUANGXI = 'CN/GOV/450000/yiban';
const FORKER = 'CN/GOV/310000/test';

/** Members whose log and witness keys the test holds, approved at a hub in this process. */
const keysOf = (seed: number, name: string) => ({
  log: ed25519Signer(`${name}/ledger`, new Uint8Array(32).fill(seed)),
  witness: cosignatureSigner(`${name}/witness`, new Uint8Array(32).fill(seed + 100), () => 1_800_000_000),
});
const hebei = keysOf(1, 'hebei.test');
const guangxi = keysOf(2, 'guangxi.test');
const forker = keysOf(3, 'forker.test');

/** A checkpoint of `size` over one leaf, signed by `log` and cosigned by `witness`. */
function cosigned(log: ReturnType<typeof keysOf>, witness: ReturnType<typeof keysOf>, size: number, leaf: string): string {
  const text = formatCheckpoint({ origin: log.log.name, size, rootHash: hashLeaf(new TextEncoder().encode(leaf)), extensions: [] });
  return `${signNote(text, [log.log])}`.replace(/\n$/, '') + `\n${signatureLine(witness.witness, witness.witness.sign(text))}`;
}

describe.each(testEngines())('cross-witnessing at the hub (%s)', (engine) => {
  let ctx: TestContext;
  const report = (from: string, checkpoints: string[]) =>
    ctx.database.db.transaction((tx) =>
      ctx.services.federation.witnessing.cosignedType.apply(tx, {
        id: randomUUID(),
        from,
        to: HUB,
        type: COSIGNED_TYPE,
        payload: { checkpoints },
        created: new Date().toISOString(),
      }),
    );

  beforeAll(async () => {
    ctx = await createTestContext(engine, { publicUrl: 'http://127.0.0.1:9', federation: { role: 'hub', memberId: HUB, name: '中枢' } });
    const now = new Date();
    for (const [memberId, keys] of [
      [HEBEI, hebei],
      [GUANGXI, guangxi],
      [FORKER, forker],
    ] as const) {
      const { join } = testMember(memberId);
      await repo.upsertMember(ctx.database.db, {
        ...join,
        keys: join.keys.map((k) => ({ ...k, alg: 'sm2-sm3' as const })),
        status: 'approved',
        nationalCertificate: null,
        ledger: { logVkey: keys.log.vkey, witnessVkey: keys.witness.vkey },
        requestedAt: now,
        approvedAt: now,
        updatedAt: now,
      });
    }
  }, 120_000);

  afterAll(async () => {
    await ctx?.close();
  });

  it('publishes the members’ ledger keys in the signed directory', async () => {
    const doc = (await ctx.services.federation.directory.signedDirectory()).document;
    expect(doc.members.find((m) => m.memberId === HEBEI)?.ledger?.logVkey).toBe(hebei.log.vkey);
    // The hub publishes its own log and witness keys too.
    expect(doc.members.find((m) => m.memberId === HUB)?.ledger?.witnessVkey).toMatch(/\/witness\+/);
  });

  it('keeps reports that verify, merges the cosignatures and refuses the rest', async () => {
    expect(await report(GUANGXI, [cosigned(hebei, guangxi, 3, 'h')])).toMatchObject({ accepted: 1, refused: 0 });
    expect(await report(HUB, [])).toMatchObject({ accepted: 0 });
    // Cosigned by another witness than the reporter, or for a log nobody publishes: refused.
    expect(await report(GUANGXI, [cosigned(hebei, forker, 3, 'h'), 'not a note'])).toMatchObject({ accepted: 0, refused: 2 });
    expect(await report(FORKER, [cosigned(hebei, forker, 3, 'h')])).toMatchObject({ accepted: 1 });
    const view = await ctx.services.federation.witnessing.published();
    const h = view.find((m) => m.memberId === HEBEI)!;
    expect(h).toMatchObject({ size: 3, equivocating: false });
    expect(h.cosigners.sort()).toEqual([FORKER, GUANGXI].sort());
    expect(h.checkpoint!.split('\n').filter((l) => l.startsWith('\u2014 '))).toHaveLength(3);
  });

  it('records two trees of one size shown to two peers as an equivocation', async () => {
    expect(await report(HEBEI, [cosigned(forker, hebei, 1, 'a')])).toMatchObject({ accepted: 1, equivocations: 0 });
    expect(await report(GUANGXI, [cosigned(forker, guangxi, 1, 'b')])).toMatchObject({ accepted: 1, equivocations: 1 });
    // The same report again changes nothing.
    expect(await report(GUANGXI, [cosigned(forker, guangxi, 1, 'b')])).toMatchObject({ accepted: 0, equivocations: 0 });
    const view = await ctx.services.federation.witnessing.published();
    const f = view.find((m) => m.memberId === FORKER)!;
    expect(f.equivocating).toBe(true);
    expect(f.evidence).toHaveLength(1);
    expect(f.evidence[0]).toMatchObject({ kind: 'FORK' });
    // The evidence holds the log's signature only: both notes are the forker's own.
    for (const note of [f.evidence[0]!.noteA, f.evidence[0]!.noteB])
      expect(note.split('\n').filter((l) => l.startsWith('\u2014 '))).toHaveLength(1);
    expect(view.find((m) => m.memberId === HEBEI)!.equivocating).toBe(false);
    const peerView = await ctx.services.federation.witnessing.cosignedBy(HEBEI, createHash('sha256').update(forker.log.name).digest('hex'));
    expect(peerView).toContain(forker.log.name);
  });

  it('prunes the reports to the newest per member and witness, keeping every checkpoint an equivocation names', async () => {
    expect(await report(GUANGXI, [cosigned(hebei, guangxi, 4, 'h4'), cosigned(hebei, guangxi, 5, 'h5')])).toMatchObject({ accepted: 2 });
    // A newer checkpoint of the forker cosigned by Guangxi: its older one (size 1, root b) is evidence and stays.
    expect(await report(GUANGXI, [cosigned(forker, guangxi, 2, 'c')])).toMatchObject({ accepted: 1 });
    const before = await repo.listCosigned(ctx.database.db);
    const keyOf = (r: repo.CosignedRow) => `${r.memberId} ${r.witnessId} ${r.size}`;
    expect(before.map(keyOf).sort()).toEqual(
      [
        `${HEBEI} ${GUANGXI} 3`,
        `${HEBEI} ${GUANGXI} 4`,
        `${HEBEI} ${GUANGXI} 5`,
        `${HEBEI} ${FORKER} 3`,
        `${FORKER} ${HEBEI} 1`,
        `${FORKER} ${GUANGXI} 1`,
        `${FORKER} ${GUANGXI} 2`,
      ].sort(),
    );
    expect(await ctx.services.federation.witnessing.prune()).toBe(2);
    const after = await repo.listCosigned(ctx.database.db);
    expect(after.map(keyOf).sort()).toEqual(
      [`${HEBEI} ${GUANGXI} 5`, `${HEBEI} ${FORKER} 3`, `${FORKER} ${HEBEI} 1`, `${FORKER} ${GUANGXI} 1`, `${FORKER} ${GUANGXI} 2`].sort(),
    );
    // Nothing more to prune; the published view still shows the newest checkpoint and the equivocation with its evidence.
    expect(await ctx.services.federation.witnessing.prune()).toBe(0);
    const view = await ctx.services.federation.witnessing.published();
    expect(view.find((m) => m.memberId === HEBEI)).toMatchObject({ size: 5, equivocating: false });
    expect(view.find((m) => m.memberId === FORKER)).toMatchObject({ equivocating: true });
  });
});
