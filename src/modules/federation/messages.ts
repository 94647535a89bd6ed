/**
 * Messages between nodes. Sending writes the message row, a ledger leaf and an outbox event in the
 * caller's transaction; the outbox worker delivers it (a signed POST to the recipient's endpoint from
 * the directory) and retries until the recipient answers. Receiving checks the signature against
 * the sender's key in the directory, the recipient, the time window and the body digest, then
 * records the message (once per id: the primary key) with its ledger leaf and applies its type's
 * handler in one transaction; a replay is answered with the first answer.
 */
import { createHash, randomUUID } from 'node:crypto';
import { AppError } from '../../core/errors.ts';
import type { Executor } from '../../db/database.ts';
import { canonicalJson } from '../../verify/document.ts';
import type { EventHandler } from '../events/index.ts';
import {
  SignatureError,
  Transient,
  departmentAgents,
  signRequest,
  signResponse,
  signedPost,
  sm2VerifyingKey,
  verifyRequest,
  verifyResponse,
  type Sm2VerifyingKey,
} from '../sharing/index.ts';
import type { DirectoryLookup } from './directory.ts';
import type { DirectoryMember } from './documents.ts';
import { keyValidAt } from './documents.ts';
import { MESSAGES_PATH, MESSAGE_TOPIC, WINDOW_SECONDS, type FederationContext } from './federation-context.ts';
import * as repo from './federation.repository.ts';
import type { FederationMessage, MessageTypes } from './message-types.ts';
import { federated, nodeKey, parseMemberId } from './node-identity.ts';
import { bodyOf } from './message-vault.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const encoder = new TextEncoder();

/** An HTTP answer as the route sends it: status, JSON text, headers (signed when the request's signature could be bound). */
export interface WireAnswer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

export interface ReceiveInput {
  url: string;
  headers: Record<string, string>;
  body: string;
}

function leaf(
  kind: 'federation.sent' | 'federation.received',
  m: { id: string; from: string; to: string; type: string },
  digest: string,
  at: Date,
) {
  return {
    kind,
    data: encoder.encode(canonicalJson({ kind, id: m.id, from: m.from, to: m.to, type: m.type, body: digest, at: at.toISOString() })),
  };
}

function verifyingKeys(member: DirectoryMember, at: Date, cache: Map<string, Sm2VerifyingKey>) {
  return (keyId: string): Sm2VerifyingKey | null => {
    const key = member.keys.find((k) => k.keyId === keyId);
    if (!key || !keyValidAt(key, at)) return null;
    let verifying = cache.get(key.publicKeySpki);
    if (!verifying) cache.set(key.publicKeySpki, (verifying = sm2VerifyingKey(new Uint8Array(Buffer.from(key.publicKeySpki, 'base64')))));
    return verifying;
  };
}

export function createMessages(ctx: FederationContext, deps: { lookup: DirectoryLookup; types: MessageTypes }) {
  const { db, clock, vault } = ctx;
  const { lookup, types } = deps;
  const keyCache = new Map<string, Sm2VerifyingKey>();
  const agents = departmentAgents();

  /** Checks everything about a received message but its id's novelty; the parsed message and the sender. */
  async function check(input: ReceiveInput): Promise<FederationMessage> {
    const config = federated(ctx.config);
    let message: FederationMessage;
    try {
      message = JSON.parse(input.body) as FederationMessage;
    } catch {
      throw new AppError('MALFORMED_JSON');
    }
    const problem = shapeProblem(message);
    if (problem) throw new AppError('FEDERATION_BAD_MESSAGE', { detail: problem });
    const sender = await lookup.resolve(message.from);
    if (!sender) throw new AppError('FEDERATION_UNKNOWN_MEMBER', { member: message.from });
    const now = clock();
    try {
      await verifyRequest(
        { method: 'POST', url: input.url, headers: input.headers, body: input.body },
        { keyFor: verifyingKeys(sender, now, keyCache), now, windowSeconds: WINDOW_SECONDS, skewSeconds: WINDOW_SECONDS },
      );
    } catch (error) {
      throw new AppError('FEDERATION_SIGNATURE_INVALID', {
        reason: error instanceof SignatureError ? error.reason : 'SIGNATURE_MALFORMED',
      });
    }
    if (input.headers['idempotency-key'] !== message.id)
      throw new AppError('FEDERATION_BAD_MESSAGE', { detail: 'Idempotency-Key must be the message id' });
    if (message.to !== config.memberId)
      throw new AppError('FEDERATION_BAD_MESSAGE', { detail: `addressed to ${message.to}, not this node` });
    return message;
  }

  /** Records and applies a verified message once; the first answer for its id otherwise. */
  async function apply(message: FederationMessage, body: string): Promise<Record<string, unknown>> {
    const handler = types.get(message.type);
    if (!handler) throw new AppError('FEDERATION_UNKNOWN_TYPE', { type: message.type });
    const digest = sha256(body);
    return db.transaction(async (tx) => {
      const now = clock();
      const inserted = await repo.insertMessage(tx, {
        direction: 'in',
        id: message.id,
        fromMember: message.from,
        toMember: message.to,
        type: message.type,
        sealedBody: vault.seal('in', message.id, body),
        bodyDigest: digest,
        created: new Date(message.created),
        status: 'applied',
        doneAt: now,
      });
      if (!inserted) {
        const first = await repo.findMessage(tx, 'in', message.id);
        // The same bytes are a replay even once the first body was pruned; other bytes need the first body to compare.
        const replay = first?.bodyDigest === digest || (first !== null && sameContent(bodyOf(vault, first), message));
        if (!first || first.fromMember !== message.from || !replay) throw new AppError('FEDERATION_MESSAGE_CONFLICT', { id: message.id });
        return { ...(first.response ?? {}), replayed: true };
      }
      const result = await handler.apply(tx, message);
      const { id: entryId } = await ctx.ledger.appendInTx(tx, leaf('federation.received', message, digest, now));
      const response = { id: message.id, status: 'applied', result };
      await repo.updateMessage(tx, 'in', message.id, { response, ledgerEntryId: entryId });
      return response;
    });
  }

  return {
    /**
     * Sends a message: in the caller's transaction, the row, its ledger leaf (digests only) and the
     * outbox event that delivers it. The recipient must be in the directory this node holds.
     */
    send: async (tx: Executor, to: string, type: string, payload: Record<string, unknown>): Promise<{ id: string }> => {
      const config = federated(ctx.config);
      if (!parseMemberId(to)) throw new AppError('FEDERATION_BAD_MESSAGE', { detail: `bad member id ${to}` });
      if (!(await lookup.find(to, { executor: tx }))) throw new AppError('FEDERATION_UNKNOWN_MEMBER', { member: to });
      const now = clock();
      const message: FederationMessage = { id: randomUUID(), from: config.memberId, to, type, payload, created: now.toISOString() };
      const problem = shapeProblem(message);
      if (problem) throw new AppError('FEDERATION_BAD_MESSAGE', { detail: problem });
      const body = JSON.stringify(message);
      const digest = sha256(body);
      const { id: entryId } = await ctx.ledger.appendInTx(tx, leaf('federation.sent', message, digest, now));
      await repo.insertMessage(tx, {
        direction: 'out',
        id: message.id,
        fromMember: message.from,
        toMember: to,
        type,
        sealedBody: vault.seal('out', message.id, body),
        bodyDigest: digest,
        created: now,
        status: 'pending',
        ledgerEntryId: entryId,
      });
      await ctx.events.enqueue(tx, { topic: MESSAGE_TOPIC, payload: { messageId: message.id } });
      return { id: message.id };
    },

    /** `POST /api/federation/messages`: every refusal is an AppError; the answer is signed by this node's key. */
    receive: async (input: ReceiveInput): Promise<WireAnswer> => {
      let status = 200;
      let answer: Record<string, unknown>;
      try {
        const message = await check(input);
        answer = await apply(message, input.body);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        status = error.status;
        answer = { error: { code: error.code, params: error.params } };
      }
      const body = JSON.stringify(answer);
      try {
        const key = await nodeKey(ctx);
        const headers = await signResponse(key.signer, { url: input.url, headers: input.headers }, { status, body, now: clock() });
        return { status, body, headers };
      } catch {
        // Nothing to bind an answer to (no readable request signature), or no key: the refusal goes unsigned.
        return { status, body, headers: { 'content-type': 'application/json' } };
      }
    },

    /** The outbox handler that delivers a message; a refusal (400, 404, 409) is final; no answer, a 5xx, 401 or 403 is retried with backoff. */
    deliveryHandler: (): EventHandler => {
      return {
        name: 'federation.deliver',
        topics: [MESSAGE_TOPIC],
        // A peer down for hours or days: its messages wait (at most 5 minutes apart by default) instead of dying after ~4 minutes.
        retry: { backoffMaxMs: ctx.deliveryRetry.backoffMaxMs, retryForMs: ctx.deliveryRetry.retryForMs },
        handle: async (event, handling) => {
          const id = String(event.payload.messageId);
          const row = await repo.findMessage(db, 'out', id);
          if (!row || row.status !== 'pending') return;
          const recipient = await lookup.resolve(row.toMember);
          const fail = async (reason: string, final: boolean) => {
            await db.transaction(async (tx) => {
              await repo.updateMessage(tx, 'out', id, {
                attempts: row.attempts + 1,
                lastError: reason.slice(0, 500),
                ...(final ? { status: 'refused' as const, doneAt: clock() } : {}),
              });
              if (final) await handling.markHandled(tx);
            });
            if (!final) throw new Error(reason);
          };
          if (!recipient) return fail(`${row.toMember} is not in the directory`, false);
          // Sealed at rest, opened for this attempt only; a pending message is never pruned.
          const body = bodyOf(vault, row);
          if (body === null) return fail('the body is gone', true);
          const url = `${recipient.endpoint.replace(/\/+$/, '')}${MESSAGES_PATH}`;
          const key = await nodeKey(ctx);
          // A fresh signature per attempt (its window is 5 minutes); the body is the one stored, byte for byte.
          const signed = await signRequest(key.signer, {
            url,
            body,
            idempotencyKey: row.id,
            now: clock(),
            ttlSeconds: WINDOW_SECONDS,
          });
          let answer;
          try {
            answer = await signedPost(agents, {
              url,
              headers: signed.headers,
              body,
              timeoutMs: ctx.deliveryTimeoutMs,
              tooLarge: () => new Transient('the answer is too large'),
            });
          } catch (error) {
            return fail(error instanceof Error ? error.message : String(error), false);
          }
          if (answer.status >= 500 || answer.status === 429) return fail(`HTTP ${answer.status}`, false);
          try {
            await verifyResponse(
              { url, headers: signed.headers },
              { status: answer.status, headers: answer.headers, body: answer.text },
              {
                keyFor: verifyingKeys(recipient, clock(), keyCache),
                now: clock(),
                windowSeconds: WINDOW_SECONDS,
                skewSeconds: WINDOW_SECONDS,
              },
            );
          } catch (error) {
            // An answer that does not verify proves nothing: tried again.
            return fail(`the answer's signature: ${error instanceof SignatureError ? error.reason : String(error)}`, false);
          }
          let response: Record<string, unknown>;
          try {
            response = JSON.parse(answer.text) as Record<string, unknown>;
          } catch {
            return fail('the answer is not JSON', false);
          }
          // 401 and 403 may be a recipient whose copy of the directory is older than ours (a member
          // approved or a key added since): tried again, it refreshes. A malformed, unknown-type or
          // conflicting message (400, 404, 409) stays refused.
          if (answer.status === 401 || answer.status === 403)
            return fail(`refused for now: HTTP ${answer.status} ${answer.text.slice(0, 300)}`, false);
          if (answer.status >= 400) return fail(`refused: HTTP ${answer.status} ${answer.text.slice(0, 300)}`, true);
          await db.transaction(async (tx) => {
            await repo.updateMessage(tx, 'out', id, {
              status: 'delivered',
              attempts: row.attempts + 1,
              lastError: null,
              response,
              doneAt: clock(),
            });
            await handling.markHandled(tx);
          });
        },
      };
    },

    receivedPayload: async (id: string): Promise<Record<string, unknown> | null> => {
      const row = await repo.findMessage(db, 'in', id);
      const body = row ? bodyOf(vault, row) : null;
      return body === null ? null : (JSON.parse(body) as FederationMessage).payload;
    },

    /** Prunes done messages' bodies older than the retention, a batch at a time; how many. */
    pruneBodies: async (options: { retentionMs?: number; batchSize?: number } = {}): Promise<number> => {
      const now = clock();
      const before = new Date(now.getTime() - (options.retentionMs ?? ctx.messageRetentionMs));
      const limit = options.batchSize ?? 1000;
      let total = 0;
      // Each batch prunes what it selected, so the batches are bounded by the table's size.
      for (;;) {
        const n = await db.transaction((tx) => repo.pruneMessageBodies(tx, { before, now, limit }));
        total += n;
        if (n < limit) return total;
      }
    },

    /** What this node knows of a message (ids, digests and state, no payload): a sender's or an operator's check. */
    receipt: async (direction: 'in' | 'out', id: string) => {
      federated(ctx.config);
      if (!UUID.test(id)) return null;
      const row = await repo.findMessage(db, direction, id);
      if (!row) return null;
      return {
        id: row.id,
        direction: row.direction,
        from: row.fromMember,
        to: row.toMember,
        type: row.type,
        bodyDigest: row.bodyDigest,
        status: row.status,
        attempts: row.attempts,
        ledgerEntryId: row.ledgerEntryId,
        doneAt: row.doneAt?.toISOString() ?? null,
        lastError: row.lastError,
      };
    },
  };
}

export function shapeProblem(m: unknown): string | null {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return 'the body is not a JSON object';
  const x = m as Record<string, unknown>;
  const keys = Object.keys(x).sort().join(',');
  if (keys !== 'created,from,id,payload,to,type') return 'the message has exactly id, from, to, type, payload and created';
  if (typeof x.id !== 'string' || !UUID.test(x.id)) return 'id is a UUID';
  if (typeof x.from !== 'string' || !parseMemberId(x.from)) return 'from is a member id';
  if (typeof x.to !== 'string' || !parseMemberId(x.to)) return 'to is a member id';
  if (typeof x.type !== 'string' || x.type.length > 64 || !/^[a-z][a-z0-9.-]*$/.test(x.type)) return 'type is a message type name';
  if (typeof x.payload !== 'object' || x.payload === null || Array.isArray(x.payload)) return 'payload is an object';
  if (typeof x.created !== 'string' || Number.isNaN(Date.parse(x.created))) return 'created is a time';
  return null;
}

/**
 * The same message sent again with a new `created` (a synchronous call retried after a timeout
 * rebuilds its body): the same recipient, type and payload under the same id is a replay.
 */
function sameContent(firstBody: string | null, message: FederationMessage): boolean {
  if (firstBody === null) return false;
  try {
    const first = JSON.parse(firstBody) as FederationMessage;
    return first.to === message.to && first.type === message.type && canonicalJson(first.payload) === canonicalJson(message.payload);
  } catch {
    return false;
  }
}
