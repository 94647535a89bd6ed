import { issueCertificate } from '../modules/certificates/index.ts';
import { signRequest, sm2SigningKey, type Sm2SigningKey } from '../modules/sharing/index.ts';
import { generateKeyPair, sign } from '../verify/signatures.ts';

/**
 * Federation members whose keys the caller holds (their join request, signed requests): the
 * federation demo's forking member, and the process tests' members.
 */

/** A member whose key the test holds: its SM2 key, a self-signed root, and what it asks the hub with. */
export function testMember(memberId: string, endpoint = 'http://127.0.0.1:9') {
  const keys = generateKeyPair('SM2');
  const signing: Sm2SigningKey = sm2SigningKey(`${memberId.replaceAll('/', '-').toLowerCase()}-key`, keys.privateKey);
  const now = Date.now();
  const root = issueCertificate({
    profile: 'root',
    subject: { commonName: `${memberId} root` },
    subjectPublicKeySpki: keys.publicKeySpki,
    issuer: {
      name: { commonName: `${memberId} root` },
      signer: { algorithm: 'SM2', publicKeySpki: keys.publicKeySpki, sign: (m) => sign('SM2', keys.privateKey, m) },
    },
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * 86_400_000),
  });
  const join = {
    memberId,
    name: `测试成员 ${memberId}`,
    endpoint,
    keys: [
      {
        keyId: signing.keyId,
        alg: 'sm2-sm3',
        publicKeySpki: Buffer.from(keys.publicKeySpki).toString('base64'),
        notBefore: new Date(now - 60_000).toISOString(),
        notAfter: new Date(now + 365 * 86_400_000).toISOString(),
      },
    ],
    services: [],
    datasets: [],
    rootCertificate: root.pem,
    statusSigners: {},
  };
  return { signing, join };
}

export async function signedPost(url: string, key: Sm2SigningKey, body: string, options: { idempotencyKey: string; now?: Date }) {
  const signed = await signRequest(key, {
    url,
    body,
    idempotencyKey: options.idempotencyKey,
    now: options.now ?? new Date(),
    ttlSeconds: 300,
  });
  return { headers: signed.headers, send: (text = body) => fetch(url, { method: 'POST', headers: signed.headers, body: text }) };
}
