/**
 * Synchronous calls between nodes (跨省通办 service 4, the cross-province settlement): the same
 * signed message as `send` (RFC 9421, sm2-sm3, the message id as Idempotency-Key), POSTed at once
 * to the recipient's `/api/federation/messages` instead of through the outbox, and its signed
 * answer verified and returned. The recipient records and applies it like any message (once per
 * id, its ledger leaf, the first answer to a replay); the caller records the message row and its
 * `federation.sent` leaf in the executor it passes, after the answer came: when the caller's
 * transaction rolls back (the recipient refused, did not answer, or the caller failed later),
 * nothing stays on the caller's side, and a retry with the same id gets the recipient's first
 * answer. A recipient that does not answer in `timeoutMs` (or answers 5xx, or an answer that does
 * not verify) is FEDERATION_PEER_UNAVAILABLE (503); its refusal comes back as its own error code.
 */
import { createHash, randomUUID } from 'node:crypto';
import { AppError, ERROR_CODES, type ErrorCode } from '../../core/errors.ts';
import type { Executor } from '../../db/database.ts';
import { canonicalJson } from '../../verify/document.ts';
import {
  SignatureError,
  Transient,
  departmentAgents,
  signRequest,
  signedPost,
  sm2VerifyingKey,
  verifyResponse,
  type Sm2VerifyingKey,
} from '../sharing/index.ts';
import type { DirectoryLookup } from './directory.ts';
import { keyValidAt, type DirectoryMember } from './documents.ts';
import { MESSAGES_PATH, WINDOW_SECONDS, type FederationContext } from './federation-context.ts';
import * as repo from './federation.repository.ts';
import type { FederationMessage } from './message-types.ts';
import { shapeProblem } from './messages.ts';
import { federated, nodeKey, parseMemberId } from './node-identity.ts';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export interface CallOptions {
  /** The message id: a caller's retry passes the same one and gets the recipient's first answer. */
  id?: string;
  /** The whole exchange's limit (default: the node's delivery timeout). */
  timeoutMs?: number;
  /** Where this side's message row and ledger leaf are written (the caller's transaction); a transaction of their own otherwise. */
  executor?: Executor;
  /**
   * Nothing recorded yet: the caller writes this side's row with `record(tx)` in its own
   * transaction, opened after the answer came (on PGlite, a call made inside an open transaction
   * could not read the directory or the node's key).
   */
  deferRecord?: boolean;
}

export interface CallAnswer {
  id: string;
  /** The recipient's handler's answer. */
  result: Record<string, unknown>;
  /** The recipient answered from its first answer to this id. */
  replayed: boolean;
  /** Writes this side's message row and `federation.sent` leaf (once per id) in the executor. */
  record(executor: Executor): Promise<void>;
}

/** The recipient's refusal codes a caller sees as they are (its domain's); a signature or directory problem is the federation's. */
const PASSED_ON = new Set([400, 404, 409, 422]);

export function createCalls(ctx: FederationContext, deps: { lookup: DirectoryLookup; directoryMembers(): Promise<DirectoryMember[]> }) {
  const { db, clock } = ctx;
  const agents = departmentAgents();
  const keyCache = new Map<string, Sm2VerifyingKey>();
  const encoder = new TextEncoder();

  const keyFor = (member: DirectoryMember, at: Date) => (keyId: string) => {
    const key = member.keys.find((k) => k.keyId === keyId);
    if (!key || !keyValidAt(key, at)) return null;
    let verifying = keyCache.get(key.publicKeySpki);
    if (!verifying)
      keyCache.set(key.publicKeySpki, (verifying = sm2VerifyingKey(new Uint8Array(Buffer.from(key.publicKeySpki, 'base64')))));
    return verifying;
  };

  async function record(executor: Executor, message: FederationMessage, body: string, response: Record<string, unknown>) {
    const digest = sha256(body);
    const now = clock();
    const inserted = await repo.insertMessage(executor, {
      direction: 'out',
      id: message.id,
      fromMember: message.from,
      toMember: message.to,
      type: message.type,
      sealedBody: ctx.vault.seal('out', message.id, body),
      bodyDigest: digest,
      created: new Date(message.created),
      status: 'delivered',
      attempts: 1,
      response,
      doneAt: now,
    });
    // A retry whose first attempt's row committed keeps that row and its one leaf.
    if (!inserted) return;
    const leaf = {
      kind: 'federation.sent',
      id: message.id,
      from: message.from,
      to: message.to,
      type: message.type,
      body: digest,
      at: now.toISOString(),
    };
    const { id: entryId } = await ctx.ledger.appendInTx(executor, { kind: 'federation.sent', data: encoder.encode(canonicalJson(leaf)) });
    await repo.updateMessage(executor, 'out', message.id, { ledgerEntryId: entryId });
  }

  return {
    /** Sends a signed message now and returns the recipient's verified answer (see the file's comment). */
    call: async (to: string, type: string, payload: Record<string, unknown>, options: CallOptions = {}): Promise<CallAnswer> => {
      const config = federated(ctx.config);
      if (!parseMemberId(to)) throw new AppError('FEDERATION_BAD_MESSAGE', { detail: `bad member id ${to}` });
      const recipient = await deps.lookup.resolve(to);
      if (!recipient) throw new AppError('FEDERATION_UNKNOWN_MEMBER', { member: to });
      const message: FederationMessage = {
        id: options.id ?? randomUUID(),
        from: config.memberId,
        to,
        type,
        payload,
        created: clock().toISOString(),
      };
      const problem = shapeProblem(message);
      if (problem) throw new AppError('FEDERATION_BAD_MESSAGE', { detail: problem });
      const body = JSON.stringify(message);
      const url = `${recipient.endpoint.replace(/\/+$/, '')}${MESSAGES_PATH}`;
      const key = await nodeKey(ctx);
      const signed = await signRequest(key.signer, { url, body, idempotencyKey: message.id, now: clock(), ttlSeconds: WINDOW_SECONDS });
      const unavailable = (reason: string) => new AppError('FEDERATION_PEER_UNAVAILABLE', { member: to, reason: reason.slice(0, 200) });
      let answer;
      try {
        answer = await signedPost(agents, {
          url,
          headers: signed.headers,
          body,
          timeoutMs: options.timeoutMs ?? ctx.deliveryTimeoutMs,
          tooLarge: () => new Transient('the answer is too large'),
        });
      } catch (error) {
        throw unavailable(error instanceof Error ? error.message : String(error));
      }
      if (answer.status >= 500 || answer.status === 429) throw unavailable(`HTTP ${answer.status}`);
      try {
        const now = clock();
        await verifyResponse(
          { url, headers: signed.headers },
          { status: answer.status, headers: answer.headers, body: answer.text },
          { keyFor: keyFor(recipient, now), now, windowSeconds: WINDOW_SECONDS, skewSeconds: WINDOW_SECONDS },
        );
      } catch (error) {
        // An answer that does not verify proves nothing: as if none came.
        throw unavailable(`the answer's signature: ${error instanceof SignatureError ? error.reason : String(error)}`);
      }
      let response: Record<string, unknown>;
      try {
        response = JSON.parse(answer.text) as Record<string, unknown>;
      } catch {
        throw unavailable('the answer is not JSON');
      }
      if (answer.status >= 400) {
        const error = (response.error ?? {}) as { code?: string; params?: Record<string, unknown> };
        const code = error.code ?? '';
        if (PASSED_ON.has(answer.status) && Object.hasOwn(ERROR_CODES, code) && !code.startsWith('FEDERATION_'))
          throw new AppError(code as ErrorCode, (error.params ?? {}) as never);
        throw new AppError('FEDERATION_PEER_REFUSED', { member: to, code: code || `HTTP ${answer.status}` });
      }
      const done: CallAnswer = {
        id: message.id,
        result: (response.result ?? {}) as Record<string, unknown>,
        replayed: response.replayed === true,
        record: (executor) => record(executor, message, body, response),
      };
      if (options.executor) await done.record(options.executor);
      else if (!options.deferRecord) await db.transaction((tx) => done.record(tx));
      return done;
    },

    /** The member of the directory that serves a division's province (its member id's division in the same province), or null. */
    memberForDivision: async (division: string): Promise<string | null> => {
      const config = federated(ctx.config);
      const province = division.slice(0, 2);
      const candidates = (await deps.directoryMembers())
        .map((m) => ({ id: m.memberId, parsed: parseMemberId(m.memberId) }))
        .filter(
          (m) =>
            m.parsed && m.id !== config.memberId && m.parsed.divisionCode !== '000000' && m.parsed.divisionCode.slice(0, 2) === province,
        )
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return candidates[0]?.id ?? null;
    },
  };
}
