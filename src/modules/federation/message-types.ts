import type { Tx } from '../../db/database.ts';
import * as repo from './federation.repository.ts';

/** A message as a handler sees it: after its signature, sender, recipient and time were checked. */
export interface FederationMessage {
  id: string;
  from: string;
  to: string;
  type: string;
  payload: Record<string, unknown>;
  created: string;
}

/**
 * What a module registers for a message type: `apply` runs in the transaction that records the
 * message (once per message id, whatever the retries), and its result is the answer, kept and
 * sent again to a replay.
 */
export interface MessageTypeHandler {
  type: string;
  apply(tx: Tx, message: FederationMessage): Promise<Record<string, unknown>>;
}

const TYPE = /^[a-z][a-z0-9]*(\.[a-z][a-z0-9-]*)*$/;

/** The registry of message types this node handles (cross-province services register theirs in app.ts). */
export function createMessageTypes() {
  const handlers = new Map<string, MessageTypeHandler>();
  return {
    register(handler: MessageTypeHandler): void {
      if (!TYPE.test(handler.type) || handler.type.length > 64) throw new Error(`bad federation message type ${handler.type}`);
      if (handlers.has(handler.type)) throw new Error(`federation message type ${handler.type} is registered twice`);
      handlers.set(handler.type, handler);
    },
    get: (type: string) => handlers.get(type) ?? null,
    types: () => [...handlers.keys()].sort(),
  };
}

export type MessageTypes = ReturnType<typeof createMessageTypes>;

/** `ping`: answers who answered and when; nothing else happens. */
export const pingType: MessageTypeHandler = {
  type: 'ping',
  apply: (_tx, message) => Promise.resolve({ pong: true, to: message.to, receivedFor: message.id }),
};

/**
 * `test.count`: the number of `test.count` messages this node has applied, this one included, so
 * that a replay (answered from the first answer) and a second application (a larger count) differ.
 */
export const countType: MessageTypeHandler = {
  type: 'test.count',
  async apply(tx) {
    return { applied: await repo.countApplied(tx, 'test.count') };
  },
};
