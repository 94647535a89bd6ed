/**
 * A published figures bundle and its verification: "did the platform compute these 好差评 figures
 * from the ledger, all of it?" Browser-safe; `yiban figures verify` and the public page call it.
 *
 * The bundle names a contiguous range [first, end) of the ledger, carries the bytes of EVERY entry
 * in it (of any kind: entries are public through the tile API anyway), and the inclusion proofs of
 * its first and last entry under a signed checkpoint. Those two proofs hold the hashes of every
 * subtree left and right of the range, so the verifier rebuilds the signed root from the range's
 * own entries: one proof of inclusion for all of them at once, and of their order and contiguity —
 * no entry of the range can be dropped, added or changed.
 *
 * What remains is whether the range covers the period. The ledger sequences an entry within its
 * maximum merge delay (one minute by default, always under an hour), so a leaf queued more than an
 * hour after another is sequenced after it. The range must therefore begin with a `rating.v1` leaf
 * whose hour is at least two hours before the month starts (or at index 0) and end with one whose
 * hour is at least two hours after the cut-off: then every leaf queued in between is inside it.
 *
 * Proven: the figures follow from exactly the rating leaves of the log queued in the period (and
 * their steps up to the cut-off), under the pinned log key. Not proven by the ledger: that a leaf
 * tells the truth about what happened at the counter (that is the rating module's audit), that an
 * unrated case was rated by nobody, and the org tree used to roll figures up (`orgs`, published
 * alongside from the division directory; the verifier takes it as given and shows it).
 */
import { openCheckpoint } from './checkpoint.ts';
import {
  computeFigures,
  cutoffOf,
  firstDifference,
  parsePeriod,
  parseRatingLeaf,
  type FigureLeaf,
  type FiguresTable,
  type OrgFigures,
} from './figures.ts';
import { hashChildren, hashLeaf, HASH_SIZE, inclusionProofRanges, merkleRoot } from './merkle.ts';
import { decodeBase64, equalBytes } from './tlog-bytes.ts';

export const FIGURES_FORMAT = 'yiban.figures.v1';
/** How far outside the period (and the cut-off) the range's boundary leaves must lie. */
export const BOUNDARY_MARGIN_MS = 2 * 3_600_000;

export interface FiguresBundle {
  format: typeof FIGURES_FORMAT;
  period: string;
  k: number;
  delayDays: number;
  publishedAt?: string;
  /** The org tree the figures roll up along: code, parent (null at the top) and name. */
  orgs: { code: string; parent: string | null; name: string }[];
  /** The signed checkpoint (C2SP signed note) the proofs lead to. */
  checkpoint: string;
  range: { first: number; end: number };
  /** base64 of every entry's data in [first, end), in order. */
  entries: string[];
  /** Inclusion proofs (base64 hashes) of entries `first` and `end − 1` in the checkpoint's tree. */
  proofs: { first: string[]; last: string[] };
  figures: FiguresTable;
}

export type FiguresVerification =
  | {
      status: 'VALID';
      period: string;
      origin: string;
      size: number;
      range: { first: number; end: number };
      ratingLeaves: number;
      figures: FiguresTable;
      /** The checked org's figures, when one was asked for. */
      org?: { code: string; figures: OrgFigures };
    }
  | {
      status: 'INVALID';
      reason: 'CHECKPOINT_SIGNATURE' | 'CHECKPOINT_ORIGIN' | 'RANGE_PROOF' | 'RANGE_INCOMPLETE' | 'FIGURES_MISMATCH';
      detail: string;
    }
  | { status: 'INDETERMINATE'; reason: 'NO_LOG_KEY' | 'MALFORMED' | 'UNKNOWN_ORG'; detail: string };

const malformed = (detail: string): FiguresVerification => ({ status: 'INDETERMINATE', reason: 'MALFORMED', detail });
const isIndex = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

/** MTH(D[size]) from the leaf hashes of [first, end) and the subtree hashes of the two boundary proofs; null when one is missing. */
export function rootFromRange(
  first: number,
  leafHashes: readonly Uint8Array[],
  size: number,
  proofs: { first: readonly Uint8Array[]; last: readonly Uint8Array[] },
): Uint8Array | null {
  const end = first + leafHashes.length;
  if (leafHashes.length === 0 || end > size) return null;
  const known = new Map<string, Uint8Array>();
  for (const [index, proof] of [
    [first, proofs.first],
    [end - 1, proofs.last],
  ] as const) {
    const ranges = inclusionProofRanges(index, size);
    if (ranges.length !== proof.length) return null;
    ranges.forEach((r, i) => known.set(`${r.start}-${r.end}`, proof[i]!));
  }
  const node = (lo: number, hi: number): Uint8Array | null => {
    if (lo >= first && hi <= end) return merkleRoot(leafHashes.slice(lo - first, hi - first));
    if (hi <= first || lo >= end) return known.get(`${lo}-${hi}`) ?? null;
    let k = 1;
    while (k * 2 < hi - lo) k *= 2;
    const left = node(lo, lo + k);
    const right = left && node(lo + k, hi);
    return left && right ? hashChildren(left, right) : null;
  };
  return node(0, size);
}

/**
 * The entries' base64, decoded with the platform's `atob` where there is one (several times faster
 * than the strict decoder on a city's month). Leniency costs nothing here: whatever bytes come out
 * must still hash to the signed root.
 */
function decodeEntry(text: unknown): Uint8Array | null {
  if (typeof text !== 'string') return null;
  if (typeof atob !== 'function') return decodeBase64(text);
  try {
    const binary = atob(text);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

function decodeProof(hashes: unknown): Uint8Array[] | null {
  if (!Array.isArray(hashes)) return null;
  const out: Uint8Array[] = [];
  for (const h of hashes) {
    const bytes = typeof h === 'string' ? decodeBase64(h) : null;
    if (!bytes || bytes.length !== HASH_SIZE) return null;
    out.push(bytes);
  }
  return out;
}

/**
 * Verifies a figures bundle against the pinned log vkey: the checkpoint's signature, the range
 * proof, the range's boundaries, and the figures recomputed from the range's rating leaves.
 * With `org`, that org must be in the published figures (the rest is still recomputed and compared).
 */
export function verifyFiguresBundle(
  bundle: FiguresBundle,
  logVkey: string | undefined,
  options: { org?: string } = {},
): FiguresVerification {
  if (!logVkey) return { status: 'INDETERMINATE', reason: 'NO_LOG_KEY', detail: 'no pinned ledger key' };
  if (bundle?.format !== FIGURES_FORMAT) return malformed('not a yiban.figures.v1 bundle');
  const period = parsePeriod(String(bundle.period));
  if (!period) return malformed('bad period');
  if (!isIndex(bundle.k) || bundle.k < 1 || !isIndex(bundle.delayDays)) return malformed('bad k or delay');
  if (!Array.isArray(bundle.orgs) || !Array.isArray(bundle.entries) || typeof bundle.checkpoint !== 'string')
    return malformed('missing parts');
  const { first, end } = bundle.range ?? {};
  if (!isIndex(first) || !isIndex(end) || end <= first || bundle.entries.length !== end - first) return malformed('bad range');

  const opened = openCheckpoint(bundle.checkpoint, logVkey);
  if (!opened.ok) {
    switch (opened.reason) {
      case 'BAD_SIGNATURE':
        return { status: 'INVALID', reason: 'CHECKPOINT_SIGNATURE', detail: opened.detail };
      case 'ORIGIN_MISMATCH':
        return { status: 'INVALID', reason: 'CHECKPOINT_ORIGIN', detail: opened.detail };
      case 'UNKNOWN_LOG_KEY':
      case 'NOT_ENOUGH_WITNESSES':
        return { status: 'INDETERMINATE', reason: 'NO_LOG_KEY', detail: opened.detail };
      case 'MALFORMED':
        return malformed(opened.detail);
    }
  }
  const { size, rootHash, origin } = opened.checkpoint;
  if (end > size) return malformed(`the range ends at ${end}, past the checkpoint's ${size} entries`);

  const data: Uint8Array[] = [];
  for (const text of bundle.entries) {
    const bytes = decodeEntry(text);
    if (!bytes) return malformed('an entry is not base64');
    data.push(bytes);
  }
  const firstProof = decodeProof(bundle.proofs?.first);
  const lastProof = decodeProof(bundle.proofs?.last);
  if (!firstProof || !lastProof) return malformed('bad proof hashes');
  const root = rootFromRange(first, data.map(hashLeaf), size, { first: firstProof, last: lastProof });
  if (!root || !equalBytes(root, rootHash))
    return {
      status: 'INVALID',
      reason: 'RANGE_PROOF',
      detail: `entries ${first}..${end - 1} and their proofs do not lead to the signed root`,
    };

  const leaves: FigureLeaf[] = [];
  for (const d of data) {
    const leaf = parseRatingLeaf(d);
    if (leaf) leaves.push(leaf);
  }
  const head = parseRatingLeaf(data[0]!);
  const tail = parseRatingLeaf(data[data.length - 1]!);
  if (first !== 0 && !(head && Date.parse(head.at) <= period.from.getTime() - BOUNDARY_MARGIN_MS))
    return { status: 'INVALID', reason: 'RANGE_INCOMPLETE', detail: `entry ${first} is not a rating leaf from before the period` };
  if (!(tail && Date.parse(tail.at) >= cutoffOf(period, bundle.delayDays).getTime() + BOUNDARY_MARGIN_MS))
    return { status: 'INVALID', reason: 'RANGE_INCOMPLETE', detail: `entry ${end - 1} is not a rating leaf from after the cut-off` };

  const parents: Record<string, string | null> = {};
  for (const o of bundle.orgs) if (o && typeof o.code === 'string') parents[o.code] = typeof o.parent === 'string' ? o.parent : null;
  const figures = computeFigures(leaves, period, { k: bundle.k, delayDays: bundle.delayDays, parents });
  const difference = firstDifference(bundle.figures, figures);
  if (difference) return { status: 'INVALID', reason: 'FIGURES_MISMATCH', detail: difference };
  const result: FiguresVerification = {
    status: 'VALID',
    period: period.id,
    origin,
    size,
    range: { first, end },
    ratingLeaves: leaves.length,
    figures,
  };
  if (options.org !== undefined) {
    const org = figures.orgs[options.org];
    if (!org) return { status: 'INDETERMINATE', reason: 'UNKNOWN_ORG', detail: `no figures for ${options.org} in ${period.id}` };
    result.org = { code: options.org, figures: org };
  }
  return result;
}

/** The words for a result, Chinese first, for the CLI and the page. */
export const FIGURES_REASON_TEXT: Record<Exclude<FiguresVerification, { status: 'VALID' }>['reason'], { zh: string; en: string }> = {
  CHECKPOINT_SIGNATURE: { zh: '检查点签名无效', en: 'the checkpoint signature is invalid' },
  CHECKPOINT_ORIGIN: { zh: '检查点来源与账本公钥不符', en: "the checkpoint's origin is not the log key's" },
  RANGE_PROOF: { zh: '条目与证明不能推出签名的根哈希', en: 'the entries and proofs do not lead to the signed root' },
  RANGE_INCOMPLETE: { zh: '条目范围未覆盖整个统计期', en: 'the range of entries does not cover the whole period' },
  FIGURES_MISMATCH: { zh: '重新计算的数字与公布的不符', en: 'the recomputed figures differ from the published ones' },
  NO_LOG_KEY: { zh: '没有可信的账本公钥', en: 'no pinned ledger key' },
  MALFORMED: { zh: '数据包格式错误', en: 'the bundle is malformed' },
  UNKNOWN_ORG: { zh: '该单位在本期没有数字', en: 'no figures for that org in the period' },
};
