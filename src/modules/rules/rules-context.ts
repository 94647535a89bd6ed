import { createHash } from 'node:crypto';
import { AppError, notFound } from '../../core/errors.ts';
import type { Db, Executor } from '../../db/database.ts';
import { canonicalJson } from '../../verify/document.ts';
import { can, type Principal, type StaffAction } from '../identity/index.ts';
import type { LedgerService } from '../ledger/index.ts';
import type { OrgsService } from '../orgs/index.ts';
import { compileRule, type CompiledRule } from './rule-language.ts';
import type { RuleVersionRow } from './rules.repository.ts';
import type { RuleVersionView } from './rules.schemas.ts';

export interface RulesDeps {
  db: Db;
  orgs: Pick<OrgsService, 'getOrg'>;
  ledger: Pick<LedgerService, 'appendInTx'>;
  clock?: () => Date;
}

/** The ledger entry kinds of the rules module: a version proposed or switched on, a dry run's read of the population. */
export const RULE_VERSION_ENTRY = 'rule.version';
export const RULE_DRY_RUN_ENTRY = 'rule.dry_run';

export type RulesContext = ReturnType<typeof createRulesContext>;

export function createRulesContext(deps: RulesDeps) {
  const { db } = deps;
  const clock = deps.clock ?? (() => new Date());

  /** The rule's org if the caller may do `action` there; a rule elsewhere does not exist for them. */
  async function requireOrg(principal: Principal, orgCode: string, action: StaffAction, what: 'rule' | 'org' = 'rule') {
    const org = await deps.orgs.getOrg(orgCode);
    if (!org || !can(principal, action, { orgPath: org.path })) {
      if (org && what === 'rule' && action === 'rule.manage' && can(principal, 'rule.view', { orgPath: org.path })) {
        throw new AppError('FORBIDDEN');
      }
      throw notFound(what);
    }
    return org;
  }

  /** Compiled versions, by id: a version never changes, so its compiled form is kept for the process's life. */
  const compiled = new Map<string, CompiledRule>();
  function compiledOf(row: RuleVersionRow): CompiledRule {
    let hit = compiled.get(row.id);
    if (!hit) {
      if (compiled.size >= 1000) compiled.clear();
      hit = compileRule(row.body);
      compiled.set(row.id, hit);
    }
    return hit;
  }

  const appendLeaf = (tx: Executor, kind: string, fields: Record<string, unknown>) => appendRuleLeaf(deps.ledger, tx, kind, fields);

  return { db, deps, clock, requireOrg, compiledOf, appendLeaf };
}

/** A leaf with digests and codes only: the rule, its version and hash, what happened, who, when. */
export async function appendRuleLeaf(
  ledger: Pick<LedgerService, 'appendInTx'>,
  tx: Executor,
  kind: string,
  fields: Record<string, unknown>,
): Promise<number> {
  const data = canonicalJson({ kind, ...fields });
  const { id } = await ledger.appendInTx(tx, { kind, data: new TextEncoder().encode(data) });
  return id;
}

/** SHA-256 of a version's canonical JSON: everything that decides an outcome, nothing about who or why. */
export function versionHash(v: {
  ruleCode: string;
  version: number;
  orgCode: string;
  purpose: string;
  body: unknown;
  legalBasis: unknown;
  effectiveFrom: string;
  effectiveTo: string | null;
}): string {
  const canonical = canonicalJson({
    rule: v.ruleCode,
    version: v.version,
    org: v.orgCode,
    purpose: v.purpose,
    body: v.body,
    legalBasis: v.legalBasis,
    effectiveFrom: v.effectiveFrom,
    effectiveTo: v.effectiveTo,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

export const digestOf = (text: string) => createHash('sha256').update(text).digest('hex');

export function versionView(row: RuleVersionRow): RuleVersionView {
  return {
    id: row.id,
    ruleCode: row.ruleCode,
    version: row.version,
    nameZh: row.nameZh,
    nameEn: row.nameEn,
    orgCode: row.orgCode,
    purpose: row.purpose,
    body: row.body,
    legalBasis: row.legalBasis,
    effectiveFrom: row.effectiveFrom,
    effectiveTo: row.effectiveTo,
    hash: row.hash,
    status: row.status,
    proposedBy: row.proposedBy,
    proposedAt: row.proposedAt.toISOString(),
    reason: row.reason,
    activatedBy: row.activatedBy,
    activatedAt: row.activatedAt?.toISOString() ?? null,
    activationReason: row.activationReason,
    ledgerEntryId: row.ledgerEntryId,
  };
}
