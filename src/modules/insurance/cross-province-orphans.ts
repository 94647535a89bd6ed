/**
 * 跨省结算的孤儿结算: a settlement the place of insurance (B) committed and this node, the place of
 * treatment (A), never did. A asks B to settle in a synchronous call and only then writes its own
 * settlement in its own transaction; killed between, its transaction failed after B answered, or B's
 * answer lost to a timeout, and the hospital never retrying that msgid, B would keep a settlement
 * (in the person's year's totals there, the cap included) that A does not have.
 *
 * A saga driven by A, with a compensation: before the call A records an intent (the call's id, the
 * msgid, the encounter, B's division) in its own short transaction, and marks it `settled` in the
 * transaction of its settlement. `reconcile` (every minute in the background) takes the intents
 * still `pending` ORPHAN_AFTER_MS after the hospital's last try: under the encounter's lock, a msgid
 * answered meanwhile is `settled`; any other gets its final answer, INSURANCE_SETTLEMENT_ABANDONED
 * (a late retry never settles on B's old answer), and the intent is `abandoning`. Then B is asked to
 * cancel the call's settlement (`insurance.cancel` with `abandoned`: B answers "nothing to cancel"
 * when it never settled it), with an id derived from the intent (a retry is the same message); B's
 * answer makes it `abandoned`. B unreachable (or gone from the federation directory): it stays
 * `abandoning`, and a later run asks again, each wait about as long as the intent has been
 * abandoning (from 1 minute, doubling, to at most an hour: `retryDue`), so that a province that
 * is down for a day, or has left, is not asked and logged every minute.
 * B refusing the settle (a verified refusal: B settled nothing under the call) makes it `refused`,
 * with nothing to withdraw; a retry of the msgid asks again and makes it `pending` again.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import { AppError, formatMessage } from '../../core/errors.ts';
import type { Db, Executor, Tx } from '../../db/database.ts';
import type { Answer } from './envelope.ts';
import { insuranceMessages } from './insurance.tables.ts';
import { insuranceRemoteIntents } from './cross-province.tables.ts';
import { derivedUuid } from './statement.ts';
import type { PriorMessage } from './window-statements.ts';

/** How long after the hospital's last try of a msgid its settlement counts as abandoned: longer than any retry of it. */
export const ORPHAN_AFTER_MS = 15 * 60_000;
/** The final answer of an abandoned msgid. */
export const ABANDONED = 'INSURANCE_SETTLEMENT_ABANDONED';
const BATCH = 100;
/** Bounds of the wait between two tries to withdraw an `abandoning` intent at an unreachable place of insurance. */
export const RETRY_MIN_MS = 60_000;
export const RETRY_MAX_MS = 60 * 60_000;

/**
 * An `abandoning` intent is due again once the wait since its last try (`updated_at`, set by each
 * failed try) reaches its time abandoning so far (counted from ORPHAN_AFTER_MS after its creation),
 * bounded by RETRY_MIN_MS and RETRY_MAX_MS: tries 1, 2, 4, … minutes apart, then hourly.
 */
function retryDue(now: Date): SQL {
  const t = insuranceRemoteIntents;
  const ms = (v: number) => sql.raw(`interval '${v / 1000} seconds'`);
  return sql`${t.updatedAt} + least(${ms(RETRY_MAX_MS)}, greatest(${ms(RETRY_MIN_MS)}, ${t.updatedAt} - ${t.createdAt} - ${ms(ORPHAN_AFTER_MS)})) <= ${now.toISOString()}::timestamptz`;
}

/** When an open intent's next step is due (the formula of `retryDue` and of `reconcile`'s cutoff): a `pending` one is abandoned then unless the hospital retries first; an `abandoning` one is asked again. */
export function nextStepAt(intent: Pick<Intent, 'state' | 'createdAt' | 'updatedAt'>): Date | null {
  const last = intent.updatedAt.getTime();
  if (intent.state === 'pending') return new Date(last + ORPHAN_AFTER_MS);
  if (intent.state !== 'abandoning') return null;
  const wait = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, last - intent.createdAt.getTime() - ORPHAN_AFTER_MS));
  return new Date(last + wait);
}

export type Intent = typeof insuranceRemoteIntents.$inferSelect;

interface OrphanDeps {
  db: Db;
  clock: () => Date;
  lockEncounter(tx: Executor, mdtrtId: string): Promise<void>;
  prior(ex: Executor, msgid: string): Promise<PriorMessage | null>;
  /** Asks the place of insurance to cancel (`insurance.cancel`); throws AppError when it cannot be reached. */
  cancelAt(region: string, id: string, payload: Record<string, unknown>): Promise<{ record(executor: Executor): Promise<void> }>;
  /** Appends the abandonment's leaf to the ledger, in the transaction. */
  appendLeaf(tx: Tx, leaf: Record<string, unknown>): Promise<void>;
}

interface OrphanRun {
  /** Answered at this node after all (the intent is settled now). */
  settled: number;
  /** Refused here and cancelled at the place of insurance. */
  abandoned: number;
  /** Refused here; the place of insurance not reached yet (the next run asks again). */
  abandoning: number;
  /** Intents whose step failed otherwise (the others went on). */
  failed: number;
}

/** The answer a retry of an abandoned msgid gets (stored as its message's answer). */
function abandonedAnswer(msgid: string, at: Date): Answer {
  return {
    infcode: -1,
    inf_refmsgid: `YB${randomUUID().replaceAll('-', '').slice(0, 24)}`,
    respond_time: at.toISOString(),
    err_code: ABANDONED,
    err_msg: formatMessage(ABANDONED, { msgid }, 'zh-CN'),
    err_msg_en: formatMessage(ABANDONED, { msgid }, 'en'),
  };
}

export function createOrphans(d: OrphanDeps) {
  const { db, clock } = d;
  const at = (callId: string) => eq(insuranceRemoteIntents.callId, callId);

  /** Under the encounter's lock: settled meanwhile, or the msgid's final answer and `abandoning`. */
  async function decide(intent: Intent, cutoff: Date): Promise<Intent['state']> {
    return db.transaction(async (tx) => {
      await d.lockEncounter(tx, intent.mdtrtId);
      const [row] = await tx.select().from(insuranceRemoteIntents).where(at(intent.callId)).for('update');
      if (!row || row.state !== 'pending' || row.updatedAt >= cutoff) return row?.state ?? 'settled';
      const now = clock();
      if (await d.prior(tx, row.msgid)) {
        await tx.update(insuranceRemoteIntents).set({ state: 'settled', updatedAt: now }).where(at(row.callId));
        return 'settled';
      }
      await tx.insert(insuranceMessages).values({
        msgid: row.msgid,
        institutionCode: row.institutionCode,
        infno: '2304',
        requestDigest: row.requestDigest,
        response: JSON.stringify(abandonedAnswer(row.msgid, now)),
        createdAt: now,
      });
      await d.appendLeaf(tx, { event: 'abandoned', institution: row.institutionCode, placeOfInsurance: row.callId, at: now.toISOString() });
      await tx.update(insuranceRemoteIntents).set({ state: 'abandoning', updatedAt: now }).where(at(row.callId));
      return 'abandoning';
    });
  }

  /** B asked to cancel the call's settlement (the same message id on every try); its answer makes the intent `abandoned` (with `leaf`, an office's request, in that transaction). */
  async function withdraw(intent: Intent, leaf?: Record<string, unknown>): Promise<void> {
    const reply = await d.cancelAt(intent.region, derivedUuid('federation-call/insurance.cancel/abandoned', intent.callId), {
      ref: intent.callId,
      mdtrt_id: intent.mdtrtId,
      abandoned: true,
    });
    await db.transaction(async (tx) => {
      await reply.record(tx);
      if (leaf) await d.appendLeaf(tx, leaf);
      await tx
        .update(insuranceRemoteIntents)
        .set({ state: 'abandoned', updatedAt: clock() })
        .where(and(at(intent.callId), eq(insuranceRemoteIntents.state, 'abandoning')));
    });
  }

  /** A try that could not reach B: the start of the intent's next wait (retryDue); with `leaf`, an office's request, in that transaction. The intent as it is now, if still abandoning. */
  async function tried(callId: string, leaf?: Record<string, unknown>): Promise<Intent | undefined> {
    return db.transaction(async (tx) => {
      const [changed] = await tx
        .update(insuranceRemoteIntents)
        .set({ updatedAt: clock() })
        .where(and(at(callId), eq(insuranceRemoteIntents.state, 'abandoning')))
        .returning();
      if (leaf && changed) await d.appendLeaf(tx, leaf);
      return changed;
    });
  }

  const cannotReach = (error: unknown) => error instanceof AppError && error.status === 503;

  return {
    /** Before asking B to settle, in its own transaction: the intent (a retried msgid is the same one, its last try now). */
    async intend(row: Pick<Intent, 'callId' | 'institutionCode' | 'msgid' | 'requestDigest' | 'mdtrtId' | 'region'>): Promise<void> {
      const now = clock();
      await db
        .insert(insuranceRemoteIntents)
        .values({ ...row, kind: 'settle', state: 'pending', createdAt: now, updatedAt: now })
        .onConflictDoUpdate({
          target: insuranceRemoteIntents.callId,
          set: { state: 'pending', updatedAt: now },
          setWhere: inArray(insuranceRemoteIntents.state, ['pending', 'refused']),
        });
    },

    /** B refused the settle (it holds no settlement of the call): nothing to withdraw, unless a retry reopens it. */
    async refused(callId: string): Promise<void> {
      await db
        .update(insuranceRemoteIntents)
        .set({ state: 'refused', updatedAt: clock() })
        .where(and(at(callId), eq(insuranceRemoteIntents.state, 'pending')));
    },

    /** In the transaction of this node's settlement. */
    async settled(tx: Tx, callId: string): Promise<void> {
      await tx.update(insuranceRemoteIntents).set({ state: 'settled', updatedAt: clock() }).where(at(callId));
    },

    /** One run of the reconciliation: each intent on its own, a failure of one not stopping the others (each to `onError`). */
    async reconcile(onError?: (error: unknown, callId: string) => void): Promise<OrphanRun> {
      const now = clock();
      const cutoff = new Date(now.getTime() - ORPHAN_AFTER_MS);
      const due = await db
        .select()
        .from(insuranceRemoteIntents)
        .where(
          or(
            and(eq(insuranceRemoteIntents.state, 'abandoning'), retryDue(now)),
            and(eq(insuranceRemoteIntents.state, 'pending'), lt(insuranceRemoteIntents.updatedAt, cutoff)),
          ),
        )
        .orderBy(asc(insuranceRemoteIntents.updatedAt))
        .limit(BATCH);
      const run: OrphanRun = { settled: 0, abandoned: 0, abandoning: 0, failed: 0 };
      for (const intent of due) {
        let state: Intent['state'] = intent.state;
        try {
          if (state === 'pending') state = await decide(intent, cutoff);
          if (state === 'settled') run.settled++;
          if (state !== 'abandoning') continue;
          await withdraw(intent);
          run.abandoned++;
        } catch (error) {
          if (state === 'abandoning' && cannotReach(error)) {
            run.abandoning++;
            await tried(intent.callId).catch(() => undefined);
          } else run.failed++;
          onError?.(error, intent.callId);
        }
      }
      return run;
    },

    /** The intents still open (`pending`, `abandoning`), the longest unchanged first, at most `limit`. */
    async open(limit: number): Promise<Intent[]> {
      return db
        .select()
        .from(insuranceRemoteIntents)
        .where(inArray(insuranceRemoteIntents.state, ['pending', 'abandoning']))
        .orderBy(asc(insuranceRemoteIntents.updatedAt))
        .limit(limit);
    },

    /**
     * The insurance office's 立即重试: the intent's next step now, without its wait. An `abandoning`
     * intent's place of insurance is asked to cancel again; a `pending` one past ORPHAN_AFTER_MS is
     * decided first (as `reconcile` would). One the hospital may still retry is refused, as is one no
     * longer open. `leaf` (who asked) goes to the ledger in the transaction of the step's outcome.
     * `intent` is the row as the caller read it (for its access check); `nextStepAt` is when the
     * reconciliation asks again, when it still will.
     */
    async retryNow(
      intent: Intent,
      leaf: Record<string, unknown>,
    ): Promise<{ state: Intent['state']; reached: boolean; nextStepAt: Date | null }> {
      const cutoff = new Date(clock().getTime() - ORPHAN_AFTER_MS);
      let state = intent.state;
      if (state === 'pending') {
        if (intent.updatedAt >= cutoff) {
          const after = nextStepAt(intent)!.toISOString();
          throw new AppError('CONFLICT', {
            detail: {
              zh: `医院仍可能重试该结算（最后一次 ${intent.updatedAt.toISOString()}），${after} 之前不撤回`,
              en: `the hospital may still retry this settlement (last try ${intent.updatedAt.toISOString()}); it is not withdrawn before ${after}`,
            },
          });
        }
        state = await decide(intent, cutoff);
        if (state !== 'abandoning') return { state, reached: true, nextStepAt: null };
      } else if (state !== 'abandoning') {
        throw new AppError('CONFLICT', { detail: { zh: '该跨省结算已不在途', en: 'this cross-province settlement is no longer open' } });
      }
      try {
        await withdraw(intent, leaf);
        return { state: 'abandoned', reached: true, nextStepAt: null };
      } catch (error) {
        if (!cannotReach(error)) throw error;
        const now = await tried(intent.callId, leaf);
        return { state: 'abandoning', reached: false, nextStepAt: now ? nextStepAt(now) : null };
      }
    },
  };
}
