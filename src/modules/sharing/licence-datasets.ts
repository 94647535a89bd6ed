import { LICENCE_CITATION_FIELDS } from './provider-adapters.ts';
import type { DatasetDef } from './sharing.service.ts';
import type { DatasetField, Sensitivity } from './sharing.tables.ts';

/** A certificate type as the library needs it (the certificates module's type definitions fit). */
export interface LicenceType {
  code: string;
  nameZh: string;
  nameEn: string;
  fields: readonly { name: string; labelZh: string; labelEn: string; source: string }[];
}

export const LICENCE_LEGAL_BASIS =
  '《国务院关于加快推进全国一体化在线政务服务平台建设的指导意见》（国发〔2018〕27号）；' +
  '《国务院办公厅关于加快推进电子证照扩大应用领域和全国互通互认的意见》（国办发〔2022〕3号）；《电子证照》GB/T 36901—36905';

const CITATION: Record<(typeof LICENCE_CITATION_FIELDS)[number], DatasetField> = {
  identifier: { name: 'identifier', labelZh: '电子证照标识', labelEn: 'E-licence identifier', sensitivity: 'low' },
  issuedAt: { name: 'issuedAt', labelZh: '签发时间', labelEn: 'Issued at', sensitivity: 'low' },
  issuerName: { name: 'issuerName', labelZh: '签发机构', labelEn: 'Issuer', sensitivity: 'low' },
};

/**
 * A certificate type's fields carry no sensitivity of their own: the holder's name and masked ID
 * number are medium, as in the household register; what the form gave is high (income, kinship)
 * unless it is one of the plainly milder fields below, so the consent preview never understates.
 */
const FORM_SENSITIVITY: Record<string, Sensitivity> = { purpose: 'low', address: 'medium', residentSince: 'medium' };

function sensitivityOf(field: LicenceType['fields'][number]): Sensitivity {
  if (field.source === 'issuer.name') return 'low';
  if (field.source === 'holder.name' || field.source === 'holder.residentIdMasked') return 'medium';
  return FORM_SENSITIVITY[field.name] ?? 'high';
}

/**
 * The e-licence library (电子证照库) in the data catalogue: one dataset per certificate type,
 * `licence.<type code>`, offering the type's fields plus what a consumer needs to cite and verify
 * the certificate instead of asking for paper (免证明). The full ID number (`holder.residentId`)
 * is left out: a certificate discloses it only to its holder.
 */
export function licenceDatasets(types: readonly LicenceType[], providerOrgCode: string): DatasetDef[] {
  return types.map((type) => ({
    code: `licence.${type.code}`,
    providerOrgCode,
    nameZh: `电子证照库：${type.nameZh}`,
    nameEn: `E-licence library: ${type.nameEn}`,
    fields: [
      ...type.fields
        .filter((f) => f.source !== 'holder.residentId' && !(f.name in CITATION))
        .map((f): DatasetField => ({ name: f.name, labelZh: f.labelZh, labelEn: f.labelEn, sensitivity: sensitivityOf(f) })),
      ...LICENCE_CITATION_FIELDS.map((name) => CITATION[name]),
    ],
    legalBasis: LICENCE_LEGAL_BASIS,
    provider: { kind: 'licences', certificateType: type.code },
  }));
}
