import { createCalls } from './calls.ts';
import { createDirectory } from './directory.ts';
import type { FederationContext, FederationDeps } from './federation-context.ts';
import { countType, createMessageTypes, pingType, type MessageTypeHandler } from './message-types.ts';
import { createMessages } from './messages.ts';
import { requestJoin, requestKeyChange } from './join.ts';
import { federated, nodeKey } from './node-identity.ts';
import { createWitnessing } from './witnessing.ts';
import { createForeignStatus } from './foreign-status.ts';
import type { StatusPurpose } from '../../verify/status-credential.ts';
import { DEFAULT_DELIVERY_RETRY, DEFAULT_MESSAGE_RETENTION_MS } from './federation-context.ts';

/**
 * The federation service (跨省通办, first slice): the node's identity and key, the hub's directory
 * and national trust list, a province's verified copy of them, and signed messages between nodes
 * through the outbox. Standalone nodes (the default) get FEDERATION_DISABLED from every call.
 */
export function createFederationService(deps: FederationDeps) {
  const ctx: FederationContext = {
    ...deps,
    clock: deps.clock ?? (() => new Date()),
    deliveryTimeoutMs: deps.deliveryTimeoutMs ?? 5000,
    deliveryRetry: deps.deliveryRetry ?? DEFAULT_DELIVERY_RETRY,
    messageRetentionMs: deps.messageRetentionMs ?? DEFAULT_MESSAGE_RETENTION_MS,
    fetch: deps.fetch ?? ((...args) => fetch(...args)),
    witnessing: deps.witnessing ?? null,
    offers: deps.offers ?? null,
    services: deps.services ?? null,
  };
  const directory = createDirectory(ctx);
  const types = createMessageTypes();
  types.register(pingType);
  types.register(countType);
  const messages = createMessages(ctx, { lookup: directory.lookup, types });
  const calls = createCalls(ctx, { lookup: directory.lookup, directoryMembers: async () => (await directory.current())?.members ?? [] });
  const witnessing = createWitnessing(ctx, { directory, send: messages.send });
  const foreignStatus = createForeignStatus(ctx, { issuers: () => directory.issuers() });
  types.register(witnessing.cosignedType);

  return {
    role: ctx.config.role,
    /** This node's clock (signature windows are checked against it). */
    clock: ctx.clock,
    enabled: ctx.config.role !== 'standalone',
    /** Who this node is: role, member id, endpoint and its message key (public). */
    async node() {
      const config = federated(ctx.config);
      const key = await nodeKey(ctx);
      return {
        role: config.role,
        memberId: config.memberId,
        name: config.name,
        endpoint: ctx.publicUrl,
        key: key.published,
        certificatePem: key.certificatePem,
        chainPem: key.chainPem,
      };
    },
    directory,
    /** The certificates module's `foreignTrust` port: anchors of the other members (null when standalone). */
    foreignTrust: () => directory.foreignAnchors(),
    /**
     * The certificates module's `foreignStatus` port: another member's certificate's status from
     * its signed lists, fetched from its published endpoint and cached (null for a non-member's).
     */
    foreignStatus: (payload: string) => foreignStatus.evidence(payload),
    /** Another member's signed status list for the verify page: fetched and kept as for `foreignStatus` (404 for a non-member's). */
    foreignStatusList: (list: string, purpose: StatusPurpose) => foreignStatus.signedList(list, purpose),
    /** The member lookup port other modules use. */
    lookup: directory.lookup,
    /** Other modules register their message types here (the composition root, before serving). */
    registerMessageType: (handler: MessageTypeHandler) => types.register(handler),
    messageTypes: () => types.types(),
    send: messages.send,
    /** Sends in a transaction of its own (the CLI's send-ping). */
    sendNow: (to: string, type: string, payload: Record<string, unknown>) =>
      ctx.db.transaction((tx) => messages.send(tx, to, type, payload)),
    /** A province asks the hub to join (pinning the hub's key first). */
    join: (options: { expectedHubKeyId?: string } = {}) => requestJoin(ctx, directory, options),
    /**
     * A synchronous signed call (calls.ts): the recipient's verified answer now, idempotent by the
     * message id; this side's row and leaf written in `options.executor` (the caller's transaction).
     */
    call: calls.call,
    /** The directory's member serving a division's province (the place of insurance's node), or null. */
    memberForDivision: calls.memberForDivision,
    /** A province rolls its message key: a new key and a change request signed by the old one (`yiban federation rotate-key`). */
    rotateKey: () => requestKeyChange(ctx),
    /** The hub operator's decisions on members: list, approve, reject, revoke (the console's 成员审批 and the CLI). */
    members: directory.admin,
    receive: messages.receive,
    receipt: messages.receipt,
    /** A received message's payload as signed (the handling node's case opening reads the applicant from it); null once pruned. */
    receivedPayload: messages.receivedPayload,
    /** Drops the bodies of done messages older than the retention (serve, hourly); rows, digests and answers stay. */
    pruneMessageBodies: messages.pruneBodies,
    deliveryHandler: messages.deliveryHandler,
    /** Cross-witnessing: members witness each other's ledgers with the directory's keys; the hub publishes the cosigned checkpoints. */
    witnessing,
  };
}

export type FederationService = ReturnType<typeof createFederationService>;
