import { AppError } from '../../core/errors.ts';
import { MEMBER_ID, type FederationConfig } from '../../core/config.ts';
import { parseCertificate } from '../../verify/x509.ts';
import type { KeyStore } from '../certificates/index.ts';
import type { Sm2KeySigner } from '../sharing/index.ts';
import type { SignedDocument } from '../../verify/signed-document.ts';
import type { DirectoryDocument } from './documents.ts';
import * as repo from './federation.repository.ts';
import { FEDERATION_KEY_OWNER, type FederationContext } from './federation-context.ts';
import type { MemberKey } from './federation.tables.ts';

export type FederatedConfig = Exclude<FederationConfig, { role: 'standalone' }>;

/** A member identifier's parts, or null when it is not `CN/GOV/<six digits>/<subsystem>`. */
export function parseMemberId(text: string): { divisionCode: string; subsystem: string } | null {
  const m = MEMBER_ID.exec(text);
  return m ? { divisionCode: m[1]!, subsystem: m[2]! } : null;
}

/** The node's federation settings; FEDERATION_DISABLED on a standalone node. */
export function federated(config: FederationConfig): FederatedConfig {
  if (config.role === 'standalone') throw new AppError('FEDERATION_DISABLED', { role: config.role });
  return config;
}

export interface NodeKey {
  /** Signs HTTP messages (RFC 9421, sm2-sm3) and the hub's documents. */
  signer: Sm2KeySigner;
  /** As the directory publishes it. */
  published: MemberKey;
  certificatePem: string;
  chainPem: string;
}

type KeySigner = Awaited<ReturnType<KeyStore['getSigner']>>;

/** The key store owner of a key generation: `federation`, then `federation-2`, `federation-3`, … (one per `rotate-key`). */
const ownerOf = (generation: number) => (generation === 1 ? FEDERATION_KEY_OWNER : `${FEDERATION_KEY_OWNER}-${generation}`);
const MAX_GENERATIONS = 64;
/** How long a process keeps its choice of key (a refresh or a rotation in the same process forgets it at once). */
const CHOICE_MS = 5000;

const chosen = new WeakMap<FederationContext, { key: NodeKey; until: number }>();
/** Per node (its context, so per database): the directory version read last and the key ids it lists for the node. */
const listedForSelf = new WeakMap<FederationContext, { version: number; listed: Set<string> }>();

function nodeKeyOf(signer: KeySigner): NodeKey {
  const parsed = parseCertificate(signer.certificatePem);
  if (!parsed.ok) throw new Error(`federation key ${signer.keyId}: unreadable certificate`);
  return {
    signer: { keyId: signer.keyId, alg: 'sm2-sm3', sign: (m) => signer.sign(m) },
    published: {
      keyId: signer.keyId,
      alg: 'sm2-sm3',
      publicKeySpki: Buffer.from(signer.publicKeySpki).toString('base64'),
      notBefore: parsed.certificate.notBefore.toISOString(),
      notAfter: parsed.certificate.notAfter.toISOString(),
    },
    certificatePem: signer.certificatePem,
    chainPem: signer.chainPem,
  };
}

/** The node's key generations, oldest first (the first is created on first use). */
export async function keyGenerations(ctx: FederationContext): Promise<KeySigner[]> {
  const config = federated(ctx.config);
  const out: KeySigner[] = [await ctx.keys.ensureSealKey({ code: FEDERATION_KEY_OWNER, name: `${config.name} 跨省通办报文签名` }, 'SM2')];
  for (let generation = 2; generation <= MAX_GENERATIONS; generation++) {
    const active = (await ctx.keys.listKeys(ownerOf(generation), 'seal')).find((k) => k.status === 'active');
    if (!active) break;
    out.push(await ctx.keys.getSigner(active.keyId));
  }
  return out;
}

/** A new key generation (`yiban federation rotate-key`), certified by the node's SM2 root; not used to sign until the directory lists it. */
export async function newKeyGeneration(ctx: FederationContext, generation: number): Promise<NodeKey> {
  const config = federated(ctx.config);
  forgetNodeKey(ctx);
  return nodeKeyOf(await ctx.keys.ensureSealKey({ code: ownerOf(generation), name: `${config.name} 跨省通办报文签名` }, 'SM2'));
}

/** The key ids the directory this node holds lists for it (a province's verified copy; null without one). */
async function listedKeys(ctx: FederationContext, memberId: string): Promise<Set<string> | null> {
  const row = await repo.latestDocument(ctx.db, 'directory');
  if (!row) return null;
  const known = listedForSelf.get(ctx);
  if (known?.version === row.version) return known.listed;
  // Stored only after its signature verified against the pinned hub key.
  const doc = (JSON.parse(row.envelope) as SignedDocument<DirectoryDocument>).document;
  const listed = new Set(doc.members.find((m) => m.memberId === memberId)?.keys.map((k) => k.keyId) ?? []);
  listedForSelf.set(ctx, { version: row.version, listed });
  return listed;
}

/** Forgets the choice of key (after a directory refresh or a rotation in this process). */
export function forgetNodeKey(ctx: FederationContext): void {
  chosen.delete(ctx);
}

/**
 * The node's SM2 message-signing key: kept in the key store (encrypted under the master key) as
 * the seal of the owner `federation` (later generations `federation-2`, …), its certificate
 * chained to the node's SM2 root. With several generations (a key change), a province signs with
 * the newest one its copy of the directory lists: a new key waits for the hub's approval, and the
 * old one signs until then.
 */
export async function nodeKey(ctx: FederationContext): Promise<NodeKey> {
  const config = federated(ctx.config);
  const cached = chosen.get(ctx);
  if (cached && cached.until > Date.now()) return cached.key;
  const generations = await keyGenerations(ctx);
  let signer = generations[0]!;
  if (generations.length > 1 && config.role === 'province') {
    const listed = await listedKeys(ctx, config.memberId);
    signer = [...generations].reverse().find((g) => listed?.has(g.keyId)) ?? generations.at(-1)!;
  }
  const key = nodeKeyOf(signer);
  chosen.set(ctx, { key, until: Date.now() + CHOICE_MS });
  return key;
}
