import type { ApprovedCase } from '../applications/index.ts';
import type { CertificateField } from './certificates.tables.ts';
import type { FormLabels } from './ports.ts';

/** A certificate is issued for an approved case: its service, applicant, org, form and reviewer. */
export type IssueInput = ApprovedCase;

/** The value of each of a type's fields on one certificate: from the holder, the issuer or the case's form. */
export async function fieldValues(
  labels: FormLabels,
  fields: readonly CertificateField[],
  input: IssueInput,
  holder: { name: string; residentIdMasked: string },
  residentId: string,
  issuerName: string,
): Promise<{ name: string; value: string }[]> {
  const values: { name: string; value: string }[] = [];
  for (const field of fields)
    values.push({ name: field.name, value: await fieldValue(labels, field, input, holder, residentId, issuerName) });
  return values;
}

async function fieldValue(
  labels: FormLabels,
  field: CertificateField,
  input: IssueInput,
  holder: { name: string; residentIdMasked: string },
  residentId: string,
  issuerName: string,
): Promise<string> {
  switch (field.source) {
    case 'holder.name':
      return holder.name;
    case 'holder.residentIdMasked':
      return holder.residentIdMasked;
    case 'holder.residentId':
      return residentId;
    case 'issuer.name':
      return issuerName;
    case 'form': {
      const raw = input.form[field.formField ?? field.name] ?? '';
      return raw ? labels.labelFor(input.serviceCode, field.formField ?? field.name, raw) : '';
    }
  }
}
