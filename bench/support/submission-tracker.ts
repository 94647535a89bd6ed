import type { HttpClient } from './http.ts';

/**
 * Hands out a unique Idempotency-Key (and the next resident's token) for every request of a
 * run and records how each was answered, so that afterwards the cases in the database can be
 * matched one for one against the 2xx responses.
 */
export class SubmissionTracker {
  readonly statuses = new Map<number, number>();
  private readonly tokenOf = new Map<string, string>();
  private readonly unanswered = new Set<string>();
  private issued = 0;
  private nextToken = 0;
  created = 0;
  replayedInRun = 0;

  constructor(
    private readonly tag: string,
    private readonly tokens: readonly string[],
    private readonly body: string,
  ) {}

  next(): { key: string; token: string } {
    const key = `${this.tag}_${String(this.issued++).padStart(9, '0')}`;
    const token = this.tokens[this.nextToken++ % this.tokens.length]!;
    this.tokenOf.set(key, token);
    this.unanswered.add(key);
    return { key, token };
  }

  answer(key: string, status: number, replayed: boolean): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    if (status >= 200 && status < 300) {
      this.unanswered.delete(key);
      if (status === 201) this.created++;
      if (replayed) this.replayedInRun++;
    }
  }

  get keysIssued(): number {
    return this.issued;
  }

  get twoXx(): number {
    let n = 0;
    for (const [status, count] of this.statuses) if (status >= 200 && status < 300) n += count;
    return n;
  }

  get non2xx(): number {
    let n = 0;
    for (const [status, count] of this.statuses) if (status < 200 || status >= 300) n += count;
    return n;
  }

  /**
   * Sends again every key that got no 2xx (requests cut off when the run stopped, keys set up
   * but never sent, errors). Idempotency makes this safe: a key whose case was committed
   * answers 200 with the first case; one that never reached the database creates it now (201).
   */
  async replayUnanswered(client: HttpClient): Promise<{ keys: number; created: number; alreadyCommitted: number; failed: number }> {
    const keys = [...this.unanswered];
    const outcome = { keys: keys.length, created: 0, alreadyCommitted: 0, failed: 0 };
    for (const key of keys) {
      const response = await client.request({
        method: 'POST',
        path: '/api/cases',
        headers: { authorization: `Bearer ${this.tokenOf.get(key)!}`, 'idempotency-key': key },
        body: this.body,
      });
      if (response.status === 201) outcome.created++;
      else if (response.status === 200) outcome.alreadyCommitted++;
      else outcome.failed++;
    }
    return outcome;
  }
}
