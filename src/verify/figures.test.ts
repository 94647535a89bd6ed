import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCheckpoint } from './checkpoint.ts';
import { FIGURES_FORMAT, verifyFiguresBundle, type FiguresBundle } from './figures-bundle.ts';
import { computeFigures, parsePeriod, SUPPRESSED, type FigureLeaf } from './figures.ts';
import { foldRight, hashLeaf, inclusionProofRanges, merkleRoot, perfectNodes } from './merkle.ts';
import { ed25519Signer, signNote } from './signed-note.ts';
import { encodeBase64 } from './tlog-bytes.ts';

const NOV = parsePeriod('2026-11')!;
const COUNTY = '130123';
const VILLAGE = '130123100200';
const OTHER_VILLAGE = '130123100201';
const parents = { [VILLAGE]: COUNTY, [OTHER_VILLAGE]: COUNTY, [COUNTY]: null };

let seq = 0;
/** A rating and its steps, as the ratings module writes them (times in UTC, hour-rounded). */
function rating(at: string, level: number, o: { org?: string; service?: string; realName?: boolean } = {}): FigureLeaf[] {
  const base = { kind: 'rating.v1' as const, rating: `r${++seq}`, org: o.org ?? VILLAGE, service: o.service ?? 'cert.residence' };
  return [{ ...base, event: 'rated', at, level, realName: o.realName ?? true }];
}
const step = (r: FigureLeaf, event: string, at: string, extra: Partial<FigureLeaf> = {}): FigureLeaf => ({
  kind: 'rating.v1',
  rating: r.rating,
  org: r.org,
  service: r.service,
  event,
  at,
  ...extra,
});
const many = (n: number, level: number, o: Parameters<typeof rating>[2] = {}) =>
  Array.from({ length: n }, (_, i) => rating(`2026-11-0${1 + (i % 9)}T02:00:00Z`, level, o)[0]!);

describe('computeFigures', () => {
  it('counts good and bad, rolls up to the county, and suppresses counts from 1 to k − 1 in the API and the page alike', () => {
    const leaves = [...many(6, 5), ...many(3, 1), ...many(5, 4, { org: OTHER_VILLAGE })];
    const f = computeFigures(leaves, NOV, { parents });
    expect(f.orgs[VILLAGE]!.total).toMatchObject({ ratings: 9, good: 6, goodRate: 0.6667, bad: SUPPRESSED, realNameBad: SUPPRESSED });
    expect(f.orgs[VILLAGE]!.total.callbackRate).toBe(SUPPRESSED);
    expect(f.orgs[OTHER_VILLAGE]!.total).toMatchObject({ ratings: 5, good: 5, goodRate: 1, bad: 0, callbackRate: null });
    expect(f.orgs[COUNTY]!.total).toMatchObject({ ratings: 14, good: 11, bad: SUPPRESSED });
    expect(f.orgs[COUNTY]!.services['cert.residence']!.ratings).toBe(14);
  });

  it('never shows a count from 1 to k − 1, for any leaves and k', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 40 }), fc.integer({ min: 1, max: 8 }), (levels, k) => {
        const f = computeFigures(
          levels.flatMap((l) => rating('2026-11-10T02:00:00Z', l)),
          NOV,
          { k, parents },
        );
        for (const org of Object.values(f.orgs))
          for (const cell of [org.total, ...Object.values(org.services)])
            for (const v of Object.values(cell))
              if (typeof v === 'number' && Number.isInteger(v) && v > 1) expect(v).toBeGreaterThanOrEqual(k);
      }),
    );
  });

  it('leaves out ratings overturned on appeal, everywhere, but not those upheld', () => {
    const bad = many(6, 1);
    const leaves = [
      ...many(5, 5),
      ...bad,
      step(bad[0]!, 'appeal.decided', '2026-11-20T02:00:00Z', { decision: 'overturned' }),
      step(bad[1]!, 'appeal.decided', '2026-11-20T02:00:00Z', { decision: 'upheld' }),
    ];
    const f = computeFigures(leaves, NOV, { parents, k: 1 });
    expect(f.orgs[VILLAGE]!.total).toMatchObject({ ratings: 10, bad: 5, overturned: 1, realNameBad: 5 });
  });

  it('counts the ratings of the month and their steps until the cut-off (month end + delay), nothing later', () => {
    const [late] = rating('2026-11-30T15:00:00Z', 1); // 30 Nov, 23:00 in China
    const [early] = rating('2026-10-31T15:00:00Z', 1); // 31 Oct, 23:00 in China: October
    const [december] = rating('2026-11-30T16:00:00Z', 5); // 1 Dec, 00:00 in China
    const leaves = [
      late!,
      early!,
      december!,
      step(late!, 'rectification.opened', '2026-11-30T15:00:00Z', { rectification: 't1', deadline: '2026-12-02' }),
      step(late!, 'callback', '2026-12-02T02:00:00Z', { outcome: 'reached' } as Partial<FigureLeaf>),
      step(late!, 'rectification.replied', '2026-12-05T02:00:00Z', { rectification: 't1', deadline: '2026-12-02', onTime: false }),
    ];
    const f = computeFigures(leaves, NOV, { parents, k: 1, delayDays: 3 });
    expect(f.cutoff).toBe('2026-12-03T16:00:00.000Z');
    expect(f.orgs[VILLAGE]!.total).toMatchObject({
      ratings: 1,
      bad: 1,
      calledBack: 1,
      callbackRate: 1,
      rectifications: 1,
      rectified: 0,
      // Due on 2 Dec, not answered by the cut-off: late.
      rectifiedOnTimeRate: 0,
    });
    const longer = computeFigures(leaves, NOV, { parents, k: 1, delayDays: 10 });
    expect(longer.orgs[VILLAGE]!.total).toMatchObject({ rectified: 1, rectifiedOnTime: 0 });
  });
});

// A log: some certificate leaves, the rating leaves, more certificate leaves, signed.
const log = ed25519Signer('yiban.test/ledger', new Uint8Array(32).fill(7));
const other = ed25519Signer('yiban.test/ledger', new Uint8Array(32).fill(8));
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

function buildBundle() {
  const bad = many(6, 2);
  const ratingLeaves = [
    ...rating('2026-10-20T02:00:00Z', 5), // before the period: the range's first entry
    ...many(7, 5),
    ...bad,
    step(bad[0]!, 'callback', '2026-11-15T02:00:00Z', { outcome: 'reached' } as Partial<FigureLeaf>),
    ...many(5, 4, { org: OTHER_VILLAGE }),
    ...rating('2026-12-10T02:00:00Z', 4), // after the cut-off: the range's last entry
  ];
  const entries = [
    enc({ kind: 'certificate.issued', n: 1 }),
    enc({ kind: 'certificate.issued', n: 2 }),
    ...ratingLeaves.flatMap((l, i) => (i % 4 === 1 ? [enc(l), enc({ kind: 'exchange', i })] : [enc(l)])),
    enc({ kind: 'certificate.issued', n: 3 }),
  ];
  const first = 2;
  const end = entries.length - 1;
  const hashes = entries.map(hashLeaf);
  const size = entries.length;
  const checkpoint = signNote(formatCheckpoint({ origin: log.name, size, rootHash: merkleRoot(hashes), extensions: [] }), [log]);
  const proofOf = (i: number) =>
    inclusionProofRanges(i, size).map((r) =>
      encodeBase64(foldRight(perfectNodes(r).map((n) => merkleRoot(hashes.slice(n.index * 2 ** n.level, (n.index + 1) * 2 ** n.level))))),
    );
  const orgs = Object.entries(parents).map(([code, parent]) => ({ code, parent, name: code }));
  const bundle: FiguresBundle = {
    format: FIGURES_FORMAT,
    period: '2026-11',
    k: 5,
    delayDays: 3,
    orgs,
    checkpoint,
    range: { first, end },
    entries: entries.slice(first, end).map(encodeBase64),
    proofs: { first: proofOf(first), last: proofOf(end - 1) },
    figures: computeFigures(ratingLeaves, NOV, { k: 5, delayDays: 3, parents }),
  };
  return { bundle, entries, hashes, size };
}

describe('verifyFiguresBundle', () => {
  it('is VALID for the published bundle, and recomputes the org asked for', () => {
    const { bundle } = buildBundle();
    const result = verifyFiguresBundle(bundle, log.vkey, { org: COUNTY });
    expect(result).toMatchObject({ status: 'VALID', period: '2026-11', ratingLeaves: 21 });
    if (result.status === 'VALID') expect(result.org?.figures.total).toMatchObject({ ratings: 18, good: 12, bad: 6 });
    expect(verifyFiguresBundle(bundle, log.vkey, { org: '999999' })).toMatchObject({ reason: 'UNKNOWN_ORG' });
  });

  it('catches a tampered figure and names it', () => {
    const { bundle } = buildBundle();
    const tampered = structuredClone(bundle);
    tampered.figures.orgs[VILLAGE]!.total.bad = 0;
    expect(verifyFiguresBundle(tampered, log.vkey)).toEqual({
      status: 'INVALID',
      reason: 'FIGURES_MISMATCH',
      detail: `orgs.${VILLAGE}.total.bad: published 0, recomputed 6`,
    });
  });

  it('catches a dropped, changed or added entry, and a range that does not cover the period', () => {
    const { bundle, entries } = buildBundle();
    const dropped = structuredClone(bundle);
    dropped.entries.splice(10, 1);
    dropped.range.end -= 1;
    expect(verifyFiguresBundle(dropped, log.vkey)).toMatchObject({ status: 'INVALID', reason: 'RANGE_PROOF' });
    const changed = structuredClone(bundle);
    changed.entries[5] = encodeBase64(enc({ kind: 'certificate.issued', n: 9 }));
    expect(verifyFiguresBundle(changed, log.vkey)).toMatchObject({ reason: 'RANGE_PROOF' });
    // A shorter range with honest proofs still verifies as a range, but no longer reaches past the cut-off.
    const short = buildBundle().bundle;
    short.entries = short.entries.slice(0, -1);
    short.range.end -= 1;
    expect(verifyFiguresBundle(short, log.vkey).status).not.toBe('VALID');
    expect(entries.length).toBeGreaterThan(20);
  });

  it('does not accept another key, another tree or a forged signature', () => {
    const { bundle, hashes, size } = buildBundle();
    expect(verifyFiguresBundle(bundle, other.vkey)).toMatchObject({ status: 'INDETERMINATE', reason: 'NO_LOG_KEY' });
    expect(verifyFiguresBundle(bundle, undefined)).toMatchObject({ status: 'INDETERMINATE', reason: 'NO_LOG_KEY' });
    const wrongTree = structuredClone(bundle);
    wrongTree.checkpoint = signNote(
      formatCheckpoint({ origin: log.name, size, rootHash: merkleRoot([...hashes.slice(0, -1), hashLeaf(enc('x'))]), extensions: [] }),
      [log],
    );
    expect(verifyFiguresBundle(wrongTree, log.vkey)).toMatchObject({ status: 'INVALID', reason: 'RANGE_PROOF' });
    const forged = structuredClone(bundle);
    forged.checkpoint = bundle.checkpoint.replace(/\n(\d+)\n/, (_, n: string) => `\n${Number(n) + 1}\n`);
    expect(verifyFiguresBundle(forged, log.vkey)).toMatchObject({ status: 'INVALID', reason: 'CHECKPOINT_SIGNATURE' });
  });
});
