import { AppError } from '../../core/errors.ts';
import { MEMBER_ID, type FederationConfig } from '../../core/config.ts';
import { parseCertificate } from '../../verify/x509.ts';
import type { Sm2KeySigner } from '../sharing/index.ts';
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

/**
 * The node's SM2 message-signing key: kept in the key store (encrypted under the master key) as
 * the seal of the owner `federation`, its certificate chained to the node's SM2 root.
 */
export async function nodeKey(ctx: FederationContext): Promise<NodeKey> {
  const config = federated(ctx.config);
  const key = await ctx.keys.ensureSealKey({ code: FEDERATION_KEY_OWNER, name: `${config.name} 跨省通办报文签名` }, 'SM2');
  const parsed = parseCertificate(key.certificatePem);
  if (!parsed.ok) throw new Error(`federation key ${key.keyId}: unreadable certificate`);
  return {
    signer: { keyId: key.keyId, alg: 'sm2-sm3', sign: (m) => key.sign(m) },
    published: {
      keyId: key.keyId,
      alg: 'sm2-sm3',
      publicKeySpki: Buffer.from(key.publicKeySpki).toString('base64'),
      notBefore: parsed.certificate.notBefore.toISOString(),
      notAfter: parsed.certificate.notAfter.toISOString(),
    },
    certificatePem: key.certificatePem,
    chainPem: key.chainPem,
  };
}
