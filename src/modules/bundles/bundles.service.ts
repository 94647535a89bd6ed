import { createHash, randomUUID } from 'node:crypto';
import { AppError, notFound } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import { isUuid } from '../../core/values.ts';
import { canonicalJson } from '../../verify/document.ts';
import { chinaDate } from '../../core/values.ts';
import type { Principal } from '../identity/index.ts';
import type { DataSharingService } from '../sharing/index.ts';
import type { BundleDefinition } from './bundle-definition.ts';
import { previewBundle, type BundlePreview } from './bundle-preview.ts';
import * as repo from './bundles.repository.ts';
import type { BurdenFigures } from './burden.ts';
import type { BundleProgress, BundlesDeps, StartBundleInput } from './bundles-types.ts';
import { createBundlesContext } from './bundles-context.ts';
import { createPrefillFunctions } from './prefill.ts';
import { createItemPrefill } from './item-prefill.ts';
import { createAdvanceFunctions } from './advance.ts';
import { progressOf } from './progress.ts';
import { createCaseDecidedHandler } from './on-case-decided.ts';

export type { BundleProgress, BundlesDeps, StartBundleInput, TaskProgress, TaskState, WaitingFor } from './bundles-types.ts';

export type BundlesService = ReturnType<typeof createBundlesService>;

/** The bundles service: prefill (prefill.ts), advance (advance.ts), progress (progress.ts) around a shared context. */
export function createBundlesService(deps: BundlesDeps) {
  const ctx = createBundlesContext(deps);
  const { db, clock, definitions, requireDefinition, departmentActor, loadCases } = ctx;
  const { createCases, prefill } = createPrefillFunctions(ctx);
  const { advanceTracked } = createAdvanceFunctions(ctx);

  function requireParent(principal: Principal): string {
    // Consent to the exchanges is personal: a helper cannot start a bundle for someone.
    if (principal.kind !== 'resident' || principal.actingFor) throw new AppError('FORBIDDEN');
    return principal.accountId;
  }

  async function resume(principal: Principal, row: repo.BundleRow, consent: boolean): Promise<BundleProgress> {
    const def = await requireDefinition(row.code);
    let orgCodes: Map<string, string> | undefined;
    if (row.stage === 'created') ({ row, orgCodes } = await createCases(principal, row, def.definition));
    if (row.stage === 'cases') {
      const prefilled = await prefill(principal, row, def.definition, consent, orgCodes);
      row = prefilled.row;
      // Nothing is submitted while a department's data is missing: the tasks wait for it.
      if (prefilled.waitingFor.length > 0) return progressOf(ctx, row, def, await loadCases(row), prefilled.waitingFor);
    }
    return progressOf(ctx, row, def, await advanceTracked(row, def));
  }

  async function loadOwn(principal: Principal, id: string): Promise<repo.BundleRow> {
    if (principal.kind !== 'resident' || principal.actingFor || !isUuid(id)) throw notFound('bundle');
    const row = await repo.findBundle(db, id);
    if (!row || row.applicantId !== principal.accountId) throw notFound('bundle');
    return row;
  }

  return {
    /** 免填单 for one item: the resident's draft prefilled from shared data (item-prefill.ts). */
    prefillDraft: createItemPrefill(ctx),

    /**
     * The `case.decided` consumer (on-case-decided.ts) the composition root subscribes: after an
     * officer's decision, the bundles of the case move on without the parent looking.
     */
    caseDecidedHandler: createCaseDecidedHandler(ctx, advanceTracked),

    /** The definitions, for the form and the consent preview: every field, its source and who fetches it. */
    async listDefinitions(): Promise<BundleDefinition[]> {
      return [...(await definitions()).values()].flatMap((d) => ('error' in d ? [] : [d.definition]));
    },

    /**
     * One submission for the whole life event: a case per item, prefilled through the sharing
     * platform, ready tasks submitted to their departments and decided by their rules. The same
     * Idempotency-Key and body give the same bundle (and resume a start that was cut short).
     */
    async start(
      principal: Principal,
      input: StartBundleInput,
      idempotencyKey?: string,
    ): Promise<{ bundle: BundleProgress; replayed: boolean }> {
      const applicantId = requireParent(principal);
      if (idempotencyKey !== undefined && !/^[A-Za-z0-9_-]{8,128}$/.test(idempotencyKey)) throw new AppError('IDEMPOTENCY_KEY_INVALID');
      const def = await requireDefinition(input.bundle);
      const known = new Set(def.definition.fields.map((f) => f.name));
      const unknown = Object.keys(input.form).filter((k) => !known.has(k));
      if (unknown.length > 0)
        throw new AppError('VALIDATION_FAILED', {
          detail: message('bundles.form.unknownFields', { fields: { zh: unknown.join('、'), en: unknown.join(', ') } }),
        });
      const typed: Record<string, string> = {};
      for (const [k, v] of Object.entries(input.form)) if (v.trim() !== '') typed[k] = v.trim();
      const requestHash = createHash('sha256')
        .update(canonicalJson({ bundle: def.definition.code, typed }))
        .digest('hex');
      // The insert claims the key; a key taken already (a retry, or a concurrent start) finds its bundle below.
      const now = clock();
      const inserted = await repo.insertBundle(db, {
        id: randomUUID(),
        code: def.definition.code,
        applicantId,
        idempotencyKey: idempotencyKey ?? null,
        requestHash,
        typed,
        stage: 'created',
        createdAt: now,
        updatedAt: now,
      });
      if (!inserted) {
        const winner = idempotencyKey !== undefined ? await repo.findBundleByKey(db, applicantId, idempotencyKey) : undefined;
        if (!winner) throw new AppError('DATABASE_BUSY');
        if (winner.requestHash !== requestHash) throw new AppError('IDEMPOTENCY_KEY_REUSED');
        return { bundle: await resume(principal, winner, input.consent), replayed: true };
      }
      return { bundle: await resume(principal, inserted, input.consent), replayed: false };
    },

    /** The parent's view; it also moves the bundle on (a task an officer completed since unblocks the next). */
    async getProgress(principal: Principal, id: string): Promise<BundleProgress> {
      const row = await loadOwn(principal, id);
      const def = await requireDefinition(row.code);
      if (row.stage !== 'prefilled') return resume(principal, row, false);
      return progressOf(ctx, row, def, await advanceTracked(row, def));
    },

    /**
     * What the start will do for this parent, before anything is read: each field and where it
     * comes from, each exchange (whose data, which fields, which department asks, for which
     * item's case, under which grant and legal basis, consent needed or waived), each task's
     * department and time limit, and the burden figures against separate handling.
     */
    async preview(principal: Principal, code: string): Promise<BundlePreview> {
      const applicantId = requireParent(principal);
      const def = await requireDefinition(code);
      const home =
        principal.homeOrgCode !== undefined
          ? principal.homeOrgCode
          : ((await deps.residents?.getResidentSummary(applicantId))?.homeOrgCode ?? null);
      const village = home ? await deps.orgs.byCode(home) : null;
      const grants = new Map<string, Awaited<ReturnType<DataSharingService['listGrants']>>>();
      return previewBundle(def.definition, def.items, {
        departmentFor: async (kind) => {
          const org = village ? await deps.orgs.findDepartment(kind, village.divisionCode) : null;
          return org ? { code: org.code, name: org.name } : null;
        },
        datasets: await deps.dataSharing.listDatasets(principal),
        grantsOf: async (orgCode) => {
          if (!grants.has(orgCode))
            grants.set(
              orgCode,
              await deps.dataSharing.listGrants(await departmentActor(orgCode, 'bundle-preview', ['sharing.view']), orgCode),
            );
          return grants.get(orgCode)!;
        },
        now: clock(),
        today: chinaDate(clock()),
      });
    },

    async listMine(principal: Principal, limit = 50): Promise<BundleProgress[]> {
      const applicantId = requireParent(principal);
      const rows = await repo.listBundlesOf(db, applicantId, Math.min(limit, 200));
      const out: BundleProgress[] = [];
      for (const row of rows) {
        const def = await requireDefinition(row.code);
        out.push(await progressOf(ctx, row, def, await loadCases(row)));
      }
      return out;
    },

    async burden(principal: Principal, id: string): Promise<BurdenFigures> {
      const row = await loadOwn(principal, id);
      const def = await requireDefinition(row.code);
      return (await progressOf(ctx, row, def, await loadCases(row))).burden;
    },
  };
}
