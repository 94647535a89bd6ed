import { createHash, randomBytes } from 'node:crypto';
import type { Executor } from '../../db/database.ts';
import { canonicalJson } from '../../verify/document.ts';
import type { AppealDecision, CallbackOutcome, RatingChannel, Rerating } from './ratings.tables.ts';

/**
 * The ledger leaves of 好差评, format `rating.v1`: canonical JSON (sorted keys, no spaces), one
 * leaf per rating, rectification step, callback and appeal step. The public figures of a period
 * (好评率, bad ratings, rectified on time, callback rate) are recomputed from these leaves alone, so
 * a leaf carries what a figure counts and nothing about a person:
 *
 * - every leaf: `kind` ("rating.v1"), `event`, `rating` (the rating's random id, which links the
 *   steps), `org` (the responsible org's code), `service` (the service item's code), `at` (the
 *   time, UTC, rounded down to the hour, as Estonia publishes its monitoring data);
 * - `rated`: `subject` ("case" 一事一评 | "encounter" 一次一评), `level` (1..5; 1 and 2 are bad),
 *   `channel` (app | kiosk | window | sms | helper), `realName` (whether the rater is known: a
 *   real-name bad rating needs a callback), `rater` (SHA-256 of a per-rating salt and the rater's
 *   account id, hex, or null: the salt stays in the platform's database, so the digest links no two
 *   leaves and names nobody, yet lets the rater be shown their own leaf);
 * - `rectification.opened`: `rectification` (its id), `workingDays`, `deadline` (YYYY-MM-DD, China);
 * - `rectification.escalated`: `rectification`, `deadline`, `to` (the org above's code);
 * - `rectification.replied`: `rectification`, `deadline`, `onTime` (replied on or before the deadline);
 * - `rectification.rerated`: `rectification`, `result` (satisfied | basically_satisfied | dissatisfied);
 * - `callback`: `outcome` (reached | not_reached);
 * - `appeal.filed`; `appeal.decided`: `decision` (upheld: the rating stands | overturned: it is set
 *   aside and counts no more; both the rating and the decision stay).
 *
 * No comment, reply, name, ID number or account id is ever in a leaf. A later version adds a
 * field under a new kind (`rating.v2`); `rating.v1` leaves keep their meaning forever.
 */
export const RATING_LEAF_KIND = 'rating.v1';

interface Base {
  rating: string;
  org: string;
  service: string;
}

export type RatingLeafEvent =
  | (Base & {
      event: 'rated';
      subject: 'case' | 'encounter';
      level: number;
      channel: RatingChannel;
      realName: boolean;
      rater: string | null;
    })
  | (Base & { event: 'rectification.opened'; rectification: string; workingDays: number; deadline: string })
  | (Base & { event: 'rectification.escalated'; rectification: string; deadline: string; to: string })
  | (Base & { event: 'rectification.replied'; rectification: string; deadline: string; onTime: boolean })
  | (Base & { event: 'rectification.rerated'; rectification: string; result: Rerating })
  | (Base & { event: 'callback'; outcome: CallbackOutcome })
  | (Base & { event: 'appeal.filed' })
  | (Base & { event: 'appeal.decided'; decision: AppealDecision });

export type RatingLeaf = RatingLeafEvent & { kind: typeof RATING_LEAF_KIND; at: string };

/** The hour a time falls in, UTC (`2026-04-30T02:00:00Z`). */
export function hourOf(time: Date): string {
  return new Date(Math.floor(time.getTime() / 3_600_000) * 3_600_000).toISOString().replace('.000Z', 'Z');
}

export function newRaterSalt(): string {
  return randomBytes(16).toString('hex');
}

/** The rater digest of a `rated` leaf (see above). */
export function raterDigest(salt: string, accountId: string): string {
  return createHash('sha256').update(`yiban/rating-rater/v1|${salt}|${accountId}`).digest('hex');
}

export function encodeRatingLeaf(event: RatingLeafEvent, at: Date): Uint8Array {
  const leaf: RatingLeaf = { ...event, kind: RATING_LEAF_KIND, at: hourOf(at) };
  return new TextEncoder().encode(canonicalJson(leaf));
}

/** A `rating.v1` leaf from its bytes, or null when the bytes are not one. */
export function decodeRatingLeaf(data: Uint8Array): RatingLeaf | null {
  try {
    const value = JSON.parse(new TextDecoder().decode(data)) as Partial<RatingLeaf>;
    return value.kind === RATING_LEAF_KIND && typeof value.event === 'string' && typeof value.rating === 'string'
      ? (value as RatingLeaf)
      : null;
  } catch {
    return null;
  }
}

export interface LeafPort {
  appendInTx(tx: Executor, entry: { kind: string; data: Uint8Array }): Promise<{ id: number }>;
}

/** Appends a `rating.v1` leaf in the caller's transaction; its entry id. */
export async function appendRatingLeaf(ledger: LeafPort, tx: Executor, event: RatingLeafEvent, at: Date): Promise<number> {
  return (await ledger.appendInTx(tx, { kind: RATING_LEAF_KIND, data: encodeRatingLeaf(event, at) })).id;
}
