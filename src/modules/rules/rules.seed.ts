import type { Db } from '../../db/database.ts';
import { isUniqueViolation } from '../../db/pg-errors.ts';
import { systemPrincipal } from '../identity/index.ts';
import type { LedgerService } from '../ledger/index.ts';
import { assertRuleData } from './proposals.ts';
import { compileRule, type RuleBody } from './rule-language.ts';
import * as repo from './rules.repository.ts';
import { appendRuleLeaf, digestOf, RULE_VERSION_ENTRY, versionHash } from './rules-context.ts';
import type { RuleLegalBasis } from './rules.tables.ts';

/** The seeded rule: 高龄津贴, applied by the demo county's civil affairs bureau (民政局). */
const OLD_AGE_ALLOWANCE = 'benefit.old_age_allowance';

const REGISTER = 'ps.household_register';

/**
 * 高龄津贴 as published-style data (made up for the demo, not a real county's amounts): residents
 * aged 80 or over whose household register is in the province; 100 yuan a month, 200 from 90,
 * 500 from 100, each a dated parameter in fen.
 */
function oldAgeAllowanceBody(province = '河北省'): RuleBody {
  return {
    inputs: [
      { name: 'birthDate', dataset: REGISTER, field: 'birthDate', type: 'date' },
      { name: 'address', dataset: REGISTER, field: 'address', type: 'string' },
    ],
    params: [
      { name: 'monthlyFen', values: [{ from: '2025-01-01', value: 10000 }] },
      { name: 'nonagenarianFen', values: [{ from: '2025-01-01', value: 20000 }] },
      { name: 'centenarianFen', values: [{ from: '2025-01-01', value: 50000 }] },
    ],
    clauses: [
      { id: 'aged', expr: 'yearsBetween(birthDate, today) >= 80', zh: '年满 80 周岁', en: 'Aged 80 or over' },
      {
        id: 'inProvince',
        expr: `address.startsWith(${JSON.stringify(province)})`,
        zh: `户籍在${province}`,
        en: 'Household registered in the province',
      },
    ],
    amount:
      'yearsBetween(birthDate, today) >= 100 ? centenarianFen : (yearsBetween(birthDate, today) >= 90 ? nonagenarianFen : monthlyFen)',
  };
}

const LEGAL_BASIS: RuleLegalBasis = {
  titleZh: '《河北省老年人权益保障条例》',
  titleEn: 'Hebei Regulations on the Protection of the Rights and Interests of the Elderly',
  articleZh: '第三十条',
  articleEn: 'Art. 30',
};

/**
 * Platform data every start loads: the first version of 高龄津贴, in force, so that the console and
 * the engines have a rule. Written as a proposal and its switch-on would be (a draft's `proposed`
 * leaf and an `activated` leaf), by the platform seed's system actor. Only when the rule has no
 * version yet; the civil affairs bureau's law-based grant (sharing.seed.ts) must be there first.
 */
export async function seedRules(
  db: Db,
  ledger: Pick<LedgerService, 'appendInTx'>,
  options: { civilAffairsOrgCode: string; now?: Date },
): Promise<void> {
  if ((await repo.versionsOf(db, OLD_AGE_ALLOWANCE)).length > 0) return;
  const at = options.now ?? new Date();
  const body = oldAgeAllowanceBody();
  compileRule(body);
  const fields = {
    ruleCode: OLD_AGE_ALLOWANCE,
    version: 1,
    orgCode: options.civilAffairsOrgCode,
    purpose: OLD_AGE_ALLOWANCE,
    body,
    legalBasis: LEGAL_BASIS,
    effectiveFrom: '2025-01-01',
    effectiveTo: null,
  };
  await assertRuleData(db, fields, at);
  const by = systemPrincipal({ actor: 'platform-seed' }).accountId;
  const reason = '平台初始数据：依据《河北省老年人权益保障条例》设立高龄津贴 · Platform data: the old-age allowance';
  const activationReason = '随平台部署启用 · Switched on with the platform';
  const hash = versionHash(fields);
  const leaf = { rule: OLD_AGE_ALLOWANCE, version: 1, hash, by, at: at.toISOString() };
  try {
    await db.transaction(async (tx) => {
      const ledgerEntryId = await appendRuleLeaf(ledger, tx, RULE_VERSION_ENTRY, { ...leaf, event: 'proposed', reason: digestOf(reason) });
      await repo.insertVersion(tx, {
        ...fields,
        nameZh: '高龄津贴',
        nameEn: 'Old-age allowance',
        hash,
        status: 'active',
        proposedBy: by,
        proposedAt: at,
        reason,
        activatedBy: by,
        activatedAt: at,
        activationReason,
        ledgerEntryId,
      });
      await appendRuleLeaf(ledger, tx, RULE_VERSION_ENTRY, {
        ...leaf,
        event: 'activated',
        retires: null,
        reason: digestOf(activationReason),
      });
    });
  } catch (error) {
    // Another process seeded it at the same moment.
    if (!isUniqueViolation(error)) throw error;
  }
}
