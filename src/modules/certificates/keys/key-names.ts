/** The names in the platform's certificates: its root, each org's seal, the PDF signing key. */
import type { CertificateName } from './x509-issue.ts';
import type { KeyAlgorithm } from '../../../verify/keys.ts';
import type { OrgForSeal } from './key-types.ts';

export const PLATFORM_OWNER = 'platform';
const ROOT_NAME: CertificateName = { commonName: '一办平台根证书', organization: '一办平台' };
/**
 * The key that signs status list credentials: an SM2 seal of the platform itself (owner
 * 'platform', which no org code can be), chained to the SM2 root and published in the trust list.
 */
export const STATUS_KEY_OWNER: OrgForSeal = { code: PLATFORM_OWNER, name: '一办平台证明状态列表' };
export const PDF_NAME: CertificateName = { commonName: '一办平台电子证明文件签名', organization: '一办平台' };

/** Roots of different algorithms get different names, so that no verifier confuses them. */
export function rootName(algorithm: KeyAlgorithm): CertificateName {
  return algorithm === 'SM2' ? ROOT_NAME : { ...ROOT_NAME, commonName: `${ROOT_NAME.commonName}（${algorithm}）` };
}

export function sealName(org: OrgForSeal): CertificateName {
  const serialNumber = org.creditCode ?? org.divisionCode;
  return {
    commonName: org.name,
    organization: org.name,
    organizationalUnit: '电子印章',
    ...(serialNumber ? { serialNumber } : {}),
  };
}

export function nameOf(info: {
  commonName?: string;
  organization?: string;
  organizationalUnit?: string;
  country?: string;
  serialNumber?: string;
}): CertificateName {
  return {
    commonName: info.commonName ?? '',
    ...(info.organization ? { organization: info.organization } : {}),
    ...(info.organizationalUnit ? { organizationalUnit: info.organizationalUnit } : {}),
    ...(info.country ? { country: info.country } : {}),
    ...(info.serialNumber ? { serialNumber: info.serialNumber } : {}),
  };
}
