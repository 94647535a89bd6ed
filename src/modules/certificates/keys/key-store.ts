/**
 * The signing keys of the platform: its root CA (created on first start), each org's electronic
 * seal key with a certificate chained to the root, and the PDF signing key. Private keys live
 * only encrypted in `signing_keys` and, decrypted, inside the closures of the signers handed out:
 * no method returns or logs one.
 *
 * Race safety: a partial unique index allows one active key per (owner, purpose, algorithm);
 * every creator inserts with ON CONFLICT DO NOTHING and then reads the winner, so concurrent
 * first starts, in one process or many, agree on one root and one seal per org.
 */
import { createHash } from 'node:crypto';
import { and, asc, desc, eq, gt } from 'drizzle-orm';
import { message } from '../../../core/messages.ts';
import { AppError, notFound } from '../../../core/errors.ts';
import { deriveKey, openBytes, sealBytes } from '../../../core/sealing.ts';
import type { Executor } from '../../../db/database.ts';
import { publicKeyToPem, type KeyAlgorithm } from '../../../verify/keys.ts';
import { createSigner, generateKeyPair, type SignatureAlgorithm } from '../../../verify/signatures.ts';
import { parseCertificate } from '../../../verify/x509.ts';
import { signingKeys, type KeyPurpose } from './keys.tables.ts';
import { createNativeP256Signer } from './native-p256.ts';
import { issueCertificate, type CertificateName } from './x509-issue.ts';
import { createSealSigner } from './native-sm2.ts';

export const PLATFORM_OWNER = 'platform';
export const ROOT_NAME: CertificateName = { commonName: '一办平台根证书', organization: '一办平台' };
/**
 * The key that signs status list credentials: an SM2 seal of the platform itself (owner
 * 'platform', which no org code can be), chained to the SM2 root and published in the trust list.
 */
export const STATUS_KEY_OWNER: OrgForSeal = { code: PLATFORM_OWNER, name: '一办平台证明状态列表' };
const PDF_NAME: CertificateName = { commonName: '一办平台电子证明文件签名', organization: '一办平台' };
const DAY = 86_400_000;
const ROOT_YEARS = 20;
const LEAF_YEARS = 5;

export type { KeyOptions, KeySigner, KeyStore, KeyStoreDeps, OrgForSeal, PublicKeyRecord } from './key-types.ts';
import type { KeyOptions, KeySigner, KeyStore, KeyStoreDeps, OrgForSeal, PublicKeyRecord } from './key-types.ts';

const ENCRYPTION_INFO = 'yiban/signing-keys/aes-256-gcm/v1';

type Row = typeof signingKeys.$inferSelect;

/** The key id: the first 16 bytes of SHA-256 over the SPKI, hex. */
export function keyIdOf(spki: Uint8Array): string {
  return createHash('sha256').update(spki).digest('hex').slice(0, 32);
}

export function createKeyStore(deps: KeyStoreDeps): KeyStore {
  const { db } = deps;
  if (deps.masterKey.length !== 32) throw new Error('the master key must be 32 bytes');
  const clock = deps.clock ?? (() => new Date());
  const encryptionKey = deriveKey(deps.masterKey, ENCRYPTION_INFO);
  // Signers of keys already decrypted, by key id (which is bound to the public key).
  const signers = new Map<string, KeySigner>();

  // The key id as associated data: a ciphertext moved to another row does not decrypt.
  const encrypt = (keyId: string, privateKey: Uint8Array): string => sealBytes(encryptionKey, privateKey, keyId);
  const decrypt = (keyId: string, stored: string): Uint8Array => new Uint8Array(openBytes(encryptionKey, stored, keyId));

  function signerOf(row: Row): KeySigner {
    const cached = signers.get(row.id);
    if (cached) return cached;
    const privateKey = decrypt(row.id, row.encryptedPrivateKey);
    // P-256 (the PDF key) and SM2 (native k·G, the same SM2 signatures as the pure-JS path) sign through OpenSSL.
    const inner = row.algorithm === 'P-256' ? createNativeP256Signer(privateKey) : createSealSigner(row.algorithm, privateKey);
    privateKey.fill(0);
    const spki = Buffer.from(row.publicKeySpki, 'base64');
    // A row whose public key and private key disagree is corrupt or tampered with: never sign with it.
    if (!spki.equals(inner.publicKeySpki) || keyIdOf(spki) !== row.id)
      throw new Error(`signing key ${row.id}: the stored key pair does not match`);
    const signer: KeySigner = {
      keyId: row.id,
      algorithm: row.algorithm,
      publicKeySpki: new Uint8Array(spki),
      certificatePem: row.certificatePem,
      chainPem: row.chainPem,
      sign: (message) => inner.sign(message),
    };
    signers.set(row.id, signer);
    return signer;
  }

  const publicRecord = (row: Row): PublicKeyRecord => {
    const spki = new Uint8Array(Buffer.from(row.publicKeySpki, 'base64'));
    return {
      keyId: row.id,
      owner: row.owner,
      purpose: row.purpose,
      algorithm: row.algorithm,
      status: row.status,
      publicKeySpki: spki,
      publicKeyPem: publicKeyToPem(spki),
      certificatePem: row.certificatePem,
      chainPem: row.chainPem,
      notBefore: row.notBefore,
      notAfter: row.notAfter,
    };
  };

  async function findActive(executor: Executor, owner: string, purpose: KeyPurpose, algorithm: KeyAlgorithm): Promise<Row | undefined> {
    const [row] = await executor
      .select()
      .from(signingKeys)
      .where(
        and(
          eq(signingKeys.owner, owner),
          eq(signingKeys.purpose, purpose),
          eq(signingKeys.algorithm, algorithm),
          eq(signingKeys.status, 'active'),
        ),
      );
    return row;
  }

  interface NewKey {
    owner: string;
    purpose: KeyPurpose;
    algorithm: KeyAlgorithm;
    subject: CertificateName;
    /** Absent for a self-signed root. */
    issuer?: KeySigner;
  }

  /** Generates, certifies and inserts a key; returns false when another active key already holds the slot. */
  async function insertKey(executor: Executor, spec: NewKey): Promise<boolean> {
    const keys = generateKeyPair(spec.algorithm);
    const keyId = keyIdOf(keys.publicKeySpki);
    const now = clock();
    const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000 - 60_000);
    let notAfter = new Date(notBefore.getTime() + (spec.issuer ? LEAF_YEARS : ROOT_YEARS) * 365 * DAY);
    let chainPem = '';
    let issuerName = spec.subject;
    let signer = createSigner(spec.algorithm, keys.privateKey);
    if (spec.issuer) {
      const issuerCert = parseCertificate(spec.issuer.certificatePem);
      if (!issuerCert.ok) throw new Error(`issuer certificate ${spec.issuer.keyId} is unreadable`);
      // A certificate never outlives its issuer's.
      if (issuerCert.certificate.notAfter < notAfter) notAfter = issuerCert.certificate.notAfter;
      issuerName = nameOf(issuerCert.certificate.subject);
      chainPem = `${spec.issuer.certificatePem}${spec.issuer.chainPem}`;
      signer = spec.issuer;
    }
    const certificate = issueCertificate({
      profile: spec.purpose,
      subject: spec.subject,
      subjectPublicKeySpki: keys.publicKeySpki,
      issuer: { name: issuerName, signer },
      notBefore,
      notAfter,
    });
    const inserted = await executor
      .insert(signingKeys)
      .values({
        id: keyId,
        owner: spec.owner,
        purpose: spec.purpose,
        algorithm: spec.algorithm,
        publicKeySpki: Buffer.from(keys.publicKeySpki).toString('base64'),
        encryptedPrivateKey: encrypt(keyId, keys.privateKey),
        certificatePem: certificate.pem,
        chainPem,
        notBefore,
        notAfter,
        status: 'active',
        createdAt: now,
      })
      .onConflictDoNothing()
      .returning({ id: signingKeys.id });
    keys.privateKey.fill(0);
    return inserted.length > 0;
  }

  async function ensureKey(
    executor: Executor,
    spec: () => Promise<NewKey> | NewKey,
    slot: Pick<NewKey, 'owner' | 'purpose' | 'algorithm'>,
  ): Promise<KeySigner> {
    const existing = await findActive(executor, slot.owner, slot.purpose, slot.algorithm);
    if (existing) return signerOf(existing);
    await insertKey(executor, await spec());
    // Ours or the one a concurrent creator inserted first.
    const winner = await findActive(executor, slot.owner, slot.purpose, slot.algorithm);
    if (!winner) throw new Error(`no active ${slot.purpose} key for ${slot.owner} after creating one`);
    return signerOf(winner);
  }

  const ensurePlatformRoot = (algorithm: KeyAlgorithm = 'SM2', options: KeyOptions = {}) => {
    const slot = { owner: PLATFORM_OWNER, purpose: 'root' as const, algorithm };
    return ensureKey(options.executor ?? db, () => ({ ...slot, subject: rootName(algorithm) }), slot);
  };

  return {
    ensurePlatformRoot,

    async ensureSealKey(org, algorithm = 'SM2', options = {}) {
      const executor = options.executor ?? db;
      const slot = { owner: org.code, purpose: 'seal' as const, algorithm };
      const signer = await ensureKey(
        executor,
        async () => ({ ...slot, subject: sealName(org), issuer: await ensurePlatformRoot(algorithm, { executor }) }),
        slot,
      );
      return signer as KeySigner<SignatureAlgorithm>;
    },

    async ensurePdfKey(options = {}) {
      const executor = options.executor ?? db;
      const slot = { owner: PLATFORM_OWNER, purpose: 'pdf' as const, algorithm: 'P-256' as const };
      return ensureKey(
        executor,
        async () => ({ ...slot, subject: PDF_NAME, issuer: await ensurePlatformRoot('P-256', { executor }) }),
        slot,
      );
    },

    async getSigner(keyId, options = {}) {
      const [row] = await (options.executor ?? db).select().from(signingKeys).where(eq(signingKeys.id, keyId));
      if (!row) throw notFound('signingKey');
      if (row.status !== 'active') throw new AppError('KEY_RETIRED', { keyId });
      return signerOf(row);
    },

    async getPublicKey(keyId, options = {}) {
      const [row] = await (options.executor ?? db).select().from(signingKeys).where(eq(signingKeys.id, keyId));
      return row ? publicRecord(row) : null;
    },

    async getTrustAnchors(options = {}) {
      const rows = await (options.executor ?? db)
        .select()
        .from(signingKeys)
        .where(and(eq(signingKeys.owner, PLATFORM_OWNER), eq(signingKeys.purpose, 'root'), gt(signingKeys.notAfter, clock())))
        .orderBy(asc(signingKeys.createdAt), asc(signingKeys.id));
      return rows.map(publicRecord);
    },

    async listKeys(owner, purpose, options = {}) {
      const rows = await (options.executor ?? db)
        .select()
        .from(signingKeys)
        .where(and(eq(signingKeys.owner, owner), eq(signingKeys.purpose, purpose)))
        .orderBy(asc(signingKeys.status), desc(signingKeys.createdAt));
      return rows.map(publicRecord);
    },

    async rotate(keyId) {
      const newId = await db.transaction(async (tx) => {
        const [row] = await tx.select().from(signingKeys).where(eq(signingKeys.id, keyId)).for('update');
        if (!row) throw notFound('signingKey');
        if (row.status !== 'active') throw new AppError('KEY_RETIRED', { keyId });
        const current = parseCertificate(row.certificatePem);
        if (!current.ok) throw new Error(`signing key ${keyId}: unreadable certificate`);
        await tx.update(signingKeys).set({ status: 'retired', retiredAt: clock() }).where(eq(signingKeys.id, keyId));
        const subject = nameOf(current.certificate.subject);
        const issuer =
          row.purpose === 'root' ? undefined : await ensurePlatformRoot(row.purpose === 'pdf' ? 'P-256' : row.algorithm, { executor: tx });
        const created = await insertKey(tx, {
          owner: row.owner,
          purpose: row.purpose,
          algorithm: row.algorithm,
          subject,
          ...(issuer ? { issuer } : {}),
        });
        if (!created) throw new AppError('CONFLICT', { detail: message('certificates.key.rotating') });
        const successor = await findActive(tx, row.owner, row.purpose, row.algorithm);
        if (!successor) throw new Error('rotation lost its new key');
        return successor.id;
      });
      const [row] = await db.select().from(signingKeys).where(eq(signingKeys.id, newId));
      if (!row) throw notFound('signingKey');
      return signerOf(row);
    },
  };
}

/** Roots of different algorithms get different names, so that no verifier confuses them. */
function rootName(algorithm: KeyAlgorithm): CertificateName {
  return algorithm === 'SM2' ? ROOT_NAME : { ...ROOT_NAME, commonName: `${ROOT_NAME.commonName}（${algorithm}）` };
}

function sealName(org: OrgForSeal): CertificateName {
  const serialNumber = org.creditCode ?? org.divisionCode;
  return {
    commonName: org.name,
    organization: org.name,
    organizationalUnit: '电子印章',
    ...(serialNumber ? { serialNumber } : {}),
  };
}

function nameOf(info: {
  commonName?: string;
  organization?: string;
  organizationalUnit?: string;
  country?: string;
  serialNumber?: string;
}): CertificateName {
  return {
    commonName: info.commonName ?? '',
    ...(info.organization ? { organization: info.organization } : {}),
    ...(info.organizationalUnit ? { organizationalUnit: info.organizationalUnit } : {}),
    ...(info.country ? { country: info.country } : {}),
    ...(info.serialNumber ? { serialNumber: info.serialNumber } : {}),
  };
}

/** Whether a stored private key opens with `masterKey` ('none' when no key is stored yet). */
export async function probeSigningKeys(db: Executor, masterKey: Buffer): Promise<'none' | 'ok' | 'wrong'> {
  const [row] = await db.select({ id: signingKeys.id, stored: signingKeys.encryptedPrivateKey }).from(signingKeys).limit(1);
  if (!row) return 'none';
  try {
    openBytes(deriveKey(masterKey, ENCRYPTION_INFO), row.stored, row.id);
    return 'ok';
  } catch {
    return 'wrong';
  }
}

/** Master key rotation: every private key decrypted under `from` and encrypted again under `to`, in the caller's transaction. */
export async function rekeySigningKeys(tx: Executor, from: Buffer, to: Buffer): Promise<number> {
  const [oldKey, newKey] = [deriveKey(from, ENCRYPTION_INFO), deriveKey(to, ENCRYPTION_INFO)];
  const rows = await tx.select({ id: signingKeys.id, stored: signingKeys.encryptedPrivateKey }).from(signingKeys).for('update');
  for (const row of rows) {
    const privateKey = openBytes(oldKey, row.stored, row.id);
    await tx
      .update(signingKeys)
      .set({ encryptedPrivateKey: sealBytes(newKey, privateKey, row.id) })
      .where(eq(signingKeys.id, row.id));
    privateKey.fill(0);
  }
  return rows.length;
}
