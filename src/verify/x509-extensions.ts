/**
 * The certificate extensions the chain check reads (RFC 5280 §4.2): basic constraints, key
 * usage and the key identifiers; other extensions are only noted when critical and unknown,
 * which makes the chain invalid. Browser-safe.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
  KeyUsage,
  SubjectKeyIdentifier,
  type Extension,
} from '@peculiar/asn1-x509';
import { bytesToHex } from './tlog-bytes.ts';

/** RFC 5280 §4.2.1.3 names, in bit order. */
const KEY_USAGES = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;
export type KeyUsageType = (typeof KEY_USAGES)[number];

const KNOWN_EXTENSIONS = new Set([
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
  id_ce_authorityKeyIdentifier,
  '2.5.29.37', // extKeyUsage: read by the application, not here
  '2.5.29.17', // subjectAltName
  '2.5.29.32', // certificatePolicies
]);

export interface ExtensionInfo {
  isCA: boolean;
  pathLenConstraint?: number;
  /** Undefined when the certificate has no keyUsage extension. */
  keyUsage?: KeyUsageType[];
  subjectKeyId?: string;
  authorityKeyId?: string;
  unknownCriticalExtensions: string[];
}

/** Reads a certificate's extensions; throws on a duplicate or one that does not parse (the certificate is malformed). */
export function readExtensions(extensions: readonly Extension[]): ExtensionInfo {
  let isCA = false;
  let pathLenConstraint: number | undefined;
  let keyUsage: KeyUsageType[] | undefined;
  let subjectKeyId: string | undefined;
  let authorityKeyId: string | undefined;
  const unknownCriticalExtensions: string[] = [];
  const seen = new Set<string>();
  for (const extension of extensions) {
    if (seen.has(extension.extnID)) throw new Error(`duplicate extension ${extension.extnID}`);
    seen.add(extension.extnID);
    const value = new Uint8Array(extension.extnValue.buffer);
    switch (extension.extnID) {
      case id_ce_basicConstraints: {
        const bc = AsnConvert.parse(value, BasicConstraints);
        isCA = bc.cA;
        pathLenConstraint = bc.pathLenConstraint;
        break;
      }
      case id_ce_keyUsage:
        {
          const flags = AsnConvert.parse(value, KeyUsage).toNumber();
          keyUsage = KEY_USAGES.filter((_, bit) => flags & (1 << bit));
        }
        break;
      case id_ce_subjectKeyIdentifier:
        subjectKeyId = bytesToHex(new Uint8Array(AsnConvert.parse(value, SubjectKeyIdentifier).buffer));
        break;
      case id_ce_authorityKeyIdentifier: {
        const aki = AsnConvert.parse(value, AuthorityKeyIdentifier);
        if (aki.keyIdentifier) authorityKeyId = bytesToHex(new Uint8Array(aki.keyIdentifier.buffer));
        break;
      }
      default:
        if (extension.critical && !KNOWN_EXTENSIONS.has(extension.extnID)) unknownCriticalExtensions.push(extension.extnID);
    }
  }
  return {
    isCA,
    ...(pathLenConstraint !== undefined ? { pathLenConstraint } : {}),
    ...(keyUsage ? { keyUsage } : {}),
    ...(subjectKeyId ? { subjectKeyId } : {}),
    ...(authorityKeyId ? { authorityKeyId } : {}),
    unknownCriticalExtensions,
  };
}
