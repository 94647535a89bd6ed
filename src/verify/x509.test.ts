import fc from 'fast-check';
import { assert, describe, expect, it } from 'vitest';
import { opensslDir } from '../../test/openssl.ts';
import { issueCertificate, type CertificateName, type CertificateProfile } from '../modules/certificates/keys/x509-issue.ts';
import { type KeyAlgorithm } from './keys.ts';
import { createSigner, generateKeyPair, type Signer } from './signatures.ts';
import { createChainVerifier, parseCertificate, splitPemChain, verifyCertificateChain, type ChainResult } from './x509.ts';

const DAY = 86_400_000;
const t0 = new Date('2026-01-01T00:00:00Z');
const at = new Date('2026-06-01T00:00:00Z');

interface Ca {
  name: CertificateName;
  signer: Signer;
  der: Uint8Array;
  pem: string;
}

function makeCa(
  algorithm: KeyAlgorithm,
  name: CertificateName,
  parent?: Ca,
  options: { pathLength?: number; profile?: CertificateProfile } = {},
): Ca {
  const keys = generateKeyPair(algorithm);
  const signer = createSigner(algorithm, keys.privateKey);
  const cert = issueCertificate({
    profile: options.profile ?? (parent ? 'ca' : 'root'),
    subject: name,
    subjectPublicKeySpki: keys.publicKeySpki,
    issuer: parent ? { name: parent.name, signer: parent.signer } : { name, signer },
    notBefore: t0,
    notAfter: new Date(t0.getTime() + 3650 * DAY),
    ...(options.pathLength !== undefined ? { pathLength: options.pathLength } : {}),
  });
  return { name, signer, der: cert.der, pem: cert.pem };
}

function makeLeaf(issuer: Ca, algorithm: KeyAlgorithm = 'SM2', validity = { from: t0, days: 365 }) {
  const keys = generateKeyPair(algorithm);
  return issueCertificate({
    profile: 'seal',
    subject: { commonName: '西柏坡镇人民政府', organization: '西柏坡镇人民政府', serialNumber: '11130131000000000X' },
    subjectPublicKeySpki: keys.publicKeySpki,
    issuer: { name: issuer.name, signer: issuer.signer },
    notBefore: validity.from,
    notAfter: new Date(validity.from.getTime() + validity.days * DAY),
  });
}

const reason = (result: ChainResult) => (result.ok ? 'OK' : result.reason);

describe('X.509 chain verification', () => {
  const root = makeCa('SM2', { commonName: '一办平台根证书', organization: '一办平台' });
  const leaf = makeLeaf(root);

  it('accepts a seal certificate under the pinned SM2 root and describes it', () => {
    const result = verifyCertificateChain({ leaf: leaf.pem, anchors: [root.pem], at, keyUsage: ['digitalSignature', 'nonRepudiation'] });
    expect(result.ok).toBe(true);
    assert(result.ok);
    expect(result.chain).toHaveLength(2);
    expect(result.leaf.subject).toMatchObject({ commonName: '西柏坡镇人民政府', country: 'CN', serialNumber: '11130131000000000X' });
    expect(result.leaf.issuer.commonName).toBe('一办平台根证书');
    expect(result.leaf.serial).toBe(leaf.serialHex);
    expect(result.leaf.publicKeyAlgorithm).toBe('SM2');
    expect(result.leaf.signatureAlgorithm).toBe('SM2-with-SM3');
    expect(result.leaf.isCA).toBe(false);
    expect(result.leaf.keyUsage).toEqual(['digitalSignature', 'nonRepudiation']);
    expect(result.chain[1]!.keyUsage).toEqual(['keyCertSign', 'cRLSign']);
    expect(result.leaf.notBefore.toISOString()).toBe(t0.toISOString());
    // DER works as well as PEM; the root alone verifies as its own chain.
    expect(reason(verifyCertificateChain({ leaf: leaf.der, anchors: [root.der], at }))).toBe('OK');
    expect(reason(verifyCertificateChain({ leaf: root.pem, anchors: [root.pem], at }))).toBe('OK');
  });

  it('follows intermediates and honours pathLenConstraint', () => {
    const province = makeCa('SM2', { commonName: '河北省一办中级证书' }, root);
    const sealUnder = makeLeaf(province, 'Ed25519');
    expect(reason(verifyCertificateChain({ leaf: sealUnder.pem, intermediates: [province.pem], anchors: [root.pem], at }))).toBe('OK');
    expect(reason(verifyCertificateChain({ leaf: sealUnder.pem, anchors: [root.pem], at }))).toBe('UNKNOWN_ISSUER');

    const strictRoot = makeCa('Ed25519', { commonName: 'root with pathLen 0' }, undefined, { pathLength: 0 });
    const intermediate = makeCa('Ed25519', { commonName: 'intermediate' }, strictRoot);
    const deep = makeLeaf(intermediate);
    expect(reason(verifyCertificateChain({ leaf: deep.pem, intermediates: [intermediate.pem], anchors: [strictRoot.pem], at }))).toBe(
      'PATH_LENGTH',
    );
  });

  it('gives a reason for each kind of failure', () => {
    const otherRoot = makeCa('SM2', { commonName: '别的根证书' });
    const sameNameOtherKey = makeCa('SM2', { commonName: '一办平台根证书', organization: '一办平台' });
    const expired = makeLeaf(root, 'SM2', { from: t0, days: 30 });
    const future = makeLeaf(root, 'SM2', { from: new Date(at.getTime() + DAY), days: 30 });
    const seal = makeCa('SM2', { commonName: 'a seal used as a CA' }, root, { profile: 'seal' });
    const underSeal = makeLeaf(seal);
    const tamperedSignature = leaf.der.slice();
    tamperedSignature[tamperedSignature.length - 3]! ^= 0x01;

    expect(reason(verifyCertificateChain({ leaf: leaf.pem, anchors: [otherRoot.pem], at }))).toBe('UNKNOWN_ISSUER');
    // Same issuer name, different key: AKI/SKI rule it out before any signature check.
    expect(reason(verifyCertificateChain({ leaf: leaf.pem, anchors: [sameNameOtherKey.pem], at }))).toBe('UNKNOWN_ISSUER');
    expect(reason(verifyCertificateChain({ leaf: tamperedSignature, anchors: [root.pem], at }))).toBe('BAD_SIGNATURE');
    expect(reason(verifyCertificateChain({ leaf: expired.pem, anchors: [root.pem], at }))).toBe('EXPIRED');
    expect(reason(verifyCertificateChain({ leaf: future.pem, anchors: [root.pem], at }))).toBe('NOT_YET_VALID');
    expect(reason(verifyCertificateChain({ leaf: leaf.pem, anchors: [root.pem], at: new Date('2040-01-01') }))).toBe('EXPIRED');
    expect(reason(verifyCertificateChain({ leaf: underSeal.pem, intermediates: [seal.pem], anchors: [root.pem], at }))).toBe('NOT_A_CA');
    expect(reason(verifyCertificateChain({ leaf: leaf.pem, anchors: [root.pem], at, keyUsage: ['keyCertSign'] }))).toBe('KEY_USAGE');
    expect(reason(verifyCertificateChain({ leaf: leaf.pem, anchors: [], at }))).toBe('NO_TRUST_ANCHORS');
    expect(reason(verifyCertificateChain({ leaf: 'not a certificate', anchors: [root.pem], at }))).toBe('MALFORMED');
    expect(reason(verifyCertificateChain({ leaf: leaf.der.subarray(0, 100), anchors: [root.pem], at }))).toBe('MALFORMED');
    expect(reason(verifyCertificateChain({ leaf: leaf.pem, anchors: ['garbage'], at }))).toBe('MALFORMED');
    const failure = verifyCertificateChain({ leaf: expired.pem, anchors: [root.pem], at });
    expect(failure).toMatchObject({ ok: false, depth: 0 });
  });

  it('never accepts a certificate with any byte changed, and never throws', () => {
    fc.assert(
      fc.property(fc.nat(leaf.der.length - 1), fc.integer({ min: 1, max: 255 }), (index, xor) => {
        const copy = leaf.der.slice();
        copy[index]! ^= xor;
        const result = verifyCertificateChain({ leaf: copy, anchors: [root.pem], at });
        // A change inside an unsigned part that leaves the DER and the signed bytes intact is impossible:
        // every byte is either signed (TBS), the algorithm (must equal the signed copy) or the signature.
        expect(result.ok).toBe(false);
      }),
      { numRuns: 80 },
    );
  });

  it('a reusable chain verifier remembers paths but checks time and usage every time', () => {
    const verifier = createChainVerifier({ anchors: [root.pem] });
    for (let i = 0; i < 3; i++) expect(reason(verifier.verify(leaf.der, { at, keyUsage: ['digitalSignature'] }))).toBe('OK');
    expect(reason(verifier.verify(leaf.der, { at: new Date('2040-01-01') }))).toBe('EXPIRED');
    expect(reason(verifier.verify(leaf.der, { at, keyUsage: ['keyCertSign'] }))).toBe('KEY_USAGE');
    const tampered = leaf.der.slice();
    tampered[tampered.length - 5]! ^= 0x10;
    expect(reason(verifier.verify(tampered, { at }))).toBe('BAD_SIGNATURE');
    expect(reason(createChainVerifier({ anchors: [] }).verify(leaf.der, { at }))).toBe('NO_TRUST_ANCHORS');
  });

  it('splits PEM bundles', () => {
    expect(splitPemChain(`${leaf.pem}${root.pem}`)).toHaveLength(2);
    expect(splitPemChain('nothing')).toEqual([]);
  });
});

describe('certificates made by OpenSSL 3', () => {
  const DISTID = ['-sigopt', 'distid:1234567812345678'];

  it('an OpenSSL SM2 chain signed with distid 1234567812345678 verifies; one signed with the empty ID does not', () => {
    const dir = opensslDir();
    try {
      dir.run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', 'root.key']);
      dir.run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', 'leaf.key']);
      dir.run([
        'req',
        '-x509',
        '-new',
        '-key',
        'root.key',
        '-sm3',
        ...DISTID,
        '-subj',
        '/C=CN/O=OpenSSL/CN=OpenSSL SM2 root',
        '-days',
        '3650',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
        '-out',
        'root.pem',
      ]);
      // The request's own signature uses OpenSSL's default (empty) ID, which `x509 -req` checks.
      dir.run(['req', '-new', '-key', 'leaf.key', '-sm3', '-subj', '/C=CN/CN=OpenSSL SM2 leaf', '-out', 'leaf.csr']);
      dir.write(
        'ext.cnf',
        'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
      );
      dir.run([
        'x509',
        '-req',
        '-in',
        'leaf.csr',
        '-CA',
        'root.pem',
        '-CAkey',
        'root.key',
        '-sm3',
        ...DISTID,
        '-days',
        '365',
        '-extfile',
        'ext.cnf',
        '-out',
        'leaf.pem',
      ]);
      dir.run([
        'x509',
        '-req',
        '-in',
        'leaf.csr',
        '-CA',
        'root.pem',
        '-CAkey',
        'root.key',
        '-sm3',
        '-days',
        '365',
        '-extfile',
        'ext.cnf',
        '-out',
        'leaf-empty-id.pem',
      ]);
      const rootPem = dir.read('root.pem').toString();
      const now = new Date();
      const good = verifyCertificateChain({
        leaf: dir.read('leaf.pem').toString(),
        anchors: [rootPem],
        at: now,
        keyUsage: ['nonRepudiation'],
      });
      expect(reason(good)).toBe('OK');
      expect(reason(verifyCertificateChain({ leaf: dir.read('leaf-empty-id.pem').toString(), anchors: [rootPem], at: now }))).toBe(
        'BAD_SIGNATURE',
      );
    } finally {
      dir.remove();
    }
  });

  it('ECDSA P-256 chains verify; unknown critical extensions and RSA keys are refused with their reasons', () => {
    const dir = opensslDir();
    try {
      dir.run([
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'root.key',
        '-sha256',
        '-subj',
        '/CN=P-256 root',
        '-days',
        '30',
        '-out',
        'root.pem',
      ]);
      dir.run([
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'leaf.key',
        '-subj',
        '/CN=pdf signer',
        '-out',
        'leaf.csr',
      ]);
      dir.run(['x509', '-req', '-in', 'leaf.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-sha256', '-days', '10', '-out', 'leaf.pem']);
      dir.write('crit.cnf', '1.2.3.4=critical,ASN1:NULL\n');
      dir.run([
        'x509',
        '-req',
        '-in',
        'leaf.csr',
        '-CA',
        'root.pem',
        '-CAkey',
        'root.key',
        '-sha256',
        '-days',
        '10',
        '-extfile',
        'crit.cnf',
        '-out',
        'crit.pem',
      ]);
      dir.run([
        'req',
        '-x509',
        '-newkey',
        'rsa:1024',
        '-nodes',
        '-keyout',
        'rsa.key',
        '-subj',
        '/CN=rsa',
        '-days',
        '30',
        '-out',
        'rsa.pem',
      ]);
      const rootPem = dir.read('root.pem').toString();
      const now = new Date();
      expect(reason(verifyCertificateChain({ leaf: dir.read('leaf.pem').toString(), anchors: [rootPem], at: now }))).toBe('OK');
      expect(reason(verifyCertificateChain({ leaf: dir.read('crit.pem').toString(), anchors: [rootPem], at: now }))).toBe(
        'UNKNOWN_CRITICAL_EXTENSION',
      );
      expect(reason(verifyCertificateChain({ leaf: dir.read('rsa.pem').toString(), anchors: [rootPem], at: now }))).toBe(
        'UNSUPPORTED_ALGORITHM',
      );
      expect(parseCertificate(dir.read('rsa.pem').toString())).toMatchObject({ ok: false, reason: 'UNSUPPORTED_ALGORITHM' });
    } finally {
      dir.remove();
    }
  });
});
