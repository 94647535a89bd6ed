import type { BenefitMode, BenefitSchedule, BenefitTrigger } from './benefits.tables.ts';

/** A benefit as seeded: the catalogue row, with the payer named by department kind. */
export interface BenefitDef {
  code: string;
  nameZh: string;
  nameEn: string;
  mode: BenefitMode;
  trigger: BenefitTrigger;
  ruleCode: string;
  payerKind: 'civil_affairs' | 'medical_security' | 'health';
  serviceCode: string | null;
  schedule: BenefitSchedule;
  instanceInput: string | null;
}

export const MATERNITY_MEDICAL = 'benefit.maternity_medical';
export const MATERNITY_ALLOWANCE = 'benefit.maternity_allowance';
export const CHILDCARE_SUBSIDY = 'benefit.childcare_subsidy';
export const OLD_AGE_ALLOWANCE = 'benefit.old_age_allowance';

/** The service item whose approval stops every payment of the deceased. */
export const DEATH_REGISTRATION = 'ps.death_registration';

/**
 * The seeded benefits. 生育医疗费用 is reimbursed with no application and no confirmation (免申即享);
 * the maternity allowance is the medical security bureau's case, opened and completed for the
 * mother (免申即办); the childcare subsidy is offered and the parent confirms once; 高龄津贴 is
 * granted on the 80th birthday by the daily sweep and paid monthly.
 */
export const BENEFIT_DEFS: BenefitDef[] = [
  {
    code: MATERNITY_MEDICAL,
    nameZh: '生育医疗费用报销',
    nameEn: 'Maternity medical expenses',
    mode: 'grant',
    trigger: { kind: 'certificate', certificateType: 'birth_medical' },
    ruleCode: MATERNITY_MEDICAL,
    payerKind: 'medical_security',
    serviceCode: null,
    schedule: 'once',
    instanceInput: 'certificateNo',
  },
  {
    code: MATERNITY_ALLOWANCE,
    nameZh: '生育津贴',
    nameEn: 'Maternity allowance',
    mode: 'process',
    trigger: { kind: 'certificate', certificateType: 'birth_medical' },
    ruleCode: MATERNITY_ALLOWANCE,
    payerKind: 'medical_security',
    serviceCode: 'medsec.maternity_allowance',
    schedule: 'once',
    instanceInput: 'certificateNo',
  },
  {
    code: CHILDCARE_SUBSIDY,
    nameZh: '育儿补贴',
    nameEn: 'Childcare subsidy',
    mode: 'confirm',
    trigger: { kind: 'certificate', certificateType: 'household_registration' },
    ruleCode: CHILDCARE_SUBSIDY,
    payerKind: 'health',
    serviceCode: null,
    schedule: 'yearly',
    instanceInput: 'certificateNo',
  },
  {
    code: OLD_AGE_ALLOWANCE,
    nameZh: '高龄津贴',
    nameEn: 'Old-age allowance',
    mode: 'grant',
    trigger: { kind: 'date' },
    ruleCode: OLD_AGE_ALLOWANCE,
    payerKind: 'civil_affairs',
    serviceCode: null,
    schedule: 'monthly',
    instanceInput: null,
  },
];
