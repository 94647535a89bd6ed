import type { FederationConfig } from '../../core/config.ts';
import type { Db, Executor } from '../../db/database.ts';
import type { KeyStore } from '../certificates/index.ts';
import type { TrustAnchors } from '../../verify/verify-certificate.ts';
import type { MessageVault } from './message-vault.ts';

/** What the federation module is given by the composition root (app.ts): narrow ports of other modules. */
export interface FederationDeps {
  db: Db;
  config: FederationConfig;
  /** This node's public base URL: its endpoint in the directory. */
  publicUrl: string;
  keys: Pick<KeyStore, 'ensureSealKey' | 'ensurePlatformRoot' | 'crossCertify' | 'listKeys' | 'getSigner'>;
  /** This node's own trust anchors (its root and status list signers, no other member's), sent with a join request. */
  trustAnchors: () => Promise<TrustAnchors>;
  ledger: { appendInTx(tx: Executor, entry: { kind: string; data: Uint8Array }): Promise<{ id: number }> };
  events: { enqueue(tx: Executor, event: { topic: string; payload: Record<string, unknown> }): Promise<number> };
  /** This node's ledger as a log and as a witness (cross-witnessing); absent, the node neither publishes nor witnesses. */
  witnessing?: WitnessingPorts;
  clock?: () => Date;
  /** One delivery attempt's limit (default 5000 ms): a slow peer holds one outbox lane that long, no more. */
  deliveryTimeoutMs?: number;
  /** The service codes this node publishes in its directory entry (its catalog's); absent, none. */
  services?: () => Promise<string[]>;
  /**
   * The delivery's retry policy: a peer may be down for days, so a message is retried (at most
   * `backoffMaxMs` apart, default 5 minutes) for `retryForMs` (default 7 days) before it is a dead letter.
   */
  deliveryRetry?: { retryForMs: number; backoffMaxMs: number };
  /** Seals message bodies at rest (under the master key) and opens them where they are read. */
  vault: MessageVault;
  /** How long a done message's body is kept before it is pruned (default 30 days); its row, digest and answer stay. */
  messageRetentionMs?: number;
  /** How the hub is asked (tests inject one); global fetch by default. */
  fetch?: typeof fetch;
  /** What this node offers other members (its directory entry): e-licence library datasets, `licence.<type>`. */
  offers?: () => Promise<{ datasets: string[] }>;
}

/** The ledger module's ports the federation's cross-witnessing uses (composed in app.ts). */
export interface WitnessingPorts {
  /** This node's log key (its checkpoints' signer) and witness key (its cosignatures' signer). */
  logVkey(): Promise<string>;
  witnessVkey(): Promise<string>;
  /** This log pushes its checkpoints to the witness with `vkey` at `url` (`<url>/add-checkpoint`). */
  addWitness(vkey: string, url: string): Promise<void>;
  /** This witness takes the checkpoints of the log with `vkey`, whose tiles are under `<url>/ledger/`. */
  addLog(vkey: string, url: string): Promise<void>;
  /** The latest checkpoint this witness cosigned for each log it witnesses (log signature and its cosignature). */
  cosigned(): Promise<{ origin: string; note: string }[]>;
  /** Compares what this witness cosigned with what a peer cosigned (`<peerUrl>/<origin hash>/checkpoint`); findings are kept. */
  gossip(peerUrl: string): Promise<{ origin: string; status: string; detail: string }[]>;
}

export interface FederationContext extends Required<Omit<FederationDeps, 'fetch' | 'witnessing' | 'offers' | 'services'>> {
  witnessing: WitnessingPorts | null;
  offers: (() => Promise<{ datasets: string[] }>) | null;
  services: (() => Promise<string[]>) | null;
  fetch: typeof fetch;
}

/** A message to a peer is retried for 7 days, at most 5 minutes apart, before it is a dead letter. */
export const DEFAULT_DELIVERY_RETRY = { retryForMs: 7 * 86_400_000, backoffMaxMs: 300_000 };

/** A done message's body is kept 30 days (`YIBAN_FEDERATION_MESSAGE_RETENTION_DAYS`), then pruned. */
export const DEFAULT_MESSAGE_RETENTION_MS = 30 * 86_400_000;

/** After a key change is approved, the member's old keys stay valid this long (at most their own end): messages in flight still verify. */
export const KEY_OVERLAP_MS = 24 * 3_600_000;

/** The outbox topic of a message to deliver. */
export const MESSAGE_TOPIC = 'federation.message';
/** How far a message's signature `created` may be from now, either way, and its `expires` from `created`. */
export const WINDOW_SECONDS = 300;
/** The org code the node's message-signing key is kept under in the key store (no org code looks like it). */
export const FEDERATION_KEY_OWNER = 'federation';
/** A request to the hub (its key, directory, trust list, a join): an operator's or a refresh's, never on a message's path. */
export const HUB_TIMEOUT_MS = 10_000;
export const MESSAGES_PATH = '/api/federation/messages';
