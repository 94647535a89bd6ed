import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { opensslDir } from '../../../../test/openssl.ts';
import { hexToBytes } from '../../../verify/tlog-bytes.ts';
import { publicKeyToPem } from '../../../verify/keys.ts';
import { createSigner, createVerifier, generateKeyPair } from '../../../verify/signatures.ts';
import { decodeSm2Signature, SM2_CURVE, Sm2Point, sm2PublicKeyFromPrivate, sm2SignWithFixedKForTest, sm2Z } from '../../../verify/sm2.ts';
import { sm3 } from '../../../verify/sm3.ts';
import { decodeSpki } from '../../../verify/keys.ts';
import { createSm2Verifier, encodeSm2Signature, sm2Sign } from '../../../verify/sm2.ts';
import {
  createAddonSm2BaseX,
  createAddonSm2Verifier,
  createAddonSm2Signer,
  createNativeSm2BaseX,
  createSealSigner,
  hasNativeSm2,
  sealSm2Engine,
  sm2Addon,
} from './native-sm2.ts';

const { n: N } = SM2_CURVE;
const utf8 = (s: string) => new TextEncoder().encode(s);

// Optional by nature: whether this Node's OpenSSL has the SM2 curve is the Node build's choice, not
// a system tool; without it the seal signer takes the TypeScript path (tested in src/verify).
describe.skipIf(!hasNativeSm2)('native k·G for SM2 signing (node:crypto ECDH on the SM2 curve; skipped when Node lacks the curve)', () => {
  const baseX = createNativeSm2BaseX();

  it('gives the same x₁ as @noble/curves for random and boundary k', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.bigInt({ min: 1n, max: N - 1n }), fc.constantFrom(1n, 2n, 255n, 256n, N - 1n, N - 2n)),
        (k) => baseX(k) === Sm2Point.BASE.multiply(k).x,
      ),
      { numRuns: 200 },
    );
  });

  it('reproduces the GM/T 0003.5 Annex A signature', () => {
    const signature = sm2SignWithFixedKForTest(
      hexToBytes('3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8'),
      utf8('message digest'),
      0x59276e27d506861a16680f3ad9c02dccef3cc1fa3cdbe4ce6d54b80deac1bc21n,
      { baseMultiplyX: baseX },
    );
    expect(decodeSm2Signature(signature)).toEqual({
      r: 0xf5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3n,
      s: 0xb1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aan,
    });
  });

  it('the seal signer signs SM2 that the pure-JS verifier accepts, for any message, and not for another', () => {
    const keys = generateKeyPair('SM2');
    const signer = createSealSigner('SM2', keys.privateKey);
    expect(signer.publicKeySpki).toEqual(createSigner('SM2', keys.privateKey).publicKeySpki);
    const verifier = createVerifier('SM2', keys.publicKeySpki)!;
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const message = utf8(text);
        const signature = signer.sign(message);
        return verifier.verify(message, signature) && !verifier.verify(utf8(text + '.'), signature);
      }),
      { numRuns: 50 },
    );
  });

  it('leaves Ed25519 keys to the pure-JS signer', () => {
    const keys = generateKeyPair('Ed25519');
    const message = utf8('checkpoint');
    expect(createSealSigner('Ed25519', keys.privateKey).sign(message)).toEqual(createSigner('Ed25519', keys.privateKey).sign(message));
  });

  it('its signatures verify in OpenSSL (SM2 with SM3, default ID)', () => {
    const keys = generateKeyPair('SM2');
    const signer = createSealSigner('SM2', keys.privateKey);
    const dir = opensslDir();
    try {
      dir.write('pub.pem', publicKeyToPem(keys.publicKeySpki));
      for (let i = 0; i < 3; i++) {
        const message = utf8(`{"id":"1.2.156.3005.2.${i}","name":"张伟"}`);
        dir.write('msg', message);
        dir.write('sig', signer.sign(message));
        const out = dir.run([
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
        ]);
        expect(out).toContain('Signature Verified Successfully');
      }
      dir.write('msg', utf8('tampered'));
      expect(
        dir.tryRun([
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
        ]).status,
      ).not.toBe(0);
    } finally {
      dir.remove();
    }
  });
});

const hex32 = (k: bigint) => hexToBytes(k.toString(16).padStart(64, '0'));
const toBig = (bytes: Uint8Array) => BigInt(`0x${Buffer.from(bytes).toString('hex')}`);

// `npm install` builds the addon, and the preflight (scripts/system-tools.mjs) builds it when the
// compiler only came later, so it is always there when the tests run (unless switched off).
it.skipIf(process.env.YIBAN_NATIVE_SM2 === 'off')('the native SM2 addon is built and the seal signer uses it', () => {
  expect(sm2Addon, 'build/Release/yiban_sm2.node: run npm run build:native').toBeDefined();
  expect(sealSm2Engine).toBe('addon');
});

describe.skipIf(process.env.YIBAN_NATIVE_SM2 === 'off')(
  'the native SM2 signing addon (native/sm2; skipped when YIBAN_NATIVE_SM2=off)',
  () => {
    const addon = sm2Addon ?? ({} as NonNullable<typeof sm2Addon>);
    const baseX = createAddonSm2BaseX(addon);

    it('gives the same x₁ of k·G as @noble/curves for random k and k at the edges of the window recoding', () => {
      // Digits at the signed 5-bit recoding's edges: 15, 16 (the largest positive), 17 (becomes
      // -15 and carries), 31; every window set to 16 or 17 (a carry through all 52 windows).
      const windows = Array.from({ length: 52 }, (_, j) => BigInt(5 * j));
      const edges = windows.flatMap((shift) => [15n, 16n, 17n, 31n].map((d) => d << shift));
      const allOf = (d: bigint) => windows.reduce((k, shift) => k + (d << shift), 0n) % N;
      const special = [1n, 2n, 15n, 16n, 17n, 31n, 32n, 33n, 255n, 256n, N - 1n, N - 2n, 1n << 255n, allOf(16n), allOf(17n), allOf(31n)];
      for (const k of [...special, ...edges.filter((k) => k < N)]) expect(baseX(k)).toBe(Sm2Point.BASE.multiply(k).x);
      fc.assert(
        fc.property(fc.bigInt({ min: 1n, max: N - 1n }), (k) => baseX(k) === Sm2Point.BASE.multiply(k).x),
        { numRuns: 300 },
      );
    });

    it('reproduces the GM/T 0003.5 Annex A signature from its d, k and message', () => {
      const d = hexToBytes('3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8');
      const z = sm2Z(sm2PublicKeyFromPrivate(d));
      const e = sm3(new Uint8Array([...z, ...utf8('message digest')]));
      const out = new Uint8Array(64);
      expect(addon.sign(d, addon.keyInverse(d), e, hex32(0x59276e27d506861a16680f3ad9c02dccef3cc1fa3cdbe4ce6d54b80deac1bc21n), out)).toBe(
        true,
      );
      expect(toBig(out.subarray(0, 32))).toBe(0xf5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3n);
      expect(toBig(out.subarray(32))).toBe(0xb1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aan);
    });

    it('computes (1 + d)⁻¹ mod n', () => {
      fc.assert(
        fc.property(fc.bigInt({ min: 1n, max: N - 2n }), (d) => (toBig(addon.keyInverse(hex32(d))) * (d + 1n)) % N === 1n),
        { numRuns: 100 },
      );
    });

    it('refuses k = 0 and k ≥ n (the caller takes another k), and malformed arguments', () => {
      const raw = generateKeyPair('SM2').privateKey;
      const inverse = addon.keyInverse(raw);
      const e = new Uint8Array(32).fill(7);
      const out = new Uint8Array(64);
      expect(addon.sign(raw, inverse, e, hex32(0n), out)).toBe(false);
      expect(addon.sign(raw, inverse, e, hex32(N), out)).toBe(false);
      expect(addon.sign(raw, inverse, e, new Uint8Array(32).fill(0xff), out)).toBe(false);
      expect(() => addon.sign(raw, inverse, e, new Uint8Array(31), out)).toThrow(TypeError);
      expect(() => addon.baseMulX('x' as unknown as Uint8Array)).toThrow(TypeError);
    });

    it('verifies what OpenSSL signs, and refuses another message, another key and a changed or out-of-range signature', () => {
      const dir = opensslDir();
      try {
        dir.run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', 'key.pem']);
        dir.run(['pkey', '-in', 'key.pem', '-pubout', '-outform', 'DER', '-out', 'pub.der']);
        const publicKey = decodeSpki(dir.read('pub.der')).key;
        const verifier = createAddonSm2Verifier(addon, publicKey)!;
        expect(verifier).not.toBeNull();
        const other = createAddonSm2Verifier(addon, sm2PublicKeyFromPrivate(hex32(0x5eed5eedn)))!;
        for (let i = 0; i < 3; i++) {
          const message = utf8(`{"infno":"2304","msgid":"H45010300101${i}","人":"张伟"}`);
          dir.write('msg', message);
          dir.run([
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
          ]);
          const signature = dir.read('sig');
          expect(verifier.verify(message, signature)).toBe(true);
          expect(verifier.verify(utf8(`${i}`), signature)).toBe(false);
          expect(other.verify(message, signature)).toBe(false);
          const { r, s } = decodeSm2Signature(signature);
          expect(verifier.verify(message, encodeSm2Signature(r, (s + 1n) % N))).toBe(false);
          expect(verifier.verify(message, encodeSm2Signature(r + N, s))).toBe(false);
          expect(verifier.verify(message, encodeSm2Signature(0n, s))).toBe(false);
          expect(verifier.verify(message, signature.subarray(0, signature.length - 1))).toBe(false);
        }
      } finally {
        dir.remove();
      }
    });

    it('verifies the rare cases: x₁ ≥ n, a sum that doubles, a sum that is the identity', () => {
      // Built from the verification equation: for a chosen point R, any s and e give a valid (r, s)
      // for the key P = t⁻¹·(R − s·G), t = r + s, r = (e + x_R) mod n, since s·G + t·P = R.
      const { p: P } = SM2_CURVE;
      const Fp = Sm2Point.Fp;
      const inverse = (a: bigint) => Sm2Point.Fn.inv(a);
      const tableOf = (point: typeof Sm2Point.BASE) => {
        const raw = point.toBytes(false);
        return addon.keyTable!(raw.subarray(1, 33), raw.subarray(33, 65));
      };
      const verifies = (table: Uint8Array, e: bigint, r: bigint, s: bigint) => addon.verify!(table, hex32(e), hex32(r), hex32(s));
      // A point whose x lies in [n, p): its x mod n is not x, and an x₁ compared without that reduction fails.
      const rhs = (v: bigint) => Fp.add(Fp.add(Fp.mul(Fp.sqr(v), v), Fp.mul(SM2_CURVE.a, v)), SM2_CURVE.b);
      const isSquare = (v: bigint) => Fp.eql(Fp.pow(v, (P - 1n) / 2n), Fp.ONE);
      let x = N + 1000n;
      while (!isSquare(rhs(x))) x++;
      expect(x).toBeLessThan(P);
      const R = Sm2Point.fromAffine({ x, y: Fp.sqrt(rhs(x)) });
      R.assertValidity();
      for (const [e, s] of [
        [0x1234n, 0x5678n],
        [(1n << 256n) - 1n, N - 1n],
      ] as const) {
        const r = (e + x) % N;
        const t = (r + s) % N;
        const key = R.subtract(Sm2Point.BASE.multiply(s)).multiply(inverse(t));
        const table = tableOf(key);
        expect(verifies(table, e, r, s)).toBe(true);
        expect(verifies(table, e, (r + 1n) % N, s)).toBe(false);
        expect(verifies(table, e ^ 1n, r, s)).toBe(false);
      }
      // Key 2G, s = 2, t = 1 (r = n − 1): the sum adds 2G to 2G, a doubling (R = 4G).
      const r = N - 1n;
      const twoG = tableOf(Sm2Point.BASE.multiply(2n));
      const e = (((r - Sm2Point.BASE.multiply(4n).x) % N) + N) % N;
      expect(verifies(twoG, e, r, 2n)).toBe(true);
      expect(verifies(twoG, (e + 1n) % N, r, 2n)).toBe(false);
      // Key −2G, s = 2, t = 1: 2G − 2G is the identity, which verifies nothing.
      const minusTwoG = tableOf(Sm2Point.BASE.multiply(N - 2n));
      for (const any of [0n, 1n, N - 1n]) expect(verifies(minusTwoG, any, r, 2n)).toBe(false);
    });

    it('agrees with the TypeScript verifier on valid and altered signatures of random keys and messages', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.string({ maxLength: 200 }), fc.nat(70), (seed, text, flip) => {
          const d = toBig(seed) % (N - 2n);
          if (d === 0n) return true;
          const privateKey = hex32(d);
          const publicKey = sm2PublicKeyFromPrivate(privateKey);
          const native = createAddonSm2Verifier(addon, publicKey)!;
          const reference = createSm2Verifier(publicKey);
          const message = utf8(text);
          const signature = sm2Sign(privateKey, message);
          const altered = Uint8Array.from(signature);
          altered[flip % altered.length]! ^= 1;
          return (
            native.verify(message, signature) &&
            reference.verify(message, signature) &&
            native.verify(message, altered) === reference.verify(message, altered)
          );
        }),
        { numRuns: 60 },
      );
    });

    it('signs what the pure-TypeScript verifier and OpenSSL accept, never the same signature twice', () => {
      const keys = generateKeyPair('SM2');
      const signer = createSealSigner('SM2', keys.privateKey);
      expect(signer.publicKeySpki).toEqual(createSigner('SM2', keys.privateKey).publicKeySpki);
      const verifier = createVerifier('SM2', keys.publicKeySpki)!;
      const seen = new Set<string>();
      fc.assert(
        fc.property(fc.string({ maxLength: 300 }), (text) => {
          const message = utf8(text);
          const signature = signer.sign(message);
          const fresh = !seen.has(Buffer.from(signature).toString('hex'));
          seen.add(Buffer.from(signature).toString('hex'));
          return fresh && verifier.verify(message, signature) && !verifier.verify(utf8(`${text}.`), signature);
        }),
        { numRuns: 100 },
      );
      const dir = opensslDir();
      try {
        dir.write('pub.pem', publicKeyToPem(keys.publicKeySpki));
        const message = utf8('{"id":"1.2.156.3005.2.1","name":"张伟"}');
        dir.write('msg', message);
        dir.write('sig', createAddonSm2Signer(addon, keys.privateKey).sign(message));
        expect(
          dir.run([
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
          ]),
        ).toContain('Signature Verified Successfully');
      } finally {
        dir.remove();
      }
    });
  },
);

describe('the native SM2 core is constant time in k and d (valgrind memcheck with the secrets marked undefined)', () => {
  const source = new URL('../../../../native/sm2/ct-check.c', import.meta.url).pathname;
  const run = (defines: string[]) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'yiban-ct-'));
    try {
      const binary = path.join(dir, 'ct-check');
      // -O3 as in binding.gyp: the check must see the code the addon runs.
      const built = spawnSync('gcc', ['-O3', ...defines, '-o', binary, source], { encoding: 'utf8' });
      expect(built.status, built.stderr).toBe(0);
      const result = spawnSync('valgrind', ['--error-exitcode=9', binary], { encoding: 'utf8' });
      return { status: result.status, report: result.stderr };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('no branch or memory address depends on the secrets', () => {
    const { status, report } = run([]);
    expect(report).toContain('ERROR SUMMARY: 0 errors');
    expect(status).toBe(0);
  }, 120_000);

  it('the check reports a deliberate secret-dependent branch (so it can fail)', () => {
    const { status, report } = run(['-DCT_CHECK_SELFTEST']);
    expect(report).toContain('depends on uninitialised value');
    expect(status).toBe(9);
  }, 120_000);
});
