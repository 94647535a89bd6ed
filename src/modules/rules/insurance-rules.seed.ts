import { INSURANCE_ITEMS, OFFSITE_FILING_RULE, prefillPlan, type ServiceItemDef } from '../catalog/index.ts';
import { systemPrincipal } from '../identity/index.ts';
import type { OrgsService } from '../orgs/index.ts';
import type { SharingAdmin } from '../sharing/index.ts';
import type { RulesService } from './rules.service.ts';
import type { RuleBody } from './rule-language.ts';
import type { RuleLegalBasis } from './rules.tables.ts';

const INSURED = 'medsec.insured_person';

/** 为履行法定职责所必需 (PIPL art. 13 (1) 3): the bureau reads its own records for the services it must provide. */
const LAW_BASED = 'pipl-13-1-3';

/**
 * 异地就医备案秒批: the applicant is insured (the bureau's own record says so). What the form says
 * (a county in another province, dates that fit the kind of filing) is checked when it is
 * submitted (the item's form fields in catalog/insurance-items.seed.ts), so a filing that reaches
 * the rule is valid in form; the rule decides whether the person may file at all. An uninsured
 * person's case is left to an officer with the clause not met.
 */
export function offsiteFilingRuleBody(): RuleBody {
  return {
    inputs: [
      { name: 'status', dataset: INSURED, field: 'status', type: 'string' },
      { name: 'insuredRegion', dataset: INSURED, field: 'insuredRegion', type: 'string' },
    ],
    params: [],
    clauses: [
      {
        id: 'insured',
        expr: 'status == "正常参保"',
        zh: '参保状态正常：正在参加基本医疗保险',
        en: 'Currently insured: the basic medical insurance enrolment is active',
      },
      {
        id: 'regionKnown',
        expr: 'size(insuredRegion) > 0',
        zh: '参保地明确',
        en: 'The place of insurance is known',
      },
    ],
    amount: null,
  };
}

const OFFSITE_LEGAL_BASIS: RuleLegalBasis = {
  titleZh: '《国家医保局 财政部关于进一步做好基本医疗保险跨省异地就医直接结算工作的通知》（医保发〔2022〕22号）',
  titleEn: 'NHSA and Ministry of Finance notice on direct settlement of basic medical insurance across provinces (Yibaofa [2022] No. 22)',
  articleZh: '第二部分：跨省异地就医备案可线上办理、即时办结；急诊抢救人员视同已备案；出院结算前可补办备案（摘要）',
  articleEn:
    'Part 2: filing may be done online and decided at once; emergency treatment counts as filed; a filing may be made until discharge (summary)',
};

/**
 * The grants the medical insurance services use, for the bureau's org: one per item and dataset its
 * form is prefilled from (免填单, the item's code as the purpose), and the rule's read of the
 * insured persons dataset. The bureau's own datasets are read for its statutory duty; another
 * department's (the household register) with the resident's consent, as the birth bundle does.
 */
export function insuranceGrants(
  bureauOrgCode: string,
  validUntil: Date,
  items: readonly ServiceItemDef[] = INSURANCE_ITEMS,
): Parameters<SharingAdmin['ensureGrant']>[0][] {
  const grants: Parameters<SharingAdmin['ensureGrant']>[0][] = [];
  for (const item of items) {
    for (const [datasetCode, { fields }] of prefillPlan(item).datasets) {
      const own = datasetCode.startsWith('medsec.');
      grants.push({
        datasetCode,
        consumerOrgCode: bureauOrgCode,
        fields,
        purpose: item.code,
        legalBasis: own
          ? `《中华人民共和国个人信息保护法》第十三条第一款第（三）项：${item.nameZh}预填参保信息，为履行法定职责所必需`
          : `《中华人民共和国社会保险法》；${item.nameZh}预填户籍信息，经本人同意共享`,
        ...(own ? { legalBasisCode: LAW_BASED } : {}),
        consentRequired: !own,
        validUntil,
      });
    }
  }
  grants.push({
    datasetCode: INSURED,
    consumerOrgCode: bureauOrgCode,
    fields: ['status', 'insuredRegion'],
    purpose: OFFSITE_FILING_RULE,
    legalBasis: '《中华人民共和国个人信息保护法》第十三条第一款第（三）项：异地就医备案核验参保状态，为履行法定职责所必需',
    legalBasisCode: LAW_BASED,
    consentRequired: false,
    validUntil,
  });
  return grants;
}

/**
 * The medical insurance services' data and rule: the grants above for the bureau, then the first
 * version of the filing rule, proposed and switched on by two system actors of the bureau (four
 * eyes, each a ledger leaf). Safe to run again; nothing when the bureau's org is not loaded. The
 * datasets (sharing.seed.ts) must be there first.
 */
export async function seedInsuranceServices(
  services: {
    orgs: Pick<OrgsService, 'getOrg'>;
    sharingAdmin: Pick<SharingAdmin, 'ensureGrant'>;
    rules: Pick<RulesService, 'activeInputs' | 'propose' | 'activate'>;
  },
  options: { medicalSecurityOrgCode: string; now?: Date },
): Promise<void> {
  const bureau = await services.orgs.getOrg(options.medicalSecurityOrgCode);
  if (!bureau) return;
  const validUntil = new Date((options.now ?? new Date()).getTime() + 3 * 365 * 86_400_000);
  for (const grant of insuranceGrants(bureau.code, validUntil)) await services.sharingAdmin.ensureGrant(grant);
  if (await services.rules.activeInputs(OFFSITE_FILING_RULE)) return;
  const at = { orgCode: bureau.code, orgPath: bureau.path, actions: ['rule.view', 'rule.manage'] as const };
  const draft = await services.rules.propose(systemPrincipal({ actor: 'seed:rules', at }), OFFSITE_FILING_RULE, {
    nameZh: '异地就医备案秒批',
    nameEn: 'Instant filing for treatment in another province',
    orgCode: bureau.code,
    purpose: OFFSITE_FILING_RULE,
    body: offsiteFilingRuleBody(),
    legalBasis: OFFSITE_LEGAL_BASIS,
    effectiveFrom: '2026-01-01',
    reason: '异地就医备案即时办结：参保状态经本局数据核验 · Filing decided at once from the bureau’s own enrolment record',
  });
  await services.rules.activate(
    systemPrincipal({ actor: 'seed:rules-approval', at }),
    OFFSITE_FILING_RULE,
    draft.version,
    '平台初始化：异地就医备案秒批规则 · Switched on with the platform',
  );
}
