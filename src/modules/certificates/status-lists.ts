/**
 * The W3C Bitstring Status Lists issuance draws slots from. One list of 131,072 random slots
 * would fill (Hebei issues 700,000+ certificates), and random draws collide more as it fills, so
 * lists are numbered 1, 2, 3, …: new certificates go to the newest list until it is past the
 * fill threshold, then the next one is opened. Opening is `insert … on conflict do nothing` on
 * the list's number, so concurrent issuers that all see the newest list full agree on the next
 * one. The threshold is soft (issuers in flight may pass it a little); the hard limits — one
 * certificate per slot, no slot beyond the list's size — are the certificates' unique slot and
 * the random draw below the size.
 */
import { desc, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import { statusLists } from './certificates.tables.ts';

/** At least 131,072 entries, so that one index says little about a holder (W3C Bitstring Status List). */
export const STATUS_LIST_SIZE = 131_072;
/** The list certificates went to before there were several. */
export const FIRST_STATUS_LIST = '1';
/** A list takes new certificates until it is this full. */
export const STATUS_LIST_ROLLOVER = 0.5;

export interface StatusListOptions {
  /** Entries of each new list (a multiple of 8); smaller than 131,072 only in tests. */
  size?: number;
  /** The fill (0–1] past which issuance opens the next list. */
  rollover?: number;
}

/** The list a certificate (or a batch) is issued into. */
export interface StatusListTarget {
  list: string;
  size: number;
  url: string;
}

export function createStatusLists(publicUrl: string, options: StatusListOptions = {}) {
  const size = options.size ?? STATUS_LIST_SIZE;
  const rollover = options.rollover ?? STATUS_LIST_ROLLOVER;
  if (!Number.isInteger(size) || size <= 0 || size % 8 !== 0) throw new RangeError('a status list size must be a positive multiple of 8');
  if (!(rollover > 0 && rollover <= 1)) throw new RangeError('the status list rollover must be in (0, 1]');
  const prefix = `${publicUrl}/api/status-lists/`;
  // A list's size never changes once it exists.
  const sizes = new Map<string, number>();

  const target = (id: number, listSize: number): StatusListTarget => {
    sizes.set(String(id), listSize);
    return { list: String(id), size: listSize, url: `${prefix}${id}` };
  };

  return {
    /** The public URL of a list (the `status.list` of its certificates' payloads). */
    url(list: string): string {
      return `${prefix}${list}`;
    },

    /** The list named by a payload's `status.list` URL, when it is one of this deployment's. */
    listOf(url: string): string | null {
      if (!url.startsWith(prefix)) return null;
      const list = url.slice(prefix.length);
      return /^[1-9][0-9]{0,8}$/.test(list) ? list : null;
    },

    /** The number of entries of `list`, null when there is no such list. */
    async sizeOf(db: Executor, list: string): Promise<number | null> {
      if (!/^[1-9][0-9]{0,8}$/.test(list)) return null;
      const known = sizes.get(list);
      if (known !== undefined) return known;
      const [row] = await db
        .select({ size: statusLists.size })
        .from(statusLists)
        .where(eq(statusLists.id, Number(list)));
      if (row) sizes.set(list, row.size);
      return row?.size ?? null;
    },

    /**
     * The list `count` new certificates go into: the newest, unless that would take it past the
     * threshold, in which case the next list is opened (by whichever issuer gets there first).
     * An empty list always takes them.
     */
    async forIssue(db: Executor, count: number): Promise<StatusListTarget> {
      for (;;) {
        const [newest] = await db.select().from(statusLists).orderBy(desc(statusLists.id)).limit(1);
        if (!newest) {
          await db.insert(statusLists).values({ id: 1, size }).onConflictDoNothing();
          continue;
        }
        if (newest.used === 0 || newest.used + count <= newest.size * rollover) return target(newest.id, newest.size);
        await db
          .insert(statusLists)
          .values({ id: newest.id + 1, size })
          .onConflictDoNothing();
      }
    },

    /** Counts `count` certificates written into `list`, in their issuing transaction. */
    async countIssued(tx: Executor, list: string, count: number): Promise<void> {
      if (count > 0)
        await tx
          .update(statusLists)
          .set({ used: sql`${statusLists.used} + ${count}` })
          .where(eq(statusLists.id, Number(list)));
    },
  };
}

export type StatusLists = ReturnType<typeof createStatusLists>;
