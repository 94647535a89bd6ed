import type { ServiceItemDef } from '../catalog/index.ts';
import type { Executor } from '../../db/database.ts';
import { upsertCertificateTypes, type CertificateTypeDef } from '../certificates/index.ts';
import type { CertificateField } from '../certificates/index.ts';
import type { Material } from '../catalog/index.ts';

/** Data the bundles need beyond the existing seed: the retirement items, the outputs' certificate types, the grants. */

const ALL: ServiceItemDef['channels'] = ['app', 'window', 'helper'];
const idCard: Material = { code: 'id_card', nameZh: '居民身份证', nameEn: 'Resident ID card', required: true, proofFree: true };
const text = (name: string, labelZh: string, labelEn: string, required = true) => ({
  name,
  labelZh,
  labelEn,
  type: 'text' as const,
  required,
  maxLength: 100,
});

/** 退休一件事: three departments (人社, 医保, 民政). */
export const RETIREMENT_ITEMS: ServiceItemDef[] = [
  {
    code: 'retire.pension_claim',
    nameZh: '城乡居民养老保险待遇申领',
    nameEn: 'Basic pension claim',
    category: 'retirement',
    handlerLevel: 'department',
    departmentKind: 'human_resources',
    materials: [
      idCard,
      { code: 'household_register', nameZh: '户口簿', nameEn: 'Household register', required: true, proofFree: true },
      { code: 'bank_card', nameZh: '银行卡', nameEn: 'Bank card', required: true, proofFree: false },
    ],
    formFields: [
      text('name', '姓名', 'Name', true),
      { name: 'birthDate', labelZh: '出生日期', labelEn: 'Date of birth', type: 'date', required: true },
      text('bankAccount', '领取账户', 'Bank account', true),
    ],
    timeLimitDays: 20,
    channels: ALL,
    feeCents: 0,
    online: true,
    certificateType: 'pension_entitlement',
  },
  {
    code: 'retire.medical_benefits',
    nameZh: '退休人员医保待遇核定',
    nameEn: 'Retiree medical insurance benefits',
    category: 'retirement',
    handlerLevel: 'department',
    departmentKind: 'medical_security',
    materials: [
      idCard,
      { code: 'retirement_approval', nameZh: '退休审批表', nameEn: 'Retirement approval form', required: true, proofFree: true },
    ],
    formFields: [text('name', '姓名', 'Name', true), text('insuranceType', '险种', 'Insurance scheme', true)],
    timeLimitDays: 15,
    channels: ALL,
    feeCents: 0,
    online: true,
    certificateType: 'retiree_medical_benefits',
  },
  {
    code: 'retire.elderly_card',
    nameZh: '老年人优待证办理',
    nameEn: 'Senior citizen card',
    category: 'retirement',
    handlerLevel: 'department',
    departmentKind: 'civil_affairs',
    materials: [idCard, { code: 'photo', nameZh: '证件照片', nameEn: 'ID photo', required: true, proofFree: false }],
    formFields: [text('name', '姓名', 'Name', true), text('address', '户籍地址', 'Registered address', true)],
    timeLimitDays: 10,
    channels: ALL,
    feeCents: 0,
    online: true,
    certificateType: 'elderly_card',
  },
];

const holder: CertificateField[] = [
  { name: 'holderName', labelZh: '申请人', labelEn: 'Applicant', source: 'holder.name' },
  { name: 'residentIdMasked', labelZh: '身份证号码', labelEn: 'Resident ID', source: 'holder.residentIdMasked' },
  { name: 'issuerName', labelZh: '签发机关', labelEn: 'Issued by', source: 'issuer.name' },
];
const form = (name: string, labelZh: string, labelEn: string): CertificateField => ({
  name,
  labelZh,
  labelEn,
  source: 'form',
  formField: name,
});
const child = form('childName', '新生儿姓名', "Child's name");

function type(
  code: string,
  typeCode: string,
  serviceCode: string,
  nameZh: string,
  nameEn: string,
  fields: CertificateField[],
  bodyZh: string,
  bodyEn: string,
): CertificateTypeDef {
  return {
    code,
    typeCode,
    nameZh,
    nameEn,
    serviceCode,
    fields: [...holder, ...fields],
    validityDays: null,
    template: { titleZh: nameZh, titleEn: nameEn, bodyZh, bodyEn },
  };
}

/** The outputs of both bundles, each issued by the department that handles the item (the case's org). */
export const BUNDLE_CERTIFICATE_TYPES: CertificateTypeDef[] = [
  type(
    'birth_medical',
    'YB201',
    'birth.medical_certificate',
    '出生医学证明',
    'Birth medical certificate',
    [child, form('birthDate', '出生日期', 'Date of birth'), form('hospital', '出生医院', 'Hospital')],
    '新生儿 {{childName}} 于 {{birthDate}} 在 {{hospital}} 出生，申请人 {{holderName}}。',
    '{{childName}} was born on {{birthDate}} at {{hospital}}; applicant {{holderName}}.',
  ),
  type(
    'vaccination',
    'YB202',
    'birth.vaccination',
    '预防接种证',
    'Vaccination certificate',
    [child],
    '{{childName}} 已建立预防接种档案，由 {{issuerName}} 签发。',
    'A vaccination record has been opened for {{childName}} by {{issuerName}}.',
  ),
  type(
    'household_registration',
    'YB203',
    'birth.household_registration',
    '出生登记凭证',
    'Birth registration record',
    [child, form('householdHead', '户主姓名', 'Head of household')],
    '{{childName}} 已登记入户，户主 {{householdHead}}。',
    '{{childName}} has been registered in the household of {{householdHead}}.',
  ),
  type(
    'medical_insurance_enrolment',
    'YB204',
    'birth.medical_insurance',
    '城乡居民医保参保凭证',
    'Medical insurance enrolment',
    [child],
    '{{childName}} 已参加城乡居民基本医疗保险。',
    '{{childName}} is enrolled in basic medical insurance.',
  ),
  type(
    'social_security_card',
    'YB205',
    'birth.social_security_card',
    '电子社会保障卡',
    'Electronic social security card',
    [child],
    '{{childName}} 的社会保障卡已制发。',
    'A social security card has been issued for {{childName}}.',
  ),
  type(
    'pension_entitlement',
    'YB211',
    'retire.pension_claim',
    '养老保险待遇核定通知',
    'Pension entitlement notice',
    [form('name', '姓名', 'Name')],
    '{{name}} 自核定之月起按月领取养老保险待遇。',
    '{{name}} receives a monthly pension from the month of approval.',
  ),
  type(
    'retiree_medical_benefits',
    'YB212',
    'retire.medical_benefits',
    '退休人员医保待遇核定凭证',
    'Retiree medical benefits record',
    [form('name', '姓名', 'Name'), form('insuranceType', '险种', 'Scheme')],
    '{{name}} 已核定退休人员医保待遇（{{insuranceType}}）。',
    '{{name}} has retiree medical benefits ({{insuranceType}}).',
  ),
  type(
    'elderly_card',
    'YB213',
    'retire.elderly_card',
    '老年人优待证',
    'Senior citizen card',
    [form('name', '姓名', 'Name'), form('address', '户籍地址', 'Address')],
    '{{name}}（{{address}}）享受老年人优待。',
    '{{name}} ({{address}}) holds a senior citizen card.',
  ),
];

/** Grants the bundles' prefill needs beyond the sharing seed; by department kind. */
export function bundleGrants(departments: Record<string, string>, validUntil: Date) {
  const code = (kind: string) => departments[kind] ?? '';
  return [
    {
      datasetCode: 'health.birth_record',
      consumerOrgCode: code('health'),
      fields: ['childName', 'birthTime', 'hospital'],
      purpose: 'birth.medical_certificate',
      legalBasis: '《中华人民共和国母婴保健法》第二十三条',
      legalBasisCode: 'mchl-23',
      consentRequired: false,
      validUntil,
    },
    {
      datasetCode: 'ps.household_register',
      consumerOrgCode: code('public_security'),
      fields: ['householdHead', 'householdNo'],
      purpose: 'birth.household_registration',
      legalBasis: '《中华人民共和国户口登记条例》第七条',
      legalBasisCode: 'hukou-7',
      consentRequired: false,
      validUntil,
    },
    {
      datasetCode: 'ps.household_register',
      consumerOrgCode: code('human_resources'),
      fields: ['name', 'birthDate'],
      purpose: 'retire.pension_claim',
      legalBasis: '《中华人民共和国社会保险法》；经本人同意共享',
      consentRequired: true,
      validUntil,
    },
    {
      datasetCode: 'ps.household_register',
      consumerOrgCode: code('civil_affairs'),
      fields: ['address'],
      purpose: 'retire.elderly_card',
      legalBasis: '《中华人民共和国老年人权益保障法》；经本人同意共享',
      consentRequired: true,
      validUntil,
    },
    {
      datasetCode: 'medsec.insured_person',
      consumerOrgCode: code('medical_security'),
      fields: ['insuranceType'],
      purpose: 'retire.medical_benefits',
      legalBasis: '《中华人民共和国社会保险法》第二十七条',
      // The insurer's own records about its insured, for its statutory duty (PIPL art. 13(1)(3)).
      legalBasisCode: 'pipl-13-1-3',
      consentRequired: false,
      validUntil,
    },
  ];
}

/** Loads the bundles' items, certificate types and grants. Safe to run again. */
export async function seedBundles(
  db: Executor,
  services: {
    catalogAdmin: { upsertItems(items: ServiceItemDef[]): Promise<unknown> };
    sharingAdmin: { ensureGrant(input: ReturnType<typeof bundleGrants>[number]): Promise<void> };
  },
  departments: Record<string, string>,
  now: Date = new Date(),
): Promise<void> {
  await services.catalogAdmin.upsertItems(RETIREMENT_ITEMS);
  await upsertCertificateTypes(db, BUNDLE_CERTIFICATE_TYPES);
  const validUntil = new Date(now.getTime() + 3 * 365 * 86_400_000);
  for (const grant of bundleGrants(departments, validUntil)) await services.sharingAdmin.ensureGrant(grant);
}
