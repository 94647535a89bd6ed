import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opensslDir, type OpensslDir } from '../../../test/openssl.ts';
import { configuredSharingKeys } from './external-department.cli.ts';
import { derivedSm2SharingKey, loadSm2SharingKey, sm2KeyIdOf, sm2VerifyingKey } from './http-signature-keys.ts';

/**
 * The platform's SM2 sharing key (its requests to departments registered with SM2 keys) from
 * `YIBAN_SHARING_SM2_KEY_FILE`, as OpenSSL makes such a key; without the setting, derived from the
 * master key. The file is read by `yiban external-dept platform-key --key-alg sm2` and the server alike
 * (configuredSharingKeys, and platform.ts with the same loader).
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('the platform’s SM2 sharing key from a key file', () => {
  let openssl: OpensslDir;
  const masterKey = randomBytes(32);

  beforeAll(() => {
    openssl = opensslDir();
    openssl.run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', 'sm2.key.pem']);
    openssl.run(['pkey', '-in', 'sm2.key.pem', '-pubout', '-out', 'sm2.pub.pem']);
    openssl.run(['ec', '-in', 'sm2.key.pem', '-out', 'sm2.sec1.pem']);
    openssl.run(['genpkey', '-algorithm', 'ED25519', '-out', 'ed25519.key.pem']);
  });
  afterAll(() => openssl?.remove());

  it('signs with the key OpenSSL made (PKCS#8 or SEC1), named by its public key', () => {
    const opensslPublic = sm2VerifyingKey(openssl.read('sm2.pub.pem').toString('utf8')).publicKey;
    for (const file of ['sm2.key.pem', 'sm2.sec1.pem']) {
      const key = configuredSharingKeys({ masterKey, sharingKeyFile: undefined, sharingSm2KeyFile: openssl.file(file) }).sm2();
      expect(Buffer.from(key.publicKey).equals(Buffer.from(opensslPublic))).toBe(true);
      expect(key.keyId).toBe(sm2KeyIdOf(opensslPublic));
      expect(key.keyId).not.toBe(derivedSm2SharingKey(masterKey).keyId);
    }
  });

  it('is derived from the master key without the setting, the same on every start', () => {
    const derived = configuredSharingKeys({ masterKey, sharingKeyFile: undefined, sharingSm2KeyFile: undefined }).sm2();
    expect(derived.keyId).toBe(derivedSm2SharingKey(masterKey).keyId);
    expect(derived.keyId).not.toBe(derivedSm2SharingKey(randomBytes(32)).keyId);
  });

  it('refuses a file with another kind of key, in both languages', () => {
    const file = openssl.file('ed25519.key.pem');
    expect(() => loadSm2SharingKey(file)).toThrow(/不是 SM2 私钥.*is not an SM2 private key/);
  });

  it('is the key `yiban external-dept platform-key --key-alg sm2` prints', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'yiban-sm2-key-file-'));
    try {
      const env = {
        ...process.env,
        YIBAN_MASTER_KEY: masterKey.toString('base64'),
        YIBAN_DATA_DIR: dataDir,
        YIBAN_SHARING_SM2_KEY_FILE: openssl.file('sm2.key.pem'),
        LOG_LEVEL: 'silent',
      };
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [path.join(ROOT, 'bin/yiban.js'), 'external-dept', 'platform-key', '--key-alg', 'sm2'],
        { cwd: ROOT, env },
      );
      const printed = JSON.parse(stdout) as { keyId: string; publicKey: string };
      expect(printed.keyId).toBe(loadSm2SharingKey(openssl.file('sm2.key.pem')).keyId);
      expect(Buffer.from(sm2VerifyingKey(printed.publicKey).publicKey)).toEqual(
        Buffer.from(sm2VerifyingKey(openssl.read('sm2.pub.pem').toString('utf8')).publicKey),
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('`yiban bank keygen --key-alg sm2` writes a bank key pair OpenSSL reads as SM2, named as the platform names it', async () => {
    const out = openssl.file('bank');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(ROOT, 'bin/yiban.js'), 'bank', 'keygen', '--out', out, '--key-alg', 'sm2'],
      { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'silent' } },
    );
    const printed = JSON.parse(stdout) as { keyId: string; alg: string; publicKey: string };
    expect(printed.alg).toBe('sm2');
    expect(openssl.run(['pkey', '-in', 'bank/bank.key.pem', '-noout', '-text'])).toContain('ASN1 OID: SM2');
    const opensslPublic = openssl.run(['pkey', '-in', 'bank/bank.key.pem', '-pubout']);
    expect(Buffer.from(sm2VerifyingKey(opensslPublic).publicKey)).toEqual(Buffer.from(sm2VerifyingKey(printed.publicKey).publicKey));
    expect(openssl.read('bank/bank.pub.pem').toString('utf8')).toBe(printed.publicKey);
    expect(printed.keyId).toBe(sm2KeyIdOf(sm2VerifyingKey(printed.publicKey).publicKey, 'bank'));
  }, 120_000);
});
