/**
 * Yiban as a log, push model (C2SP tlog-witness): each new checkpoint goes to every witness with
 * a submission URL, as `old <size the witness last cosigned>`, the consistency proof from that
 * size, and the signed checkpoint. A 409 names the witness's size: the log retries from it (at
 * most twice). The returned cosignatures are checked and stored like pulled ones
 * (cosignatures.ts), so /ledger/checkpoint serves them. A witness that fails backs off
 * exponentially; the pusher runs on its own timer, so no witness ever holds up an append.
 */
import { AppError } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import type { Executor } from '../../db/database.ts';
import { parseSignatureLine } from '../../verify/signed-note.ts';
import type { createCosignatureFunctions } from './cosignatures.ts';
import { latestStored, type LedgerContext } from './ledger-context.ts';
import type { createProofFunctions } from './proofs.ts';
import { formatAddCheckpointBody, parseTlogSize } from './witness-protocol.ts';
import {
  duePushTargets,
  listPushTargets,
  recordPushFailure,
  recordPushSuccess,
  upsertPushTarget,
  type PushTarget,
} from './witness-push.repository.ts';
import { cosignatureLines, listWitnesses } from './witnesses.repository.ts';

export interface PushResult {
  witness: string;
  status: 'COSIGNED' | 'UP_TO_DATE' | 'FAILED';
  size: number;
  detail?: string;
}

const MAX_ATTEMPTS = 3;
const MAX_BACKOFF_MS = 5 * 60_000;

/** Setting where a registered witness takes checkpoints: the operator's work (CLI), like registering it. */
export function createPushAdminFunctions({ db }: { db: Executor }) {
  return {
    async setWitnessUrl(name: string, url: string): Promise<void> {
      if (!/^https?:\/\/\S+$/.test(url)) throw new AppError('VALIDATION_FAILED', { detail: message('ledger.witness.url') });
      if (!(await listWitnesses(db)).some((w) => w.name === name)) throw new AppError('NOT_FOUND', { what: 'witness' });
      await upsertPushTarget(db, { witness: name, url: url.replace(/\/+$/, '') });
    },
    listPushTargets: () => listPushTargets(db),
  };
}

export function createWitnessPushFunctions(
  ctx: LedgerContext,
  deps: {
    proofs: Pick<ReturnType<typeof createProofFunctions>, 'consistencyProof'>;
    cosignatures: Pick<ReturnType<typeof createCosignatureFunctions>, 'addCosignature'>;
  },
) {
  const { db, clock } = ctx;

  async function pushOne(
    target: PushTarget,
    checkpoint: { size: number; note: string },
    fetcher: typeof fetch,
    timeoutMs: number,
  ): Promise<PushResult> {
    const fail = async (detail: string, knownSize?: number): Promise<PushResult> => {
      await recordPushFailure(db, {
        witness: target.witness,
        error: detail,
        now: clock(),
        maxBackoffMs: MAX_BACKOFF_MS,
        ...(knownSize === undefined ? {} : { knownSize }),
      });
      return { witness: target.witness, status: 'FAILED', size: checkpoint.size, detail };
    };
    let known = target.knownSize;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (known > checkpoint.size) {
        return fail(`the witness has cosigned size ${known}, larger than this log's ${checkpoint.size}`, known);
      }
      const proof = known === 0 ? [] : (await deps.proofs.consistencyProof(known, checkpoint.size)).hashes;
      let response: Response;
      let body: string;
      try {
        response = await fetcher(`${target.url}/add-checkpoint`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain; charset=utf-8' },
          body: formatAddCheckpointBody({ oldSize: known, proof, note: checkpoint.note }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        body = await response.text();
      } catch (error) {
        return fail(`POST ${target.url}/add-checkpoint: ${(error as Error).message}`, known);
      }
      if (response.status === 409) {
        const size = parseTlogSize(body);
        if (size === null) return fail(`409 with a malformed size ${JSON.stringify(body.slice(0, 40))}`, known);
        known = size;
        continue;
      }
      if (response.status !== 200) return fail(`HTTP ${response.status}: ${body.slice(0, 300).trim()}`, known);
      let stored = 0;
      for (const line of body.split('\n').filter((l) => l.length > 0)) {
        // Cosignatures from other keys the witness may hold are ignored, as the spec says.
        if (parseSignatureLine(line)?.name !== target.witness) continue;
        try {
          await deps.cosignatures.addCosignature({ size: checkpoint.size, signature: line });
          stored++;
        } catch (error) {
          return fail(`the witness answered a cosignature that does not verify: ${(error as Error).message}`, known);
        }
      }
      if (stored === 0) return fail('the witness answered 200 without its cosignature', known);
      await recordPushSuccess(db, target.witness, checkpoint.size);
      return { witness: target.witness, status: 'COSIGNED', size: checkpoint.size };
    }
    return fail(`the witness answered 409 ${MAX_ATTEMPTS} times (last size ${known})`, known);
  }

  /** One round: the latest checkpoint to every due witness that has not cosigned it, in parallel. */
  async function pushToWitnesses(options: { fetch?: typeof fetch; timeoutMs?: number } = {}): Promise<PushResult[]> {
    const targets = await duePushTargets(db, clock());
    if (targets.length === 0) return [];
    const latest = await latestStored(ctx);
    const cosigned = new Set((await cosignatureLines(db, latest.size)).map((l) => parseSignatureLine(l.trimEnd())?.name));
    const fetcher = options.fetch ?? fetch;
    return Promise.all(
      targets.map(async (target): Promise<PushResult> => {
        if (target.knownSize === latest.size && cosigned.has(target.witness))
          return { witness: target.witness, status: 'UP_TO_DATE', size: latest.size };
        return pushOne(target, latest, fetcher, options.timeoutMs ?? 10_000);
      }),
    );
  }

  /** The pusher in the background (`yiban serve`): a round every `intervalMs`, never two at once. */
  function startWitnessPush(
    options: { intervalMs?: number; timeoutMs?: number; fetch?: typeof fetch; onError?: (error: unknown) => void } = {},
  ): {
    stop(): Promise<void>;
  } {
    const interval = options.intervalMs ?? 1000;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<void> = Promise.resolve();
    const round = () => {
      running = pushToWitnesses({ ...(options.fetch ? { fetch: options.fetch } : {}), timeoutMs: options.timeoutMs ?? 10_000 }).then(
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

  return { pushToWitnesses, startWitnessPush };
}
