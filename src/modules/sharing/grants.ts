import { AppError, notFound } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import { isUuid } from '../../core/values.ts';
import type { Tx } from '../../db/database.ts';
import { canonicalJson } from '../../verify/document.ts';
import { actsForAnOrg, can } from '../identity/index.ts';
import type { Principal } from '../identity/index.ts';
import * as repo from './sharing.repository.ts';
import { citeLegalBasis, findLegalBasis, LEGAL_BASES, type LegalBasis } from './legal-bases.ts';
import { checkFields, checkPurpose, type SharingContext } from './sharing-context.ts';
import type { CreateGrantInput, DatasetView, GrantView } from './sharing-types.ts';

const GRANT_ENTRY_KIND = 'grant';

/** Grants: a provider's officers create and end them, a supervisor decides the ones that waive consent; the data catalogue. */
export function createGrantFunctions(ctx: SharingContext) {
  const { db, orgs, clock, deps, orgNames, requireDataset } = ctx;

  function grantView(row: repo.GrantRow, names: Map<string, string>): GrantView {
    return {
      id: row.id,
      datasetCode: row.datasetCode,
      provider: { code: row.providerOrgCode, name: names.get(row.providerOrgCode) ?? row.providerOrgCode },
      consumer: { code: row.consumerOrgCode, name: names.get(row.consumerOrgCode) ?? row.consumerOrgCode },
      fields: row.fields,
      purpose: row.purpose,
      legalBasis: row.legalBasis,
      consentRequired: row.consentRequired,
      status: row.status,
      legalBasisRef: (row.legalBasisCode && findLegalBasis(row.legalBasisCode)) || null,
      requestedBy: row.createdBy,
      decidedBy: row.decidedBy,
      decidedAt: row.decidedAt?.toISOString() ?? null,
      decisionNote: row.decisionNote,
      validUntil: row.validUntil.toISOString(),
      revokedAt: row.revokedAt?.toISOString() ?? null,
      createdAt: row.createdAt.toISOString(),
    };
  }

  /**
   * The ledger leaf of a grant's request or decision: codes and ids only (no personal data), so
   * anyone can later see who asked to waive consent, on which basis, and who approved it.
   */
  async function appendGrantEntry(
    tx: Tx,
    row: repo.GrantRow,
    event: 'requested' | 'approved' | 'refused',
    by: string,
    at: Date,
  ): Promise<void> {
    const leaf = canonicalJson({
      kind: GRANT_ENTRY_KIND,
      id: row.id,
      event,
      dataset: row.datasetCode,
      provider: row.providerOrgCode,
      consumer: row.consumerOrgCode,
      fields: [...row.fields].sort(),
      purpose: row.purpose,
      consent: row.consentRequired ? 'required' : 'waived',
      legalBasis: row.legalBasisCode,
      by,
      at: at.toISOString(),
    });
    await deps.ledger.appendInTx(tx, { kind: GRANT_ENTRY_KIND, data: new TextEncoder().encode(leaf) });
  }

  /**
   * A pending grant the caller may decide: a supervisor over its provider who did not request it.
   * Read before the transaction (the org lookup uses its own connection; PGlite has only one).
   */
  async function decidableGrant(principal: Principal, id: string): Promise<repo.GrantRow> {
    if (principal.kind !== 'staff' || principal.actingFor || !isUuid(id)) throw notFound('grant');
    const grant = await repo.findGrant(db, id);
    const provider = grant ? await orgs.getOrg(grant.providerOrgCode) : null;
    if (!grant || !provider) throw notFound('grant');
    if (!can(principal, 'grant.approve', { orgPath: provider.path })) {
      // The provider's own staff may see the grant, so for them it exists; they just cannot decide it.
      if (can(principal, 'grant.manage', { orgPath: provider.path })) throw new AppError('FORBIDDEN');
      throw notFound('grant');
    }
    if (grant.createdBy === principal.accountId) throw new AppError('SELF_APPROVAL');
    if (grant.status !== 'pending_approval') throw new AppError('GRANT_NOT_PENDING', { status: grant.status });
    return grant;
  }

  async function decideGrant(principal: Principal, id: string, status: 'active' | 'refused', note: string | null): Promise<GrantView> {
    const grant = await decidableGrant(principal, id);
    const row = await db.transaction(async (tx) => {
      const at = clock();
      const decided = await repo.decideGrant(tx, grant.id, { status, decidedBy: principal.accountId, decidedAt: at, decisionNote: note });
      if (!decided) throw new AppError('GRANT_NOT_PENDING', { status: grant.status });
      await appendGrantEntry(tx, decided, status === 'active' ? 'approved' : 'refused', principal.accountId, at);
      return decided;
    });
    return grantView(row, await orgNames([row.providerOrgCode, row.consumerOrgCode]));
  }

  return {
    /** The data catalogue: what each department offers (never the records). Any signed-in caller. */
    async listDatasets(principal: Principal, query: { providerOrgCode?: string | undefined } = {}): Promise<DatasetView[]> {
      void principal;
      const rows = await repo.listDatasets(db, query.providerOrgCode);
      const names = await orgNames(rows.map((r) => r.providerOrgCode));
      return rows.map((r) => ({
        code: r.code,
        nameZh: r.nameZh,
        nameEn: r.nameEn,
        fields: r.fields,
        legalBasis: r.legalBasis,
        provider: { code: r.providerOrgCode, name: names.get(r.providerOrgCode) ?? r.providerOrgCode },
        adapter: r.provider.kind,
      }));
    },

    /** A provider department's officer or administrator grants a consumer org standing access. */
    async createGrant(principal: Principal, input: CreateGrantInput): Promise<GrantView> {
      if (principal.kind !== 'staff' || principal.actingFor) throw new AppError('FORBIDDEN');
      const dataset = await requireDataset(input.datasetCode);
      const provider = await orgs.getOrg(dataset.providerOrgCode);
      if (!provider || !can(principal, 'grant.manage', { orgPath: provider.path })) throw new AppError('FORBIDDEN');
      const fields = checkFields(dataset, input.fields);
      checkPurpose(input.purpose);
      const consumer = await orgs.getOrg(input.consumerOrgCode);
      if (!consumer) throw notFound('org');
      const now = clock();
      if (!(input.validUntil.getTime() > now.getTime())) {
        throw new AppError('VALIDATION_FAILED', { detail: message('sharing.grant.validUntilPast') });
      }
      const legalBasis = input.legalBasis.trim();
      if (!legalBasis) throw new AppError('VALIDATION_FAILED', { detail: message('sharing.grant.legalBasisRequired') });
      // Waiving the resident's consent needs a basis from the catalogue and a second person's approval.
      const basis = input.legalBasisCode === undefined ? undefined : findLegalBasis(input.legalBasisCode);
      if (input.legalBasisCode !== undefined && !basis) throw new AppError('UNKNOWN_LEGAL_BASIS', { code: input.legalBasisCode });
      if (!input.consentRequired && !basis) throw new AppError('LEGAL_BASIS_REQUIRED');
      const row = await db.transaction(async (tx) => {
        const inserted = await repo.insertGrant(tx, {
          datasetCode: dataset.code,
          providerOrgCode: dataset.providerOrgCode,
          consumerOrgCode: consumer.code,
          fields,
          purpose: input.purpose,
          legalBasis: basis ? `${citeLegalBasis(basis)}。${legalBasis}` : legalBasis,
          legalBasisCode: basis?.code ?? null,
          consentRequired: input.consentRequired,
          status: input.consentRequired ? 'active' : 'pending_approval',
          validUntil: input.validUntil,
          createdBy: principal.accountId,
          createdAt: now,
        });
        if (!input.consentRequired) await appendGrantEntry(tx, inserted, 'requested', principal.accountId, now);
        return inserted;
      });
      return grantView(
        row,
        new Map([
          [provider.code, provider.name],
          [consumer.code, consumer.name],
        ]),
      );
    },

    /** 法定依据目录: the bases a waived-consent grant may cite. */
    legalBases(): readonly LegalBasis[] {
      return LEGAL_BASES;
    },

    /** A supervisor over the provider (not the grant's author) lets a waived-consent grant take effect. */
    approveGrant(principal: Principal, id: string): Promise<GrantView> {
      return decideGrant(principal, id, 'active', null);
    },

    /** …or refuses it, with the reason. */
    async refuseGrant(principal: Principal, id: string, reason: string): Promise<GrantView> {
      const note = reason.trim();
      if (!note) throw new AppError('VALIDATION_FAILED', { detail: message('sharing.grant.refusalReasonRequired') });
      return decideGrant(principal, id, 'refused', note);
    },

    /** The grants waiting for the caller's approval: pending, under their supervision, requested by someone else. */
    async listPendingGrants(principal: Principal): Promise<GrantView[]> {
      if (principal.kind !== 'staff' || principal.actingFor) throw new AppError('FORBIDDEN');
      const rows: repo.GrantRow[] = [];
      for (const row of await repo.pendingGrants(db)) {
        const provider = await orgs.getOrg(row.providerOrgCode);
        const mine =
          provider &&
          (can(principal, 'grant.approve', { orgPath: provider.path }) || can(principal, 'grant.manage', { orgPath: provider.path }));
        if (mine) rows.push(row);
      }
      const names = await orgNames(rows.flatMap((r) => [r.providerOrgCode, r.consumerOrgCode]));
      return rows.map((r) => grantView(r, names));
    },

    async revokeGrant(principal: Principal, id: string): Promise<GrantView> {
      if (principal.kind !== 'staff' || principal.actingFor || !isUuid(id)) throw notFound('grant');
      const grant = await repo.findGrant(db, id);
      const provider = grant ? await orgs.getOrg(grant.providerOrgCode) : null;
      if (!grant || !provider || !can(principal, 'grant.manage', { orgPath: provider.path })) throw notFound('grant');
      const row = (await repo.revokeGrant(db, id, clock())) ?? grant;
      return grantView(row, await orgNames([row.providerOrgCode, row.consumerOrgCode]));
    },

    /** The grants an org gave or received, for its own staff. */
    async listGrants(principal: Principal, orgCode: string): Promise<GrantView[]> {
      const org = await orgs.getOrg(orgCode);
      if (!actsForAnOrg(principal) || !org || !can(principal, 'sharing.view', { orgPath: org.path })) {
        throw new AppError('FORBIDDEN');
      }
      const rows = await repo.listGrantsOf(db, org.code);
      const names = await orgNames(rows.flatMap((r) => [r.providerOrgCode, r.consumerOrgCode]));
      return rows.map((r) => grantView(r, names));
    },
  };
}
