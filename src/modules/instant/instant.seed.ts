import { systemPrincipal } from '../identity/index.ts';
import type { OrgsService } from '../orgs/index.ts';
import type { RulesService } from '../rules/index.ts';
import type { SharingAdmin } from '../sharing/index.ts';

/** The residence proof's instant-approval rule (cert.residence names it in the catalogue). */
export const RESIDENCE_PROOF_RULE = 'instant.residence_proof';
/** 正定县: the county whose residence proofs the seeded rule decides (its clause names the county). */
const COUNTY = '130123';
const REGISTER = 'ps.household_register';

const GRANT = {
  datasetCode: REGISTER,
  fields: ['address'],
  purpose: RESIDENCE_PROOF_RULE,
  legalBasis: '《中华人民共和国个人信息保护法》第十三条第一款第（三）项：出具居住证明为履行法定职责所必需，经共享核验户籍地址',
  legalBasisCode: 'pipl-13-1-3',
  consentRequired: false,
};

/** 居住证明秒批: the household register's address is in the county. Demo wording, to be checked by the legal office. */
function residenceRule(orgCode: string) {
  return {
    nameZh: '居住证明秒批',
    nameEn: 'Instant residence proof',
    orgCode,
    purpose: RESIDENCE_PROOF_RULE,
    body: {
      inputs: [{ name: 'address', dataset: REGISTER, field: 'address', type: 'string' as const }],
      params: [],
      clauses: [
        {
          id: 'registeredInCounty',
          expr: 'address.startsWith("河北省石家庄市正定县")',
          zh: '户籍地址在正定县',
          en: 'The registered address is in Zhengding county',
        },
      ],
      amount: null,
    },
    legalBasis: {
      titleZh: '《国务院关于在线政务服务的若干规定》（国务院令第716号）',
      titleEn: 'State Council Provisions on Online Government Services (Decree No. 716)',
      articleZh: '第十一条：可以通过共享获取的材料不再要求申请人提供',
      articleEn: 'Art. 11: what can be obtained through sharing is not asked of the applicant',
    },
    effectiveFrom: '2026-01-01',
    reason: '户籍地址可经数据共享核验，居住证明即时办结',
  };
}

/**
 * The seeded 秒批: the county and each of its villages (where residence proofs are handled) get a
 * law-based grant on the register's address for the rule's purpose, and the rule's first version
 * is proposed and switched on by two system actors of the county. Safe to run again; nothing
 * when the county is not loaded.
 */
export async function seedInstantApprovals(
  services: {
    orgs: Pick<OrgsService, 'getOrg' | 'listChildren'>;
    sharingAdmin: Pick<SharingAdmin, 'ensureGrant'>;
    rules: Pick<RulesService, 'activeInputs' | 'propose' | 'activate'>;
  },
  options: { now?: Date } = {},
): Promise<void> {
  const county = await services.orgs.getOrg(COUNTY);
  if (!county) return;
  const validUntil = new Date((options.now ?? new Date()).getTime() + 3 * 365 * 86_400_000);
  for (const orgCode of [county.code, ...(await villagesOf(services.orgs, county.code))]) {
    await services.sharingAdmin.ensureGrant({ ...GRANT, consumerOrgCode: orgCode, validUntil });
  }
  if (await services.rules.activeInputs(RESIDENCE_PROOF_RULE)) return;
  const at = { orgCode: county.code, orgPath: county.path, actions: ['rule.view', 'rule.manage'] as const };
  const author = systemPrincipal({ actor: 'seed:rules', at });
  const approver = systemPrincipal({ actor: 'seed:rules-approval', at });
  const draft = await services.rules.propose(author, RESIDENCE_PROOF_RULE, residenceRule(county.code));
  await services.rules.activate(approver, RESIDENCE_PROOF_RULE, draft.version, '平台初始化：居住证明秒批规则');
}

async function villagesOf(orgs: Pick<OrgsService, 'listChildren'>, county: string): Promise<string[]> {
  const out: string[] = [];
  for (const township of await allChildren(orgs, county)) out.push(...(await allChildren(orgs, township)));
  return out;
}

async function allChildren(orgs: Pick<OrgsService, 'listChildren'>, code: string): Promise<string[]> {
  const out: string[] = [];
  let after: string | undefined;
  do {
    const page = await orgs.listChildren(code, { after, limit: 200 });
    out.push(...page.items.filter((o) => o.level === 'township' || o.level === 'village').map((o) => o.code));
    after = page.next ?? undefined;
  } while (after);
  return out;
}
