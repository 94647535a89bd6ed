import type { Static } from '@sinclair/typebox';
import { notFound } from '../../core/errors.ts';
import type { Principal } from '../identity/index.ts';
import { can } from '../identity/index.ts';
import { parseCertificate } from '../../verify/x509.ts';
import type { KeyStore } from './keys/key-store.ts';
import { renderSealSvg } from './keys/seal-image.ts';
import type { OrgSealSchema, SealKeySchema } from './certificates.schemas.ts';

export type SealKeyDto = Static<typeof SealKeySchema>;
export type OrgSealDto = Static<typeof OrgSealSchema>;

export interface SealDirectory {
  getOrg(code: string): Promise<{ code: string; name: string; path: string } | null>;
}

/** 电子印章管理 (read side): an org's seal image and its keys with their certificates. */
export function createSealsService(deps: { orgs: SealDirectory; keys: Pick<KeyStore, 'listKeys'> }) {
  return {
    async orgSeal(principal: Principal, orgCode: string): Promise<OrgSealDto> {
      const org = principal.kind === 'staff' && !principal.actingFor ? await deps.orgs.getOrg(orgCode.trim()) : null;
      if (!org || !can(principal, 'seal.view', { orgPath: org.path })) throw notFound('org');
      const records = await deps.keys.listKeys(org.code, 'seal');
      const keys = records.map((r): SealKeyDto => {
        const parsed = parseCertificate(r.certificatePem);
        const cert = parsed.ok ? parsed.certificate : null;
        return {
          keyId: r.keyId,
          algorithm: r.algorithm,
          status: r.status,
          notBefore: r.notBefore.toISOString(),
          notAfter: r.notAfter.toISOString(),
          subject: cert?.subject.text ?? '',
          issuer: cert?.issuer.text ?? '',
          serial: cert?.serial ?? '',
          fingerprint: cert?.fingerprint ?? '',
          certificatePem: r.certificatePem,
        };
      });
      const svg = renderSealSvg({ name: [...org.name].slice(0, 25).join(''), bottomText: '电子证明专用章', size: 200 });
      return {
        orgCode: org.code,
        orgName: org.name,
        image: `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`,
        keys,
      };
    },
  };
}

export type SealsService = ReturnType<typeof createSealsService>;
