import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { opensslDir, type OpensslDir } from '../../test/openssl.ts';
import { pemDecode } from './der.ts';
import { bytesToHex, equalBytes } from './tlog-bytes.ts';
import { decodePkcs8, decodeSpki, privateKeyFromPem, privateKeyToPem, publicKeyFromPem, publicKeyToPem } from './keys.ts';
import { createSigner, createVerifier, generateKeyPair, privateKeyToPkcs8, sign, SIGNATURE_ALGORITHMS, verify } from './signatures.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe.each(SIGNATURE_ALGORITHMS)('%s through the common interface', (algorithm) => {
  it('signs, verifies and refuses other keys and messages', () => {
    const keys = generateKeyPair(algorithm);
    const other = generateKeyPair(algorithm);
    const message = utf8(`证明 ${algorithm}`);
    const signature = sign(algorithm, keys.privateKey, message);
    expect(verify(algorithm, keys.publicKeySpki, message, signature)).toBe(true);
    expect(verify(algorithm, other.publicKeySpki, message, signature)).toBe(false);
    expect(verify(algorithm, keys.publicKeySpki, utf8('证明'), signature)).toBe(false);
    // The same key under the other algorithm's name is not a key at all.
    const otherAlgorithm = algorithm === 'SM2' ? 'Ed25519' : 'SM2';
    expect(verify(otherAlgorithm, keys.publicKeySpki, message, signature)).toBe(false);
    // Repeated verification goes through the cache and the precomputed table.
    for (let i = 0; i < 4; i++) expect(verify(algorithm, keys.publicKeySpki, message, signature)).toBe(true);
  });

  it('round-trips keys through SPKI and PKCS#8 PEM', () => {
    const keys = generateKeyPair(algorithm);
    const pkcs8 = privateKeyToPkcs8(algorithm, keys.privateKey);
    const parsed = privateKeyFromPem(privateKeyToPem(pkcs8));
    expect(parsed.algorithm).toBe(algorithm);
    expect(bytesToHex(parsed.key)).toBe(bytesToHex(keys.privateKey));
    expect(bytesToHex(publicKeyFromPem(publicKeyToPem(keys.publicKeySpki)))).toBe(bytesToHex(keys.publicKeySpki));
    // A PKCS#8 private key works as well as the raw one.
    expect(bytesToHex(createSigner(algorithm, pkcs8).publicKeySpki)).toBe(bytesToHex(keys.publicKeySpki));
  });

  it('never throws on garbage keys or signatures', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 80 }), (key, sig) => {
        expect(verify(algorithm, key, utf8('m'), sig)).toBe(false);
      }),
      { numRuns: 100 },
    );
    expect(createVerifier(algorithm, new Uint8Array([0x30, 0x00]))).toBeUndefined();
  });
});

describe('interoperability with OpenSSL 3', () => {
  const withDir = (test: (dir: OpensslDir) => void) => () => {
    const dir = opensslDir();
    try {
      test(dir);
    } finally {
      dir.remove();
    }
  };
  const SM2_VERIFY = [
    'pkeyutl',
    '-verify',
    '-rawin',
    '-digest',
    'sm3',
    '-pkeyopt',
    'distid:1234567812345678',
    '-pubin',
    '-inkey',
    'pub.pem',
    '-in',
    'msg',
    '-sigfile',
    'sig',
  ];
  const SM2_SIGN = [
    'pkeyutl',
    '-sign',
    '-rawin',
    '-digest',
    'sm3',
    '-pkeyopt',
    'distid:1234567812345678',
    '-inkey',
    'key.pem',
    '-in',
    'msg',
    '-out',
    'sig',
  ];
  const ED_VERIFY = ['pkeyutl', '-verify', '-rawin', '-pubin', '-inkey', 'pub.pem', '-in', 'msg', '-sigfile', 'sig'];
  const ED_SIGN = ['pkeyutl', '-sign', '-rawin', '-inkey', 'key.pem', '-in', 'msg', '-out', 'sig'];

  it(
    'SM2: our signatures verify in `openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678`; tampered ones do not',
    withDir((dir) => {
      const keys = generateKeyPair('SM2');
      dir.write('pub.pem', publicKeyToPem(keys.publicKeySpki));
      for (const text of ['', 'a', '居住证明：张三，河北省石家庄市平山县西柏坡镇塔元庄村'.repeat(5)]) {
        const message = utf8(text);
        dir.write('msg', message);
        dir.write('sig', sign('SM2', keys.privateKey, message));
        expect(dir.run(SM2_VERIFY)).toContain('Signature Verified Successfully');
        dir.write('msg', utf8(`${text}.`));
        expect(dir.tryRun(SM2_VERIFY).status).not.toBe(0);
      }
    }),
  );

  it(
    'SM2: OpenSSL signatures (`pkeyutl -sign … distid:1234567812345678`) verify in ours, with a key from `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2`',
    withDir((dir) => {
      dir.run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', 'key.pem']);
      dir.run(['pkey', '-in', 'key.pem', '-pubout', '-out', 'pub.pem']);
      const spki = publicKeyFromPem(dir.read('pub.pem').toString());
      expect(decodeSpki(spki).algorithm).toBe('SM2');
      // Import of OpenSSL's PKCS#8: same public key as OpenSSL derives.
      const imported = privateKeyFromPem(dir.read('key.pem').toString());
      expect(imported.algorithm).toBe('SM2');
      expect(bytesToHex(createSigner('SM2', imported.key).publicKeySpki)).toBe(bytesToHex(spki));
      for (const text of ['x', '一办 yiban']) {
        const message = utf8(text);
        dir.write('msg', message);
        dir.run(SM2_SIGN);
        expect(verify('SM2', spki, message, dir.read('sig'))).toBe(true);
        expect(verify('SM2', spki, utf8(`${text}!`), dir.read('sig'))).toBe(false);
      }
    }),
  );

  it(
    'SM2: `openssl ecparam -name SM2 -genkey` keys import; our PKCS#8 and SPKI are what OpenSSL writes',
    withDir((dir) => {
      dir.run(['ecparam', '-name', 'SM2', '-genkey', '-noout', '-out', 'sec1.pem']);
      const sec1 = privateKeyFromPem(dir.read('sec1.pem').toString());
      expect(sec1.algorithm).toBe('SM2');
      dir.run(['pkey', '-in', 'sec1.pem', '-pubout', '-out', 'pub.pem']);
      expect(bytesToHex(createSigner('SM2', sec1.key).publicKeySpki)).toBe(bytesToHex(publicKeyFromPem(dir.read('pub.pem').toString())));

      // Ours → OpenSSL: it reads our PKCS#8, derives our public key, rewrites our exact bytes, and signs with it.
      const keys = generateKeyPair('SM2');
      const pkcs8 = privateKeyToPkcs8('SM2', keys.privateKey);
      dir.write('key.pem', privateKeyToPem(pkcs8));
      dir.run(['pkey', '-in', 'key.pem', '-pubout', '-out', 'pub.pem']);
      expect(equalBytes(pemDecode(dir.read('pub.pem').toString(), 'PUBLIC KEY'), keys.publicKeySpki)).toBe(true);
      dir.run(['pkey', '-in', 'key.pem', '-out', 'rewritten.pem']);
      expect(equalBytes(pemDecode(dir.read('rewritten.pem').toString(), 'PRIVATE KEY'), pkcs8)).toBe(true);
      dir.write('msg', 'seal');
      dir.run(SM2_SIGN);
      expect(verify('SM2', keys.publicKeySpki, utf8('seal'), dir.read('sig'))).toBe(true);
    }),
  );

  it(
    'Ed25519: both directions with `openssl pkeyutl -rawin`, keys both ways',
    withDir((dir) => {
      const keys = generateKeyPair('Ed25519');
      const pkcs8 = privateKeyToPkcs8('Ed25519', keys.privateKey);
      dir.write('pub.pem', publicKeyToPem(keys.publicKeySpki));
      dir.write('msg', '一办');
      dir.write('sig', sign('Ed25519', keys.privateKey, utf8('一办')));
      expect(dir.run(ED_VERIFY)).toContain('Signature Verified Successfully');
      dir.write('key.pem', privateKeyToPem(pkcs8));
      dir.run(['pkey', '-in', 'key.pem', '-out', 'rewritten.pem']);
      expect(equalBytes(pemDecode(dir.read('rewritten.pem').toString(), 'PRIVATE KEY'), pkcs8)).toBe(true);

      dir.run(['genpkey', '-algorithm', 'ed25519', '-out', 'key.pem']);
      dir.run(['pkey', '-in', 'key.pem', '-pubout', '-out', 'pub.pem']);
      const spki = publicKeyFromPem(dir.read('pub.pem').toString());
      const imported = decodePkcs8(pemDecode(dir.read('key.pem').toString(), 'PRIVATE KEY'));
      expect(bytesToHex(createSigner('Ed25519', imported.key).publicKeySpki)).toBe(bytesToHex(spki));
      dir.run(ED_SIGN);
      expect(verify('Ed25519', spki, utf8('一办'), dir.read('sig'))).toBe(true);
    }),
  );

  it(
    'P-256 ECDSA (for the PDF signing certificate): OpenSSL signatures verify in ours',
    withDir((dir) => {
      dir.run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'key.pem']);
      dir.run(['pkey', '-in', 'key.pem', '-pubout', '-out', 'pub.pem']);
      dir.write('msg', 'pdf');
      dir.run(['pkeyutl', '-sign', '-rawin', '-digest', 'sha256', '-inkey', 'key.pem', '-in', 'msg', '-out', 'sig']);
      const spki = publicKeyFromPem(dir.read('pub.pem').toString());
      expect(verify('P-256', spki, utf8('pdf'), dir.read('sig'))).toBe(true);
      expect(verify('P-256', spki, utf8('pdF'), dir.read('sig'))).toBe(false);
    }),
  );
});

describe('the verifier cache', () => {
  it('keeps answering right when more SM2 keys earn a table than it keeps', () => {
    const keys = Array.from({ length: 18 }, () => generateKeyPair('SM2'));
    const message = utf8('居住证明');
    const signatures = keys.map((k) => sign('SM2', k.privateKey, message));
    for (let round = 0; round < 2; round++) {
      keys.forEach((k, i) => {
        expect(verify('SM2', k.publicKeySpki, message, signatures[i]!)).toBe(true);
        expect(verify('SM2', k.publicKeySpki, message, signatures[(i + 1) % keys.length]!)).toBe(false);
        expect(verify('SM2', k.publicKeySpki, utf8('居住证明.'), signatures[i]!)).toBe(false);
      });
    }
  });
});
