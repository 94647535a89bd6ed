import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { publicKeyToPem } from '../../../verify/keys.ts';
import { createSigner, generateKeyPair, verify } from '../../../verify/signatures.ts';
import { createNativeP256Signer } from './native-p256.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('native P-256 signer', () => {
  it('has the key of the portable signer, and its signatures verify in ours and in OpenSSL', () => {
    const { privateKey } = generateKeyPair('P-256');
    const native = createNativeP256Signer(privateKey);
    const portable = createSigner('P-256', privateKey);
    expect(Buffer.from(native.publicKeySpki).equals(Buffer.from(portable.publicKeySpki))).toBe(true);
    const message = utf8('证明 PDF signed attributes');
    const signature = native.sign(message);
    expect(verify('P-256', native.publicKeySpki, message, signature)).toBe(true);
    expect(verify('P-256', native.publicKeySpki, utf8('something else'), signature)).toBe(false);
    // A second signature differs (random k) and verifies as well.
    const again = native.sign(message);
    expect(Buffer.from(again).equals(Buffer.from(signature))).toBe(false);
    expect(verify('P-256', native.publicKeySpki, message, again)).toBe(true);

    const dir = mkdtempSync(path.join(tmpdir(), 'yiban-p256-'));
    writeFileSync(path.join(dir, 'pub.pem'), publicKeyToPem(native.publicKeySpki));
    writeFileSync(path.join(dir, 'msg'), message);
    writeFileSync(path.join(dir, 'sig'), signature);
    const out = execFileSync('openssl', [
      'dgst',
      '-sha256',
      '-verify',
      path.join(dir, 'pub.pem'),
      '-signature',
      path.join(dir, 'sig'),
      path.join(dir, 'msg'),
    ]).toString();
    expect(out).toContain('Verified OK');
  });
});
