import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeDemoCertificate } from '../src/demo/demo-certificate.ts';
import { decodeQr, parseBundleJson } from '../src/verify/bundle.ts';
import { statusEvidenceFromCredentials } from '../src/verify/status-credential.ts';
import { verifyCertificate, type TrustAnchors } from '../src/verify/verify-certificate.ts';

describe('yiban demo certificate', () => {
  it('writes files that OpenSSL and the verifier check without Yiban', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'yiban-demo-'));
    const result = await writeDemoCertificate(dir, { publicUrl: 'http://localhost:3000' });
    const file = (name: string) => path.join(dir, name);

    // OpenSSL, not our code, checks the SM2 seal signature over the exact payload bytes …
    const verified = execFileSync('openssl', [
      'pkeyutl',
      '-verify',
      '-rawin',
      '-digest',
      'sm3',
      '-pkeyopt',
      'distid:1234567812345678',
      '-pubin',
      '-inkey',
      file('seal.pub.pem'),
      '-in',
      file('payload.json'),
      '-sigfile',
      file('payload.sig'),
    ]).toString();
    expect(verified).toContain('Signature Verified Successfully');
    // … and the seal certificate's chain to the platform root.
    const [sealPem, rootPem] = readFileSync(file('seal.cert.pem'), 'utf8').split(/(?=-----BEGIN CERTIFICATE-----)/);
    writeFileSync(file('seal.pem'), sealPem!);
    writeFileSync(file('root.pem'), rootPem!);
    const chain = execFileSync('openssl', [
      'verify',
      '-x509_strict',
      '-vfyopt',
      'distid:1234567812345678',
      '-CAfile',
      file('root.pem'),
      file('seal.pem'),
    ]).toString();
    expect(chain).toContain('OK');
    // A flipped byte in the payload fails in OpenSSL too.
    const payload = readFileSync(file('payload.json'));
    payload[20] = payload[20]! ^ 1;
    writeFileSync(file('tampered.json'), payload);
    expect(() =>
      execFileSync(
        'openssl',
        [
          'pkeyutl',
          '-verify',
          '-rawin',
          '-digest',
          'sm3',
          '-pkeyopt',
          'distid:1234567812345678',
          '-pubin',
          '-inkey',
          file('seal.pub.pem'),
          '-in',
          file('tampered.json'),
          '-sigfile',
          file('payload.sig'),
        ],
        { stdio: 'pipe' },
      ),
    ).toThrow();

    const trust = JSON.parse(readFileSync(file('trust.json'), 'utf8')) as TrustAnchors;
    // The status lists are signed: checked against the trust list's status key, they clear the certificate.
    const lists = ['status-revocation.json', 'status-suspension.json'].map(
      (name) => JSON.parse(readFileSync(file(name), 'utf8')) as unknown,
    );
    const status = await statusEvidenceFromCredentials(readFileSync(file('payload.json'), 'utf8'), lists, trust);
    expect(status.problems).toEqual([]);
    for (const input of [
      await decodeQr(readFileSync(file('qr.txt'), 'utf8')),
      parseBundleJson(readFileSync(file('credential.json'), 'utf8')),
      parseBundleJson(readFileSync(file('bundle.json'), 'utf8')),
    ]) {
      expect(input).not.toBeNull();
      expect(verifyCertificate(input!, trust, { status }).verdict).toBe('VALID');
    }
    const vc = JSON.parse(readFileSync(file('credential.json'), 'utf8')) as { credentialStatus: { statusPurpose: string }[]; id: string };
    expect(vc.id).toBe(`urn:gbt36904:${result.identifier}`);
    expect(vc.credentialStatus.map((s) => s.statusPurpose)).toEqual(['revocation', 'suspension']);
  });
});
