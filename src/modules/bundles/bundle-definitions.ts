import type { BundleDefinition } from './bundle-definition.ts';

/**
 * The life-event bundles (一件事), as data: validated against the schema and the catalogue when
 * the bundles service starts. A new bundle is a new entry here (and its items in the catalogue).
 */
export const BUNDLE_DEFINITIONS: BundleDefinition[] = [
  {
    code: 'birth',
    nameZh: '新生儿出生一件事',
    nameEn: 'Birth of a child',
    tasks: [
      { key: 'medical_certificate', item: 'birth.medical_certificate', dependsOn: [] },
      { key: 'vaccination', item: 'birth.vaccination', dependsOn: [] },
      { key: 'household_registration', item: 'birth.household_registration', dependsOn: ['medical_certificate'] },
      { key: 'medical_insurance', item: 'birth.medical_insurance', dependsOn: ['household_registration'] },
      { key: 'social_security_card', item: 'birth.social_security_card', dependsOn: ['medical_insurance'] },
    ],
    fields: [
      {
        name: 'childName',
        source: {
          kind: 'dataset',
          dataset: 'health.birth_record',
          field: 'childName',
          via: 'household_registration',
          purpose: 'birth.household_registration',
        },
      },
      {
        name: 'birthDate',
        source: {
          kind: 'dataset',
          dataset: 'health.birth_record',
          field: 'birthTime',
          via: 'household_registration',
          purpose: 'birth.household_registration',
          transform: 'date',
        },
      },
      {
        name: 'hospital',
        source: {
          kind: 'dataset',
          dataset: 'health.birth_record',
          field: 'hospital',
          via: 'medical_certificate',
          purpose: 'birth.medical_certificate',
        },
      },
      {
        name: 'householdHead',
        source: {
          kind: 'dataset',
          dataset: 'ps.household_register',
          field: 'householdHead',
          via: 'household_registration',
          purpose: 'birth.household_registration',
        },
      },
      { name: 'bankBranch', source: { kind: 'typed' } },
    ],
    rules: [
      {
        id: 'health.verified-birth-record',
        departmentKind: 'health',
        tasks: ['medical_certificate', 'vaccination'],
        when: 'all_inputs_verified',
      },
      {
        id: 'ps.verified-birth-registration',
        departmentKind: 'public_security',
        tasks: ['household_registration'],
        when: 'all_inputs_verified',
      },
      {
        id: 'medsec.verified-newborn-enrolment',
        departmentKind: 'medical_security',
        tasks: ['medical_insurance'],
        when: 'all_inputs_verified',
      },
      {
        id: 'hrss.verified-newborn-card',
        departmentKind: 'human_resources',
        tasks: ['social_security_card'],
        when: 'all_inputs_verified',
        allowTyped: ['bankBranch'],
      },
    ],
  },
  {
    code: 'retirement',
    nameZh: '退休一件事',
    nameEn: 'Retirement',
    tasks: [
      { key: 'pension_claim', item: 'retire.pension_claim', dependsOn: [] },
      { key: 'medical_benefits', item: 'retire.medical_benefits', dependsOn: ['pension_claim'] },
      { key: 'elderly_card', item: 'retire.elderly_card', dependsOn: [] },
    ],
    fields: [
      {
        name: 'name',
        source: { kind: 'dataset', dataset: 'ps.household_register', field: 'name', via: 'pension_claim', purpose: 'retire.pension_claim' },
      },
      {
        name: 'birthDate',
        source: {
          kind: 'dataset',
          dataset: 'ps.household_register',
          field: 'birthDate',
          via: 'pension_claim',
          purpose: 'retire.pension_claim',
        },
      },
      {
        name: 'address',
        source: {
          kind: 'dataset',
          dataset: 'ps.household_register',
          field: 'address',
          via: 'elderly_card',
          purpose: 'retire.elderly_card',
        },
      },
      {
        name: 'insuranceType',
        source: {
          kind: 'dataset',
          dataset: 'medsec.insured_person',
          field: 'insuranceType',
          via: 'medical_benefits',
          purpose: 'retire.medical_benefits',
        },
      },
      { name: 'bankAccount', source: { kind: 'typed' } },
    ],
    rules: [
      {
        id: 'hrss.verified-pension',
        departmentKind: 'human_resources',
        tasks: ['pension_claim'],
        when: 'all_inputs_verified',
        allowTyped: ['bankAccount'],
      },
      { id: 'medsec.verified-retiree', departmentKind: 'medical_security', tasks: ['medical_benefits'], when: 'all_inputs_verified' },
      { id: 'civil.verified-elderly-card', departmentKind: 'civil_affairs', tasks: ['elderly_card'], when: 'all_inputs_verified' },
    ],
  },
];
