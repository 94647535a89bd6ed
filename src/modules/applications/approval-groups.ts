/**
 * Group commit for single approvals (issue 11). Each approval request makes its own access
 * checks first (in `act`), then waits here for a moment with the others arriving at the same
 * time; a group is decided through the batch path (`decideChecked`: one preparation, the seal
 * signatures before the transaction, one transaction with one statement per kind of row), and
 * every request gets its own answer: its case's result, or its own error. Every audit event,
 * certificate and ledger leaf is still in the same transaction as its case's state change.
 *
 * - A second approval of a case already in the forming group waits for the next group, where
 *   it finds the case decided (ALREADY_DECIDED), as it would one after the other: a retry never
 *   issues twice (the decision's primary key and the locks hold that across groups and processes).
 * - A case that fails in preparation (holder or issuer missing) fails alone, through the batch
 *   path's per-case results. An error that aborts the whole group's transaction (unforeseen) is
 *   not handed to everyone: each case of the group is then tried again alone, so that only the
 *   case that causes it fails.
 * - At most `maxInFlight` groups are being decided at once (one signs while the other waits for
 *   its commit); the next group forms while they run, so groups grow with the load and a lone
 *   approval waits only `windowMs`.
 */
import type { BatchDecisionResult, CheckedDecision } from './batch-decisions.ts';

export interface ApprovalGroupOptions {
  /** How long the first approval of a group waits for others, in ms (0: the next turn of the event loop). */
  windowMs: number;
  /** The most approvals decided in one transaction. */
  maxGroup: number;
  /** Groups being decided at once. */
  maxInFlight: number;
}

export const DEFAULT_APPROVAL_GROUPS: ApprovalGroupOptions = { windowMs: 1, maxGroup: 100, maxInFlight: 2 };

/** Decides a group of distinct cases; a result for each. */
export type DecideGroup = (entries: readonly CheckedDecision[]) => Promise<ReadonlyMap<string, BatchDecisionResult>>;

interface Waiting {
  entry: CheckedDecision;
  resolve(result: BatchDecisionResult): void;
  reject(error: unknown): void;
}

export interface ApprovalGroups {
  /** The case's result once its group is decided; rejects only when deciding it failed unexpectedly. */
  decide(entry: CheckedDecision): Promise<BatchDecisionResult>;
  /** Groups decided so far and the approvals in them (for tests and benchmarks). */
  stats(): { groups: number; decided: number };
}

export function createApprovalGroups(decideGroup: DecideGroup, options: ApprovalGroupOptions = DEFAULT_APPROVAL_GROUPS): ApprovalGroups {
  let queue: Waiting[] = [];
  let inFlight = 0;
  let timer: ReturnType<typeof setTimeout> | ReturnType<typeof setImmediate> | null = null;
  let groups = 0;
  let decided = 0;

  function clearTimer(): void {
    if (timer === null) return;
    if (options.windowMs > 0) clearTimeout(timer as ReturnType<typeof setTimeout>);
    else clearImmediate(timer as ReturnType<typeof setImmediate>);
    timer = null;
  }

  function schedule(): void {
    if (queue.length === 0 || inFlight >= options.maxInFlight) return;
    if (queue.length >= options.maxGroup) return flush();
    if (timer !== null) return;
    const fire = () => {
      timer = null;
      flush();
    };
    timer = options.windowMs > 0 ? setTimeout(fire, options.windowMs) : setImmediate(fire);
  }

  function flush(): void {
    clearTimer();
    if (queue.length === 0 || inFlight >= options.maxInFlight) return;
    const group: Waiting[] = [];
    const rest: Waiting[] = [];
    const ids = new Set<string>();
    for (const w of queue) {
      if (group.length < options.maxGroup && !ids.has(w.entry.row.id)) {
        ids.add(w.entry.row.id);
        group.push(w);
      } else rest.push(w);
    }
    queue = rest;
    inFlight++;
    void run(group).finally(() => {
      inFlight--;
      // Those who came meanwhile have waited long enough: the next group goes at once.
      if (queue.length > 0) flush();
    });
    schedule();
  }

  async function run(group: Waiting[]): Promise<void> {
    let results: ReadonlyMap<string, BatchDecisionResult>;
    try {
      results = await decideGroup(group.map((w) => w.entry));
    } catch (error) {
      if (group.length === 1) return group[0]!.reject(error);
      // The whole transaction failed: each case alone, so that the error stays with its own case.
      await Promise.all(group.map((w) => run([w])));
      return;
    }
    groups++;
    decided += group.length;
    for (const w of group) {
      const result = results.get(w.entry.row.id);
      if (result) w.resolve(result);
      else w.reject(new Error(`case ${w.entry.row.id}: no result from its group`));
    }
  }

  return {
    decide(entry) {
      return new Promise<BatchDecisionResult>((resolve, reject) => {
        queue.push({ entry, resolve, reject });
        schedule();
      });
    },
    stats: () => ({ groups, decided }),
  };
}
