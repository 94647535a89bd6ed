import { describe, expect, it } from 'vitest';
import { opensslDir } from '../../../../test/openssl.ts';
import { readBitStringBytes, readChildren, readSingle } from '../../../verify/der.ts';
import { publicKeyToPem } from '../../../verify/keys.ts';
import { createSigner, generateKeyPair } from '../../../verify/signatures.ts';
import type { KeyAlgorithm } from '../../../verify/keys.ts';
import { issueCertificate, type CertificateName } from './x509-issue.ts';

const YEAR = 365 * 86_400_000;
const now = new Date('2026-03-01T08:00:00Z');

function makeChain(rootAlgorithm: KeyAlgorithm, leafAlgorithm: KeyAlgorithm, leafProfile: 'seal' | 'pdf' = 'seal') {
  const rootKeys = generateKeyPair(rootAlgorithm);
  const rootSigner = createSigner(rootAlgorithm, rootKeys.privateKey);
  const rootName: CertificateName = { commonName: '一办平台根证书', organization: '一办平台' };
  const root = issueCertificate({
    profile: 'root',
    subject: rootName,
    subjectPublicKeySpki: rootKeys.publicKeySpki,
    issuer: { name: rootName, signer: rootSigner },
    notBefore: now,
    notAfter: new Date(now.getTime() + 20 * YEAR),
  });
  const leafKeys = generateKeyPair(leafAlgorithm);
  const leaf = issueCertificate({
    profile: leafProfile,
    subject: { commonName: '塔元庄村民委员会', organization: '塔元庄村民委员会', serialNumber: '541301311300000001' },
    subjectPublicKeySpki: leafKeys.publicKeySpki,
    issuer: { name: rootName, signer: rootSigner },
    notBefore: now,
    notAfter: new Date(now.getTime() + 5 * YEAR),
  });
  return { root, leaf, rootKeys, leafKeys };
}

describe('certificates we issue, read by OpenSSL 3', () => {
  it('SM2: `openssl x509 -text` parses them and `openssl verify -vfyopt distid:1234567812345678 -CAfile root.pem seal.pem` succeeds', () => {
    const dir = opensslDir();
    try {
      const { root, leaf, rootKeys } = makeChain('SM2', 'SM2');
      dir.write('root.pem', root.pem);
      dir.write('seal.pem', leaf.pem);
      const text = dir.run(['x509', '-in', 'seal.pem', '-noout', '-text', '-nameopt', 'utf8,sep_comma_plus']);
      expect(text).toContain('Version: 3 (0x2)');
      expect(text).toMatch(/Signature Algorithm: SM2-with-SM3/);
      expect(text).toContain('ASN1 OID: SM2');
      expect(text).toContain('Subject: C=CN,O=塔元庄村民委员会,CN=塔元庄村民委员会,serialNumber=541301311300000001');
      expect(text).toContain('Issuer: C=CN,O=一办平台,CN=一办平台根证书');
      expect(text).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
      expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Non Repudiation/);
      expect(text).toContain('Subject Key Identifier');
      expect(text).toContain('Authority Key Identifier');
      const rootText = dir.run(['x509', '-in', 'root.pem', '-noout', '-text']);
      expect(rootText).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
      expect(rootText).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);

      const verify = (extra: string[]) =>
        dir.tryRun(['verify', ...extra, '-attime', String(now.getTime() / 1000 + 60), '-CAfile', 'root.pem', 'seal.pem']);
      expect(verify(['-vfyopt', 'distid:1234567812345678', '-x509_strict'])).toMatchObject({ status: 0 });
      expect(verify(['-vfyopt', 'distid:1234567812345678']).output).toContain('seal.pem: OK');
      // OpenSSL 3.0 verifies SM2 certificate signatures with an empty ID unless told the
      // distinguishing ID; GM/T 0015 prescribes the default ID, which we sign with.
      expect(verify([]).status).not.toBe(0);

      // OpenSSL's -check_ss_sig ignores -vfyopt, so the root's self-signature is checked the
      // way pkeyutl checks any SM2 signature: the TBSCertificate bytes against the signature.
      const [tbs, , signature] = readChildren(readSingle(root.der));
      dir.write('tbs', tbs!.raw);
      dir.write('sig', readBitStringBytes(signature));
      dir.write('pub.pem', publicKeyToPem(rootKeys.publicKeySpki));
      const ok = dir.run([
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
        'tbs',
        '-sigfile',
        'sig',
      ]);
      expect(ok).toContain('Signature Verified Successfully');
    } finally {
      dir.remove();
    }
  });

  it.each([
    ['Ed25519', 'Ed25519', 'seal'],
    ['P-256', 'P-256', 'pdf'],
  ] as const)('%s root, %s %s certificate: `openssl verify -x509_strict -check_ss_sig` succeeds', (rootAlg, leafAlg, profile) => {
    const dir = opensslDir();
    try {
      const { root, leaf } = makeChain(rootAlg, leafAlg, profile);
      dir.write('root.pem', root.pem);
      dir.write('leaf.pem', leaf.pem);
      const result = dir.tryRun([
        'verify',
        '-x509_strict',
        '-check_ss_sig',
        '-attime',
        String(now.getTime() / 1000 + 60),
        '-CAfile',
        'root.pem',
        'leaf.pem',
      ]);
      expect(result.output).toContain('leaf.pem: OK');
      // Outside the validity period OpenSSL refuses too.
      expect(
        dir.tryRun(['verify', '-attime', String(now.getTime() / 1000 + (6 * YEAR) / 1000), '-CAfile', 'root.pem', 'leaf.pem']).output,
      ).toContain('expired');
    } finally {
      dir.remove();
    }
  });
});

describe('certificate contents', () => {
  it('rejects bad input', () => {
    const keys = generateKeyPair('SM2');
    const signer = createSigner('SM2', keys.privateKey);
    const base = {
      profile: 'seal' as const,
      subject: { commonName: 'x' },
      subjectPublicKeySpki: keys.publicKeySpki,
      issuer: { name: { commonName: 'x' }, signer },
      notBefore: now,
      notAfter: new Date(now.getTime() + YEAR),
    };
    expect(() => issueCertificate({ ...base, notAfter: now })).toThrow();
    expect(() => issueCertificate({ ...base, serialNumber: Uint8Array.of(0x80) })).toThrow();
    expect(() => issueCertificate({ ...base, subject: { commonName: 'x', country: 'china' } })).toThrow();
    expect(() => issueCertificate({ ...base, subject: { commonName: 'x', serialNumber: '中文' } })).toThrow();
    expect(issueCertificate({ ...base, serialNumber: Uint8Array.of(1) }).serialHex).toBe('01');
  });
});
