import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import jsonld from 'jsonld';
import { describe, expect, it } from 'vitest';
import { BUNDLE_CERTIFICATE_TYPES } from '../src/modules/bundles/bundle-seed.ts';
import { SEED_CERTIFICATE_TYPES } from '../src/modules/certificates/certificate-types.seed.ts';
import { toVerifiableCredential, VC_V2_CONTEXT, yibanContext, yibanContextUrl } from '../src/verify/credential.ts';
import { canonicalJson, fieldDigest, type Disclosure, type SignedPayload } from '../src/verify/document.ts';
import { createSigner, generateKeyPair } from '../src/verify/signatures.ts';
import { signStatusListCredential } from '../src/verify/status-credential.ts';
import { encodeStatusList } from '../src/verify/status-list.ts';

/**
 * Section 4: the VC 2.0 export and the status list credential expand in safe mode, as VC libraries
 * run JSON-LD (jsonld 9, offline), with a document loader that knows only the VC 2.0 context and
 * Yiban's own. Every field of every seeded certificate type is exported once.
 */
const PUBLIC_URL = 'https://yiban.example.cn';
// The VC 2.0 context as the package ships it (the package has no types).
const packageMain = createRequire(import.meta.url).resolve('@digitalbazaar/credentials-context');
const vcV2 = JSON.parse(readFileSync(path.join(path.dirname(packageMain), '..', 'contexts', 'v2.jsonld'), 'utf8')) as unknown;

const loader = async (url: string) => {
  const document = url === VC_V2_CONTEXT ? vcV2 : url === yibanContextUrl(PUBLIC_URL) ? yibanContext(PUBLIC_URL) : undefined;
  if (!document) throw new Error(`offline: no context ${url}`);
  return { contextUrl: null, documentUrl: url, document: structuredClone(document) };
};

const expandSafe = (doc: unknown) =>
  jsonld.expand(structuredClone(doc) as jsonld.JsonLdDocument, { documentLoader: loader as never, safe: true } as jsonld.Options.Expand);

/** The reason safe mode refused a document (its event's message), or null when it expanded. */
async function refusal(doc: unknown): Promise<string | null> {
  try {
    await expandSafe(doc);
    return null;
  } catch (error) {
    const details = (error as { details?: { event?: { message?: string; details?: unknown } } }).details;
    return `${details?.event?.message ?? String(error)} ${JSON.stringify(details?.event?.details ?? {})}`;
  }
}

function exportWith(fieldNames: readonly string[]) {
  const disclosures: Disclosure[] = fieldNames.map((name) => ({ name, value: `${name} 值`, salt: randomBytes(16).toString('hex') }));
  const payload: SignedPayload = {
    v: 1,
    id: '1.2.156.3005.2.YB101.54130123C231002428.0000000001.001.1',
    type: 'residence',
    typeName: { zh: '居住证明', en: 'Residence certificate' },
    issuer: { code: '130123100200', name: '塔元庄村民委员会', creditCode: '54130123C231002428' },
    holder: { name: '张伟', residentIdMasked: '130123********0313' },
    issuedAt: '2026-12-04T00:00:00.000Z',
    validUntil: '2027-12-04T00:00:00.000Z',
    status: { list: `${PUBLIC_URL}/api/status-lists/1`, index: 42 },
    keyId: '0'.repeat(32),
    alg: 'SM2',
    fields: disclosures.map(fieldDigest).sort(),
  };
  return toVerifiableCredential({ payload: canonicalJson(payload), signature: 'AAAA', disclosures });
}

describe('JSON-LD safe mode, offline', () => {
  const allFields = [...new Set([...SEED_CERTIFICATE_TYPES, ...BUNDLE_CERTIFICATE_TYPES].flatMap((t) => t.fields.map((f) => f.name)))];

  it('expands the VC export of every field of every certificate type', async () => {
    const vc = exportWith(allFields);
    expect(vc['@context']).toEqual([VC_V2_CONTEXT, `${PUBLIC_URL}/contexts/yiban/v1`]);
    expect(await refusal(vc)).toBeNull();
    const [expanded] = (await expandSafe(vc)) as Record<string, unknown>[];
    const subject = (expanded![`https://www.w3.org/2018/credentials#credentialSubject`] as Record<string, unknown>[])[0]!;
    expect(subject[`${PUBLIC_URL}/contexts/yiban/v1#address`]).toEqual([{ '@value': 'address 值' }]);
    expect(expanded!['@type']).toContain(`${PUBLIC_URL}/contexts/yiban/v1#YibanCertificate`);
  });

  it('refuses a term no context defines (the check can fail) and protects the terms', async () => {
    expect(await refusal(exportWith(['address', 'notATerm']))).toMatch(/did not expand into an absolute IRI.*notATerm/);
    // Without Yiban's context, as the export was before, `address` is dropped.
    const before = { ...exportWith(['address']), '@context': [VC_V2_CONTEXT] };
    expect(await refusal(before)).toMatch(/did not expand into an absolute IRI.*address/);
    // A later context may not redefine a protected Yiban term.
    const redefined = {
      ...exportWith(['address']),
      '@context': [VC_V2_CONTEXT, yibanContextUrl(PUBLIC_URL), { address: 'https://evil.example/address' }],
    };
    expect(await refusal(redefined)).toMatch(/protected/i);
  });

  it('expands the signed status list credential', async () => {
    const signer = createSigner('SM2', generateKeyPair('SM2').privateKey);
    const id = `${PUBLIC_URL}/api/status-lists/1/revocation`;
    const credential = await signStatusListCredential(
      {
        '@context': [VC_V2_CONTEXT],
        id,
        type: ['VerifiableCredential', 'BitstringStatusListCredential'],
        issuer: PUBLIC_URL,
        validFrom: '2026-12-04T00:00:00.000Z',
        validUntil: '2026-12-04T06:00:00.000Z',
        credentialSubject: {
          id: `${id}#list`,
          type: 'BitstringStatusList',
          statusPurpose: 'revocation',
          encodedList: await encodeStatusList([3], 131_072),
        },
      },
      { verificationMethod: `${PUBLIC_URL}/api/trust#${'1'.repeat(32)}`, sign: (m) => signer.sign(m) },
      new Date('2026-12-04T00:00:00.000Z'),
    );
    const [expanded] = (await expandSafe(credential)) as Record<string, unknown>[];
    expect(expanded!['@type']).toContain('https://www.w3.org/ns/credentials/status#BitstringStatusListCredential');
  });
});
