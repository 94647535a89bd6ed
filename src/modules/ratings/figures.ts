import type { CatalogService } from '../catalog/index.ts';
import type { LedgerService } from '../ledger/index.ts';
import type { OrgsService } from '../orgs/index.ts';
import { BOUNDARY_MARGIN_MS, FIGURES_FORMAT, type FiguresBundle } from '../../verify/figures-bundle.ts';
import {
  computeFigures,
  cutoffOf,
  DEFAULT_DELAY_DAYS,
  DEFAULT_K,
  parsePeriod,
  parseRatingLeaf,
  type FigureCell,
  type FigureLeaf,
  type Period,
} from '../../verify/figures.ts';
import { parseEntryBundle, TILE_WIDTH } from '../../verify/tlog-tile-format.ts';
import { encodeBase64 } from '../../verify/tlog-bytes.ts';
import { invalid, notFoundOf } from './messages.ts';

export interface PublicFiguresDeps {
  ledger: Pick<LedgerService, 'latestCheckpoint' | 'readEntryBundle' | 'inclusionProof'>;
  orgs: Pick<OrgsService, 'byCode'>;
  catalog: Pick<CatalogService, 'getItem'>;
  clock?: () => Date;
  /** Counts from 1 to k − 1 are shown as suppressed (default 5). */
  k?: number;
  /** Days after a month's end before its figures are published (default 3). */
  delayDays?: number;
}

export type PublicFigures = ReturnType<typeof createPublicFigures>;

const TEXT = {
  figures: { zh: '该期公开数字', en: 'The public figures of that period' },
  org: { zh: '机构', en: 'Organisation' },
};

const EMPTY: FigureCell = {
  ratings: 0,
  good: 0,
  goodRate: null,
  bad: 0,
  overturned: 0,
  rectifications: 0,
  rectified: 0,
  rectifiedOnTime: 0,
  rectifiedOnTimeRate: null,
  escalated: 0,
  realNameBad: 0,
  calledBack: 0,
  callbackRate: null,
};

/**
 * 好差评 public figures (no login): a month's figures per org and service, computed by the pure
 * `computeFigures` (src/verify/figures.ts) from the ledger's `rating.v1` leaves, and published with
 * the bundle that lets anyone recompute them (src/verify/figures-bundle.ts). A period is published
 * once its cut-off (month end + delay) has passed and the log holds a rating leaf two hours past
 * it; a published bundle never changes, so it is built once per process.
 */
export function createPublicFigures(deps: PublicFiguresDeps) {
  const clock = deps.clock ?? (() => new Date());
  const k = deps.k ?? DEFAULT_K;
  const delayDays = deps.delayDays ?? DEFAULT_DELAY_DAYS;
  const built = new Map<string, Promise<{ bundle: FiguresBundle; json: string; names: Map<string, string> }>>();

  async function tile(t: number, size: number): Promise<Uint8Array[]> {
    const width = Math.min(TILE_WIDTH, size - t * TILE_WIDTH);
    const bytes = await deps.ledger.readEntryBundle(t, width);
    const entries = bytes && parseEntryBundle(bytes);
    if (!entries) throw new Error(`ledger entry tile ${t} is missing`);
    return entries;
  }

  /** The last tile whose earliest rating leaf is at or before `bound` (rating leaves are sequenced in time order, within the merge delay). */
  async function startTile(bound: number, tiles: number, size: number): Promise<number> {
    let lo = 0;
    let hi = tiles - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      let earliest = Infinity;
      for (let t = mid; t <= hi && earliest === Infinity; t++)
        for (const d of await tile(t, size)) earliest = Math.min(earliest, Date.parse(parseRatingLeaf(d)?.at ?? '') || Infinity);
      if (earliest <= bound) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  async function build(period: Period) {
    const cutoff = cutoffOf(period, delayDays).getTime();
    const checkpoint = await deps.ledger.latestCheckpoint();
    const size = checkpoint.size;
    const tiles = Math.ceil(size / TILE_WIDTH);
    const before = period.from.getTime() - BOUNDARY_MARGIN_MS;
    const after = cutoff + BOUNDARY_MARGIN_MS;
    // The range begins at the last rating leaf from two hours before the month (or at 0) and ends
    // with the first from two hours after the cut-off.
    let t = tiles === 0 ? 0 : await startTile(before, tiles, size);
    let first = 0;
    for (; t >= 0 && first === 0; t--) {
      const entries = await tile(t, size);
      for (let i = entries.length - 1; i >= 0; i--) {
        const at = Date.parse(parseRatingLeaf(entries[i]!)?.at ?? '');
        if (at <= before) {
          first = t * TILE_WIDTH + i;
          break;
        }
      }
    }
    const entries: Uint8Array[] = [];
    const leaves: FigureLeaf[] = [];
    let end = 0;
    for (let tt = Math.floor(first / TILE_WIDTH); tt < tiles && end === 0; tt++) {
      const data = await tile(tt, size);
      for (let i = tt === Math.floor(first / TILE_WIDTH) ? first % TILE_WIDTH : 0; i < data.length; i++) {
        entries.push(data[i]!);
        const leaf = parseRatingLeaf(data[i]!);
        if (leaf) leaves.push(leaf);
        if (leaf && Date.parse(leaf.at) >= after) {
          end = tt * TILE_WIDTH + i + 1;
          break;
        }
      }
    }
    if (end === 0) throw notFoundOf(TEXT.figures); // not yet: no later leaf in the log
    const orgs = await orgTree(leaves);
    const parents = Object.fromEntries(orgs.map((o) => [o.code, o.parent]));
    const [firstProof, lastProof] = await Promise.all([deps.ledger.inclusionProof(first, size), deps.ledger.inclusionProof(end - 1, size)]);
    const bundle: FiguresBundle = {
      format: FIGURES_FORMAT,
      period: period.id,
      k,
      delayDays,
      publishedAt: clock().toISOString(),
      orgs,
      checkpoint: checkpoint.note,
      range: { first, end },
      entries: entries.map(encodeBase64),
      proofs: { first: firstProof.hashes.map(encodeBase64), last: lastProof.hashes.map(encodeBase64) },
      figures: computeFigures(leaves, period, { k, delayDays, parents }),
    };
    return { bundle, json: JSON.stringify(bundle), names: new Map(orgs.map((o) => [o.code, o.name])) };
  }

  /** Every org a leaf names, and the orgs above it, with its parent and name (from the division directory). */
  async function orgTree(leaves: FigureLeaf[]) {
    const out = new Map<string, { code: string; parent: string | null; name: string }>();
    for (const code of new Set(leaves.map((l) => l.org))) {
      const org = await deps.orgs.byCode(code);
      const path = org ? org.path.split('.') : [code];
      for (let i = 0; i < path.length; i++) {
        const c = path[i]!;
        if (out.has(c)) continue;
        const name = c === code ? org?.name : (await deps.orgs.byCode(c))?.name;
        out.set(c, { code: c, parent: i === 0 ? null : path[i - 1]!, name: name ?? c });
      }
    }
    return [...out.values()].sort((a, b) => a.code.localeCompare(b.code));
  }

  async function published(periodId: string) {
    const period = parsePeriod(periodId);
    if (!period) throw invalid('统计期应为 YYYY-MM', 'the period must be YYYY-MM');
    if (clock().getTime() < cutoffOf(period, delayDays).getTime()) throw notFoundOf(TEXT.figures);
    let promise = built.get(period.id);
    if (!promise) {
      promise = build(period);
      built.set(period.id, promise);
      promise.catch(() => built.delete(period.id));
    }
    return promise;
  }

  return {
    k,
    delayDays,

    /** The bundle as JSON text (it can be large: sent as it is). */
    async bundleJson(periodId: string): Promise<string> {
      return (await published(periodId)).json;
    },

    async bundle(periodId: string): Promise<FiguresBundle> {
      return (await published(periodId)).bundle;
    },

    /** The orgs with figures in the period and their totals. */
    async summary(periodId: string) {
      const { bundle, names } = await published(periodId);
      const f = bundle.figures;
      return {
        period: f.period,
        from: f.from,
        to: f.to,
        cutoff: f.cutoff,
        k: f.k,
        delayDays: f.delayDays,
        size: bundle.range.end,
        orgs: Object.entries(f.orgs).map(([code, o]) => ({ code, name: names.get(code) ?? code, total: o.total })),
      };
    },

    /** One org's figures, total and per service; an org code the directory does not know is a 404. */
    async ofOrg(periodId: string, orgCode: string) {
      const { bundle, names } = await published(periodId);
      const org = await deps.orgs.byCode(orgCode);
      if (!org) throw notFoundOf(TEXT.org);
      const f = bundle.figures;
      const own = f.orgs[orgCode];
      const services = await Promise.all(
        Object.entries(own?.services ?? {}).map(async ([code, cell]) => {
          const item = await deps.catalog.getItem(code);
          return { code, name: { zh: item?.nameZh ?? code, en: item?.nameEn ?? code }, figures: cell };
        }),
      );
      return {
        period: f.period,
        from: f.from,
        to: f.to,
        cutoff: f.cutoff,
        k: f.k,
        delayDays: f.delayDays,
        org: { code: org.code, name: names.get(org.code) ?? org.name, parentCode: org.parentCode ?? null },
        total: own?.total ?? EMPTY,
        services,
      };
    },
  };
}
