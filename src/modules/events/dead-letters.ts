import { and, desc, eq, isNotNull, lt } from 'drizzle-orm';
import { AppError, notFound } from '../../core/errors.ts';
import type { Db } from '../../db/database.ts';
import { can, type Principal } from '../identity/index.ts';
import { eventRetries, outbox } from './events.tables.ts';

/** A dead letter as the console lists it: the payload's ids and codes, what failed, and when. */
export interface DeadLetter {
  id: number;
  topic: string;
  payload: Record<string, unknown>;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  deadAt: string;
}

/** Events belong to the whole platform: only a role that covers every org node may manage them. */
function requireManager(principal: Principal): void {
  if (!can(principal, 'events.manage', { orgPath: '' })) throw new AppError('FORBIDDEN');
}

export function createDeadLetterFunctions(deps: { db: Db; clock: () => Date }) {
  const { db, clock } = deps;
  return {
    /** The dead letters, newest first; `before` (an id) pages on. */
    async listDead(principal: Principal, options: { limit?: number; before?: number } = {}): Promise<DeadLetter[]> {
      requireManager(principal);
      const rows = await db
        .select()
        .from(outbox)
        .where(and(isNotNull(outbox.deadAt), options.before !== undefined ? lt(outbox.id, options.before) : undefined))
        .orderBy(desc(outbox.id))
        .limit(Math.min(Math.max(options.limit ?? 50, 1), 200));
      return rows.map((r) => ({
        id: r.id,
        topic: r.topic,
        payload: r.payload,
        attempts: r.attempts,
        lastError: r.lastError,
        createdAt: r.createdAt.toISOString(),
        deadAt: r.deadAt!.toISOString(),
      }));
    },

    /**
     * Revives a dead letter: due at once with its attempts counted afresh; the handlers already
     * done for it stay skipped. Who retried it is recorded with the attempts and error it had.
     */
    async retryDead(principal: Principal, id: number): Promise<void> {
      requireManager(principal);
      await db.transaction(async (tx) => {
        const [row] = await tx.select().from(outbox).where(eq(outbox.id, id)).for('update');
        if (!row) throw notFound('event');
        if (!row.deadAt)
          throw new AppError('CONFLICT', { detail: { zh: '该事件不是失败事件，无需重试', en: 'the event is not a dead letter' } });
        await tx
          .insert(eventRetries)
          .values({ eventId: id, retriedBy: principal.accountId, retriedAt: clock(), attempts: row.attempts, lastError: row.lastError });
        await tx.update(outbox).set({ deadAt: null, attempts: 0, availableAt: clock(), lockedUntil: null }).where(eq(outbox.id, id));
      });
    },
  };
}
