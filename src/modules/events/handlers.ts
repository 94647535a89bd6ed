import type { Executor } from '../../db/database.ts';

/** What a module announces: a topic and a payload of ids and codes (never personal data). */
export interface DomainEvent {
  topic: string;
  payload: Record<string, unknown>;
}

/** An event as a handler receives it: its id is the idempotency key. */
export interface StoredEvent extends DomainEvent {
  id: number;
  /** The claims so far, this one included. */
  attempts: number;
  createdAt: Date;
}

interface HandlerContext {
  /**
   * Marks the event handled by this handler inside the handler's own transaction, so that its
   * work and the mark commit together (exactly once in effect). When another worker committed
   * the mark first (a lease that expired under a slow handler), it throws `AlreadyHandled`: the
   * transaction rolls back and the worker counts the handler as done.
   */
  markHandled(tx: Executor): Promise<void>;
}

/**
 * A handler's own retry policy, over the worker's (a delivery to a peer that may be down for days
 * must outlast the default ~4 minutes). When several handlers of an event fail, the most patient
 * policy of theirs applies.
 */
export interface RetryPolicy {
  /** Attempts before a dead letter (the worker's default when absent). */
  maxAttempts?: number;
  /** The first retry's delay, doubled each attempt up to `backoffMaxMs`. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Never a dead letter sooner than this after the event was written, however many attempts that takes. */
  retryForMs?: number;
}

/**
 * A named consumer of some topics. Handlers run at least once per event; one whose work is not
 * a single transaction must itself be idempotent by `event.id`. Several may share a topic: each
 * is retried on its own, and a handler already done for an event is skipped on a retry.
 */
export interface EventHandler {
  name: string;
  topics: readonly string[];
  handle(event: StoredEvent, ctx: HandlerContext): Promise<void>;
  /** Its own retry policy (absent: the worker's options). */
  retry?: RetryPolicy;
  /**
   * Optional: the events of one claimed batch at once (a handler whose work amortises over many,
   * e.g. one read of a rule and its data for every subject). It must be idempotent by event; if it
   * throws, the worker runs `handle` on each of those events instead, so one bad event fails alone.
   */
  handleMany?(events: readonly StoredEvent[]): Promise<void>;
  /**
   * Optional: its topics are claimed by a loop of their own in each server (worker.ts `start`), up
   * to `batchSize` events every `intervalMs` (at once again after a full batch), and never by the
   * other loops. For a handler whose work is much cheaper per event in large batches and may lag
   * by a second (sealing a statement per settlement): under load, the other loops' small batches
   * would make it several times dearer. `drain` and `runOnce` take these events as any other.
   */
  cadence?: { batchSize: number; intervalMs: number };
}

/** Thrown by `markHandled` when the mark exists already: the caller's transaction must roll back. */
export class AlreadyHandled extends Error {
  constructor(eventId: number, handler: string) {
    super(`event ${eventId} was already handled by ${handler}`);
    this.name = 'AlreadyHandled';
  }
}
