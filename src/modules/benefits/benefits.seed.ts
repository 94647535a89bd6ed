import type { Db } from '../../db/database.ts';
import { systemPrincipal } from '../identity/index.ts';
import type { OrgsService } from '../orgs/index.ts';
import type { RulesService } from '../rules/index.ts';
import type { SharingAdmin } from '../sharing/index.ts';
import { BENEFIT_DEFS } from './benefit-defs.ts';
import { benefitGrants, benefitRules } from './benefit-rules.seed.ts';
import * as repo from './benefits.repository.ts';

/**
 * Platform data every start loads: the benefit catalogue of the demo county's departments, the
 * law-based grants its rules read through, and the rules' first versions (proposed and switched on
 * by two system actors of the paying department, as an officer and a second officer would). Safe
 * to run again; nothing when a paying department is missing.
 */
export async function seedBenefits(
  db: Db,
  services: {
    orgs: Pick<OrgsService, 'getOrg'>;
    sharingAdmin: Pick<SharingAdmin, 'ensureGrant'>;
    rules: Pick<RulesService, 'activeInputs' | 'propose' | 'activate'>;
  },
  departments: Record<string, string>,
  options: { now?: Date } = {},
): Promise<void> {
  const medicalSecurity = departments.medical_security;
  const health = departments.health;
  const civilAffairs = departments.civil_affairs;
  if (!medicalSecurity || !health || !civilAffairs) return;
  const now = options.now ?? new Date();
  const validUntil = new Date(now.getTime() + 3 * 365 * 86_400_000);
  for (const grant of benefitGrants({ medicalSecurity, health, civilAffairs }))
    await services.sharingAdmin.ensureGrant({ ...grant, validUntil });
  for (const { code, input } of benefitRules({ medicalSecurity, health })) {
    if (await services.rules.activeInputs(code, now)) continue;
    const org = await services.orgs.getOrg(input.orgCode);
    if (!org) continue;
    const at = { orgCode: org.code, orgPath: org.path, actions: ['rule.view', 'rule.manage'] as const };
    const draft = await services.rules.propose(systemPrincipal({ actor: 'seed:benefits', at }), code, input);
    await services.rules.activate(
      systemPrincipal({ actor: 'seed:benefits-approval', at }),
      code,
      draft.version,
      '平台初始化：免申即享待遇规则',
    );
  }
  const payer = { medical_security: medicalSecurity, health, civil_affairs: civilAffairs };
  for (const def of BENEFIT_DEFS) {
    await repo.upsertBenefit(db, {
      code: def.code,
      nameZh: def.nameZh,
      nameEn: def.nameEn,
      mode: def.mode,
      trigger: def.trigger,
      ruleCode: def.ruleCode,
      payerOrgCode: payer[def.payerKind],
      serviceCode: def.serviceCode,
      reviewServiceCode: `benefit.review.${def.payerKind}`,
      schedule: def.schedule,
      instanceInput: def.instanceInput,
      active: true,
      updatedAt: now,
    });
  }
}
