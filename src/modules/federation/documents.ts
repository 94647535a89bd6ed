import { canonicalJson } from '../../verify/document.ts';
import type { DocumentSignature, SignedDocument } from '../../verify/signed-document.ts';
import type { NodeKey } from './node-identity.ts';
import type { MemberKey, MemberLedger } from './federation.tables.ts';

/** A member as the directory publishes it: who, where, with which keys, offering what. */
export interface DirectoryMember {
  memberId: string;
  name: string;
  /** Base URL: messages go to `<endpoint>/api/federation/messages`. */
  endpoint: string;
  keys: MemberKey[];
  services: string[];
  datasets: string[];
  /** Its ledger's log and witness keys (cross-witnessing); absent for a member that published none. */
  ledger?: MemberLedger;
}

export interface DirectoryDocument {
  kind: 'yiban-federation-directory';
  /** Larger is newer (the last change's time in ms). */
  version: number;
  issuedAt: string;
  hub: string;
  members: DirectoryMember[];
}

/** Signs a document with the node's key: SM2 over the UTF-8 of its canonical JSON. */
export function signDocument<T>(key: NodeKey, document: T, withSigner = false): SignedDocument<T> {
  const signature: DocumentSignature = {
    keyId: key.signer.keyId,
    alg: 'sm2-sm3',
    value: Buffer.from(key.signer.sign(new TextEncoder().encode(canonicalJson(document)))).toString('base64'),
  };
  return { document, signature, ...(withSigner ? { signer: { certificate: key.certificatePem, chain: key.chainPem } } : {}) };
}

/** A key usable at `at`: inside its validity. */
export function keyValidAt(key: MemberKey, at: Date): boolean {
  return Date.parse(key.notBefore) <= at.getTime() && at.getTime() <= Date.parse(key.notAfter);
}
