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
import { and, asc, desc, eq, gt } from 'drizzle-orm';
import { message } from '../../../core/messages.ts';
import { AppError, notFound } from '../../../core/errors.ts';
import type { Executor } from '../../../db/database.ts';
import { publicKeyToPem, type KeyAlgorithm } from '../../../verify/keys.ts';
import type { SignatureAlgorithm } from '../../../verify/signatures.ts';
import { createChainVerifier, parseCertificate } from '../../../verify/x509.ts';
import { issueCertificate } from './x509-issue.ts';
import { keyCipher, keyIdOf } from './key-encryption.ts';
import { nameOf, PDF_NAME, PLATFORM_OWNER, rootName, sealName } from './key-names.ts';
import { findActive, insertKey, type KeyRow, type NewKey } from './key-rows.ts';
import { signingKeys } from './keys.tables.ts';
import { createNativeP256Signer } from './native-p256.ts';
import { createSealSigner } from './native-sm2.ts';

export type { KeyOptions, KeySigner, KeyStore, KeyStoreDeps, OrgForSeal, PublicKeyRecord } from './key-types.ts';
import type { KeyOptions, KeySigner, KeyStore, KeyStoreDeps, PublicKeyRecord } from './key-types.ts';

export function createKeyStore(deps: KeyStoreDeps): KeyStore {
  const { db } = deps;
  if (deps.masterKey.length !== 32) throw new Error('the master key must be 32 bytes');
  const clock = deps.clock ?? (() => new Date());
  const { encrypt, decrypt } = keyCipher(deps.masterKey);
  // Signers of keys already decrypted, by key id (which is bound to the public key).
  const signers = new Map<string, KeySigner>();
  const mint = (executor: Executor, spec: NewKey) => insertKey(executor, spec, { now: clock(), encrypt });

  function signerOf(row: KeyRow): KeySigner {
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

  const publicRecord = (row: KeyRow): PublicKeyRecord => {
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

  async function ensureKey(
    executor: Executor,
    spec: () => Promise<NewKey> | NewKey,
    slot: Pick<NewKey, 'owner' | 'purpose' | 'algorithm'>,
  ): Promise<KeySigner> {
    const existing = await findActive(executor, slot.owner, slot.purpose, slot.algorithm);
    if (existing) return signerOf(existing);
    await mint(executor, await spec());
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

    async crossCertify(rootCertificatePem) {
      const parsed = parseCertificate(rootCertificatePem);
      if (!parsed.ok) throw new AppError('VALIDATION_FAILED', { detail: `root certificate: ${parsed.detail}` });
      const root = parsed.certificate;
      // Self-signed: it chains to itself as the only anchor.
      const self = createChainVerifier({ anchors: [rootCertificatePem] }).verify(rootCertificatePem, { at: clock() });
      if (!self.ok || !root.isCA || root.publicKeyAlgorithm !== 'SM2')
        throw new AppError('VALIDATION_FAILED', { detail: 'root certificate: not a valid self-signed SM2 CA certificate' });
      const national = await ensurePlatformRoot('SM2');
      const nationalCert = parseCertificate(national.certificatePem);
      if (!nationalCert.ok) throw new Error(`root ${national.keyId}: unreadable certificate`);
      const notBefore = new Date(Math.floor(clock().getTime() / 1000) * 1000 - 60_000);
      const notAfter = new Date(Math.min(root.notAfter.getTime(), nationalCert.certificate.notAfter.getTime()));
      return issueCertificate({
        profile: 'ca',
        subject: nameOf(root.subject),
        subjectPublicKeySpki: root.publicKeySpki,
        issuer: { name: nameOf(nationalCert.certificate.subject), signer: national },
        notBefore,
        notAfter,
      }).pem;
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
        const created = await mint(tx, {
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
