import { setTimeout as sleep } from 'node:timers/promises';
import { lookup } from './entry-status.ts';
import { sequence, type IntegrateResult } from './integrate.ts';
import { integrateOnce, type LedgerContext } from './ledger-context.ts';

/** Sequencing (queued entries get indexes) and integrating them into signed checkpoints, now or in the background. */
export function createSequencerFunctions(ctx: LedgerContext) {
  const { db, maxBatch } = ctx;

  /** Sequences everything queued (in batches), then integrates; waits while another process holds the sequencer lock. */
  async function sequenceNow(options: { timeoutMs?: number } = {}): Promise<IntegrateResult> {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    for (let pause = 2; ; pause = Math.min(pause * 2, 100)) {
      let busy = false;
      for (;;) {
        const step = await sequence(db, maxBatch);
        if (step.status === 'busy') {
          busy = true;
          break;
        }
        if (step.count < maxBatch) break;
      }
      if (!busy) {
        const result = await integrateOnce(ctx);
        if (result.status !== 'busy') return result;
      }
      if (Date.now() > deadline) return { status: 'busy' };
      // Another process is sequencing: it holds the lock for one short transaction.
      await sleep(pause);
    }
  }

  /**
   * The sequencer: every `intervalMs` numbers what is queued (again at once while batches come
   * full), and at least every `checkpointIntervalMs` integrates the new entries into a signed
   * checkpoint. Safe with many app processes on one PostgreSQL: one sequences, the others find
   * the lock taken.
   */
  function startSequencer(options: { intervalMs?: number; checkpointIntervalMs?: number; onError?: (error: unknown) => void } = {}): {
    stop(): Promise<void>;
  } {
    const interval = options.intervalMs ?? 50;
    const checkpointInterval = options.checkpointIntervalMs ?? 1000;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<void> = Promise.resolve();
    let lastIntegration = 0;
    const once = async () => {
      let full = true;
      while (full && !stopped) {
        const step = await sequence(db, maxBatch);
        full = step.status === 'sequenced' && step.count === maxBatch;
      }
      if (Date.now() - lastIntegration >= checkpointInterval) {
        lastIntegration = Date.now();
        await integrateOnce(ctx);
      }
    };
    const round = () => {
      running = once().then(
        () => undefined,
        (error: unknown) => options.onError?.(error),
      );
      void running.then(() => {
        if (!stopped) {
          timer = setTimeout(round, interval);
          timer.unref();
        }
      });
    };
    round();
    return {
      async stop() {
        stopped = true;
        if (timer) clearTimeout(timer);
        await running;
      },
    };
  }

  return {
    /**
     * The entry's index once it is sequenced and integrated, sequencing here when no other process
     * does. For tests and tools that need a proof right after a write; the app does not wait.
     */
    async waitForIndex(id: number, options: { timeoutMs?: number } = {}): Promise<number> {
      const deadline = Date.now() + (options.timeoutMs ?? 30_000);
      for (;;) {
        const status = await lookup(ctx, id);
        if (status?.integrated) return status.index!;
        if (Date.now() > deadline)
          throw new Error(`ledger entry ${id} was not sequenced in time (${status ? status.status : 'unknown id'})`);
        await sequenceNow({ timeoutMs: Math.max(1, deadline - Date.now()) });
      }
    },

    /** Sequences every queued entry and integrates them into a new signed checkpoint. */
    sequenceNow,

    /** The same as `sequenceNow` (its name from before sequencing was asynchronous). */
    integrate: () => sequenceNow(),

    /**
     * The sequencer: every `intervalMs` numbers what is queued (again at once while batches come
     * full), and at least every `checkpointIntervalMs` integrates the new entries into a signed
     * checkpoint. Safe with many app processes on one PostgreSQL: one sequences, the others find
     * the lock taken.
     */
    startSequencer,

    /** The same as `startSequencer`, checkpointing every `intervalMs`. */
    startIntegrator(options: { intervalMs?: number; onError?: (error: unknown) => void } = {}): { stop(): Promise<void> } {
      return startSequencer({
        intervalMs: Math.min(options.intervalMs ?? 50, 50),
        checkpointIntervalMs: options.intervalMs ?? 1000,
        ...(options.onError ? { onError: options.onError } : {}),
      });
    },
  };
}
