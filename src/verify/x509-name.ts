/**
 * X.509 distinguished names for display: the attributes a verifier page shows by name, and the
 * whole name RFC 4514 style. Browser-safe.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { Name } from '@peculiar/asn1-x509';

export interface NameInfo {
  commonName?: string;
  organization?: string;
  organizationalUnit?: string;
  country?: string;
  /** The subject's serialNumber attribute (2.5.4.5): for us the credit code or division code. */
  serialNumber?: string;
  locality?: string;
  province?: string;
  /** All attributes, RFC 4514 style (most significant first), for display. */
  text: string;
}

const NAME_ATTRIBUTES: Record<string, [keyof Omit<NameInfo, 'text'>, string]> = {
  '2.5.4.3': ['commonName', 'CN'],
  '2.5.4.10': ['organization', 'O'],
  '2.5.4.11': ['organizationalUnit', 'OU'],
  '2.5.4.6': ['country', 'C'],
  '2.5.4.5': ['serialNumber', 'serialNumber'],
  '2.5.4.7': ['locality', 'L'],
  '2.5.4.8': ['province', 'ST'],
};

/** The DER of a Name (issuer or subject) as NameInfo; throws when it does not parse. */
export function describeName(der: Uint8Array): NameInfo {
  const name = AsnConvert.parse(der, Name);
  const info: NameInfo = { text: '' };
  const parts: string[] = [];
  for (const rdn of name) {
    for (const attribute of rdn) {
      const value = attribute.value.toString();
      const known = NAME_ATTRIBUTES[attribute.type];
      if (known) info[known[0]] = value;
      parts.push(`${known ? known[1] : attribute.type}=${value.replace(/([,+"\\<>;=])/g, '\\$1')}`);
    }
  }
  info.text = parts.reverse().join(', ');
  return info;
}
