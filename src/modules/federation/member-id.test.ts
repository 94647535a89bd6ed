import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../verify/document.ts';
import { generateKeyPair, sign } from '../../verify/signatures.ts';
import { openSignedDocument } from '../../verify/signed-document.ts';
import { parseMemberId } from './node-identity.ts';

const digits = fc.stringMatching(/^\d{6}$/);
const subsystem = fc.stringMatching(/^[a-z][a-z0-9-]{0,31}$/);

describe('member identifiers (X-Road style: instance/class/code/subsystem)', () => {
  it('reads every CN/GOV/<six digits>/<subsystem> and nothing else', () => {
    fc.assert(
      fc.property(digits, subsystem, (code, sub) => {
        expect(parseMemberId(`CN/GOV/${code}/${sub}`)).toEqual({ divisionCode: code, subsystem: sub });
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        const parsed = parseMemberId(text);
        if (parsed) expect(text).toBe(`CN/GOV/${parsed.divisionCode}/${parsed.subsystem}`);
      }),
    );
    for (const bad of ['CN/GOV/1300000/yiban', 'CN/GOV/130000', 'CN/GOV/130000/yiban/x', 'CN/GOV/130000/9x', ' CN/GOV/130000/yiban'])
      expect(parseMemberId(bad)).toBeNull();
  });
});

describe('signed documents', () => {
  const keys = generateKeyPair('SM2');
  const signed = (document: unknown) => ({
    document,
    signature: {
      keyId: 'hub',
      alg: 'sm2-sm3',
      value: Buffer.from(sign('SM2', keys.privateKey, new TextEncoder().encode(canonicalJson(document)))).toString('base64'),
    },
  });

  it('opens under the pinned key whatever the member order of the JSON, and refuses any change', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer(), fc.boolean())),
        fc.string({ minLength: 1, maxLength: 8 }),
        (doc, extra) => {
          const envelope = signed(doc);
          const reordered = JSON.parse(
            JSON.stringify({ signature: envelope.signature, document: Object.fromEntries(Object.entries(doc).reverse()) }),
          ) as unknown;
          expect(openSignedDocument(reordered, keys.publicKeySpki, 'hub')).toMatchObject({ ok: true });
          const changed = { ...envelope, document: { ...doc, [`__changed__${extra}`]: extra } };
          expect(openSignedDocument(changed, keys.publicKeySpki, 'hub')).toMatchObject({ ok: false });
        },
      ),
      { numRuns: 30 },
    );
    expect(openSignedDocument(signed({ a: 1 }), keys.publicKeySpki, 'another')).toMatchObject({ ok: false });
    expect(openSignedDocument(signed({ a: 1 }), generateKeyPair('SM2').publicKeySpki)).toMatchObject({ ok: false });
  });
});
