import { AppError, formatMessage, notFound } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import { readCaseSummaries } from '../applications/index.ts';
import type { Principal } from '../identity/index.ts';
import type { BundleDefinition } from './bundle-definition.ts';
import * as repo from './bundles.repository.ts';
import type { FieldProvenance } from './bundles.tables.ts';
import type { WaitingFor } from './bundles-types.ts';
import type { BundlesContext } from './bundles-context.ts';

/** The start's first steps: the draft cases, then the dataset fields fetched through the sharing platform. */
export function createPrefillFunctions(ctx: BundlesContext) {
  const { db, applications, deps, clock, departmentActor } = ctx;

  /**
   * Step 1: one draft case per task, each by its own derived key, so a retry finds the same
   * cases. Returns where each case went, which the exchanges need next.
   */
  async function createCases(
    principal: Principal,
    row: repo.BundleRow,
    def: BundleDefinition,
  ): Promise<{ row: repo.BundleRow; orgCodes: Map<string, string> }> {
    const cases: Record<string, string> = { ...row.cases };
    const orgCodes = new Map<string, string>();
    for (const [i, task] of def.tasks.entries()) {
      if (cases[task.key]) continue;
      const { case: c } = await applications.submit(principal, { serviceCode: task.item, form: {}, draft: true }, `bundle-${row.id}-${i}`);
      cases[task.key] = c.id;
      if (c.applicantId === row.applicantId) orgCodes.set(c.id, c.orgCode);
    }
    return { row: await repo.updateBundle(db, row.id, { cases, stage: 'cases', updatedAt: clock() }), orgCodes };
  }

  /**
   * Step 2: the dataset fields, one exchange per (task, dataset, purpose) under the task's
   * department grant. An external department that stays down is reported, not fatal: the stage
   * stays `cases` and the next progress read tries again with the same request keys, so an
   * exchange that completed already is not repeated.
   */
  async function prefill(
    principal: Principal,
    row: repo.BundleRow,
    def: BundleDefinition,
    consent: boolean,
    /** Where the cases went, when the start just created them; otherwise they are read. */
    known: ReadonlyMap<string, string> = new Map(),
  ): Promise<{ row: repo.BundleRow; waitingFor: WaitingFor[] }> {
    const groups = new Map<
      string,
      { via: string; dataset: string; purpose: string; fields: { name: string; field: string; transform?: 'date' }[] }
    >();
    for (const f of def.fields) {
      if (f.source.kind !== 'dataset') continue;
      const k = `${f.source.via}|${f.source.dataset}|${f.source.purpose}`;
      const g = groups.get(k) ?? { via: f.source.via, dataset: f.source.dataset, purpose: f.source.purpose, fields: [] };
      g.fields.push({ name: f.name, field: f.source.field, ...(f.source.transform ? { transform: f.source.transform } : {}) });
      groups.set(k, g);
    }
    const form: Record<string, string> = { ...row.typed };
    const provenance: Record<string, FieldProvenance> = {};
    const waitingFor: WaitingFor[] = [];
    let n = 0;
    const ids = [...groups.values()].map((g) => row.cases[g.via]);
    const orgCodes = ids.every((id) => id && known.has(id))
      ? known
      : new Map([...(await readCaseSummaries(db, row.applicantId, Object.values(row.cases))).values()].map((c) => [c.id, c.orgCode]));
    for (const g of groups.values()) {
      const caseId = row.cases[g.via];
      if (!caseId) throw new Error(`bundle ${row.id}: no case for task ${g.via}`);
      const orgCode = orgCodes.get(caseId);
      if (!orgCode) throw notFound('case');
      const actor = await departmentActor(orgCode, 'bundle-prefill', ['case.view', 'exchange.request']);
      const request = {
        requestKey: `bundle-${row.id}-${n++}`,
        datasetCode: g.dataset,
        fields: [...new Set(g.fields.map((f) => f.field))],
        purpose: g.purpose,
        caseId,
      };
      let result;
      try {
        result = await deps.dataSharing.requestExchange(actor, request);
        if (result.exchange.status === 'pending_consent') {
          if (!consent) {
            throw new AppError('VALIDATION_FAILED', {
              detail: message('bundles.consentNeeded', {
                dataset: { zh: result.exchange.dataset.nameZh, en: result.exchange.dataset.nameEn },
              }),
            });
          }
          await deps.dataSharing.decideConsent(principal, result.exchange.id, 'approve');
          result = await deps.dataSharing.requestExchange(actor, request);
        }
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'DEPARTMENT_UNAVAILABLE') throw error;
        waitingFor.push({
          department: typeof error.params.department === 'string' ? error.params.department : '',
          dataset: g.dataset,
          task: g.via,
          message: { zh: formatMessage(error.code, error.params, 'zh-CN'), en: formatMessage(error.code, error.params, 'en') },
        });
        continue;
      }
      if (result.exchange.status !== 'completed' || !result.data) continue;
      for (const f of g.fields) {
        const value = result.data[f.field];
        if (value === undefined || value === '') continue;
        form[f.name] = f.transform === 'date' ? value.slice(0, 10) : value;
        provenance[f.name] = { dataset: g.dataset, field: f.field, exchangeId: result.exchange.id };
      }
    }
    if (waitingFor.length > 0) return { row, waitingFor };
    return { row: await repo.updateBundle(db, row.id, { form, provenance, stage: 'prefilled', updatedAt: clock() }), waitingFor };
  }
  return { createCases, prefill };
}
