import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { assert, afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testEngines } from '../../../../test/db.ts';
import { AppError } from '../../../core/errors.ts';
import type { Database } from '../../../db/database.ts';
import { verify } from '../../../verify/signatures.ts';
import { verifyCertificateChain } from '../../../verify/x509.ts';
import { keyIdOf } from './key-encryption.ts';
import { PLATFORM_OWNER } from './key-names.ts';
import { createKeyStore, type KeyStore } from './key-store.ts';
import { signingKeys } from './keys.tables.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);
let orgCounter = 0;
/** A fresh org for each test, instead of cleaning up. */
const newOrg = (name = '塔元庄村民委员会') => {
  orgCounter++;
  const code = `13013111${String(orgCounter).padStart(4, '0')}${randomBytes(2).toString('hex')}`;
  return { code, name: `${name}${orgCounter}`, creditCode: `54130131${String(orgCounter).padStart(10, '0')}` };
};

describe.each(testEngines())('key store on %s', (engine) => {
  let database: Database;
  let keys: KeyStore;
  const masterKey = randomBytes(32);

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    keys = createKeyStore({ db: database.db, masterKey });
  });
  afterAll(async () => {
    await database.close();
  });

  const activeRoots = () =>
    database.db
      .select()
      .from(signingKeys)
      .where(
        and(
          eq(signingKeys.owner, PLATFORM_OWNER),
          eq(signingKeys.purpose, 'root'),
          eq(signingKeys.algorithm, 'SM2'),
          eq(signingKeys.status, 'active'),
        ),
      );

  it('creates one SM2 root even when several processes start at once', async () => {
    // Separate stores stand for separate processes: no shared memory, one database.
    const stores = [keys, ...Array.from({ length: 3 }, () => createKeyStore({ db: database.db, masterKey }))];
    const roots = await Promise.all(stores.flatMap((s) => [s.ensurePlatformRoot(), s.ensurePlatformRoot()]));
    expect(new Set(roots.map((r) => r.keyId)).size).toBe(1);
    expect(await activeRoots()).toHaveLength(1);
    const root = roots[0]!;
    expect(root.algorithm).toBe('SM2');
    expect(root.keyId).toBe(keyIdOf(root.publicKeySpki));
    expect(root.chainPem).toBe('');
    const result = verifyCertificateChain({ leaf: root.certificatePem, anchors: [root.certificatePem], at: new Date() });
    expect(result.ok).toBe(true);
    assert(result.ok);
    expect(result.leaf.subject).toMatchObject({ commonName: '一办平台根证书', organization: '一办平台', country: 'CN' });
    expect(result.leaf.isCA).toBe(true);
    const years = (result.leaf.notAfter.getTime() - result.leaf.notBefore.getTime()) / (365 * 86_400_000);
    expect(Math.round(years)).toBe(20);
  });

  it("issues an org's seal key chained to the root, once, and signs verifiably", async () => {
    const org = newOrg();
    const [seal, again, concurrent] = await Promise.all([
      keys.ensureSealKey(org),
      keys.ensureSealKey(org),
      createKeyStore({ db: database.db, masterKey }).ensureSealKey(org),
    ]);
    expect(again.keyId).toBe(seal.keyId);
    expect(concurrent.keyId).toBe(seal.keyId);
    expect(seal.algorithm).toBe('SM2');

    const anchors = (await keys.getTrustAnchors()).map((a) => a.certificatePem);
    const chain = verifyCertificateChain({
      leaf: seal.certificatePem,
      intermediates: [],
      anchors,
      at: new Date(),
      keyUsage: ['digitalSignature', 'nonRepudiation'],
    });
    expect(chain.ok).toBe(true);
    assert(chain.ok);
    expect(chain.leaf.subject).toMatchObject({
      commonName: org.name,
      organization: org.name,
      serialNumber: org.creditCode,
      organizationalUnit: '电子印章',
    });
    expect(chain.leaf.publicKeySpki).toEqual(seal.publicKeySpki);
    expect(seal.chainPem).toBe((await keys.ensurePlatformRoot()).certificatePem);

    const message = utf8('{"id":"1.2.156.3005.2.x"}');
    const signature = seal.sign(message);
    expect(verify('SM2', seal.publicKeySpki, message, signature)).toBe(true);
    // The published record carries everything but the private key.
    const published = await keys.getPublicKey(seal.keyId);
    expect(published).toMatchObject({ keyId: seal.keyId, owner: org.code, purpose: 'seal', algorithm: 'SM2', status: 'active' });
    expect(published!.publicKeyPem).toContain('BEGIN PUBLIC KEY');
    expect(await keys.getPublicKey('0'.repeat(32))).toBeNull();
  });

  it('keeps an Ed25519 seal beside the SM2 one, and names orgs by division code when they have no credit code', async () => {
    const org = newOrg('西柏坡镇人民政府');
    const sm2 = await keys.ensureSealKey(org);
    const ed = await keys.ensureSealKey(org, 'Ed25519');
    expect(ed.keyId).not.toBe(sm2.keyId);
    expect(ed.algorithm).toBe('Ed25519');
    expect(verify('Ed25519', ed.publicKeySpki, utf8('x'), ed.sign(utf8('x')))).toBe(true);
    const anchors = (await keys.getTrustAnchors()).map((a) => a.certificatePem);
    expect(anchors.length).toBeGreaterThanOrEqual(2);
    expect(verifyCertificateChain({ leaf: ed.certificatePem, anchors, at: new Date() }).ok).toBe(true);

    const village = { code: `1301311${randomBytes(3).toString('hex')}`, name: '没有信用代码的村', divisionCode: '130131100201' };
    const seal = await keys.ensureSealKey(village);
    const chain = verifyCertificateChain({ leaf: seal.certificatePem, anchors, at: new Date() });
    expect(chain.ok && chain.leaf.subject.serialNumber).toBe('130131100201');
  });

  it('hands out signers by key id, refuses unknown and retired keys, and rotates', async () => {
    const org = newOrg();
    const seal = await keys.ensureSealKey(org);
    expect((await keys.getSigner(seal.keyId)).keyId).toBe(seal.keyId);
    await expect(keys.getSigner('f'.repeat(32))).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const next = await keys.rotate(seal.keyId);
    expect(next.keyId).not.toBe(seal.keyId);
    expect((await keys.ensureSealKey(org)).keyId).toBe(next.keyId);
    await expect(keys.getSigner(seal.keyId)).rejects.toSatisfy((e: unknown) => e instanceof AppError && e.code === 'KEY_RETIRED');
    await expect(keys.rotate(seal.keyId)).rejects.toMatchObject({ code: 'KEY_RETIRED' });
    expect(await keys.getPublicKey(seal.keyId)).toMatchObject({ status: 'retired' });
    const anchors = (await keys.getTrustAnchors()).map((a) => a.certificatePem);
    const chain = verifyCertificateChain({ leaf: next.certificatePem, anchors, at: new Date() });
    expect(chain.ok && chain.leaf.subject.commonName).toBe(org.name);
  });

  it('rotating the root keeps the old root among the anchors, so older seals still verify', async () => {
    const store = createKeyStore({ db: database.db, masterKey });
    const org = newOrg();
    const oldSeal = await store.ensureSealKey(org);
    const oldRoot = await store.ensurePlatformRoot();
    const newRoot = await store.rotate(oldRoot.keyId);
    expect((await store.ensurePlatformRoot()).keyId).toBe(newRoot.keyId);
    const anchors = await store.getTrustAnchors();
    expect(anchors.map((a) => a.keyId)).toEqual(expect.arrayContaining([oldRoot.keyId, newRoot.keyId]));
    expect(anchors.find((a) => a.keyId === oldRoot.keyId)?.status).toBe('retired');
    const pems = anchors.map((a) => a.certificatePem);
    expect(verifyCertificateChain({ leaf: oldSeal.certificatePem, anchors: pems, at: new Date() }).ok).toBe(true);
    // A seal created now chains to the new root.
    const fresh = await store.ensureSealKey(newOrg());
    expect(fresh.chainPem).toBe(newRoot.certificatePem);
    expect(verifyCertificateChain({ leaf: fresh.certificatePem, anchors: pems, at: new Date() }).ok).toBe(true);
    expect(await activeRoots()).toHaveLength(1);
  });

  it('the PDF key is ECDSA P-256 under a P-256 root', async () => {
    const pdf = await keys.ensurePdfKey();
    expect(pdf.algorithm).toBe('P-256');
    expect((await keys.ensurePdfKey()).keyId).toBe(pdf.keyId);
    const anchors = (await keys.getTrustAnchors()).map((a) => a.certificatePem);
    const chain = verifyCertificateChain({ leaf: pdf.certificatePem, anchors, at: new Date(), keyUsage: ['digitalSignature'] });
    expect(chain.ok && chain.chain[1]!.publicKeyAlgorithm).toBe('P-256');
    expect(verify('P-256', pdf.publicKeySpki, utf8('pdf'), pdf.sign(utf8('pdf')))).toBe(true);
  });

  it('stores private keys only encrypted, bound to their row and to the master key', async () => {
    const org = newOrg();
    const seal = await keys.ensureSealKey(org);
    expect(JSON.stringify(seal)).not.toMatch(/privateKey|encrypted/i);
    const [row] = await database.db.select().from(signingKeys).where(eq(signingKeys.id, seal.keyId));
    expect(Buffer.from(row!.encryptedPrivateKey, 'base64')).toHaveLength(12 + 32 + 16);

    // Another master key cannot use the stored key.
    await expect(createKeyStore({ db: database.db, masterKey: randomBytes(32) }).getSigner(seal.keyId)).rejects.toThrow();
    // A ciphertext moved to another key's row does not decrypt there (the key id is associated data).
    const other = await keys.ensureSealKey(newOrg());
    await database.db.update(signingKeys).set({ encryptedPrivateKey: row!.encryptedPrivateKey }).where(eq(signingKeys.id, other.keyId));
    await expect(createKeyStore({ db: database.db, masterKey }).getSigner(other.keyId)).rejects.toThrow();
  });

  it('works inside the caller’s transaction, and a rolled-back key is forgotten', async () => {
    const org = newOrg();
    let keyIdInTx = '';
    await expect(
      database.db.transaction(async (tx) => {
        const seal = await keys.ensureSealKey(org, 'SM2', { executor: tx });
        keyIdInTx = seal.keyId;
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await keys.getPublicKey(keyIdInTx)).toBeNull();
    const seal = await database.db.transaction((tx) => keys.ensureSealKey(org, 'SM2', { executor: tx }));
    expect(seal.keyId).not.toBe(keyIdInTx);
    expect((await keys.ensureSealKey(org)).keyId).toBe(seal.keyId);
  });
});
