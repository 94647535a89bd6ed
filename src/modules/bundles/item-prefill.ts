import { AppError, formatMessage, notFound } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import { readCaseSummaries } from '../applications/index.ts';
import { prefillForm, prefillPlan, type PrefillProvenance } from '../catalog/index.ts';
import { requireResidentScope, type Principal } from '../identity/index.ts';
import type { WaitingFor } from './bundles-types.ts';
import type { BundlesContext } from './bundles-context.ts';

export interface PrefilledDraft {
  caseId: string;
  serviceCode: string;
  /** The form as the data knows it: the resident confirms (or corrects) and submits it. */
  form: Record<string, string>;
  /** Where each prefilled value came from (a dataset field, or the account). */
  provenance: Record<string, PrefillProvenance & { exchangeId?: string }>;
  /** Datasets whose department did not answer: the rest is prefilled, these can be tried again. */
  waitingFor: WaitingFor[];
}

/**
 * 免填单 for one catalogue item: the resident's draft case is prefilled from the data catalogue
 * the way a bundle's form is: the item's department fetches each dataset its fields name, one
 * exchange under its grant, with the resident's consent where the grant needs it (`consent`: they
 * agreed in the preview). The same request keys on a retry: an exchange that completed is not
 * repeated. Nothing is written to the case: the resident submits the confirmed form.
 */
export function createItemPrefill(ctx: BundlesContext) {
  const { db, deps, departmentActor } = ctx;
  return async function prefillDraft(principal: Principal, caseId: string, consent: boolean): Promise<PrefilledDraft> {
    const applicantId = requireResidentScope(principal, 'applications.submit');
    const summary = (await readCaseSummaries(db, applicantId, [caseId])).get(caseId);
    if (!summary) throw notFound('case');
    if (summary.state !== 'draft') throw new AppError('INVALID_STATE', { state: summary.state, action: 'prefill' });
    const item = await deps.catalog.getItem(summary.serviceCode);
    if (!item) throw notFound('service');
    const plan = prefillPlan(item);
    const actor = await departmentActor(summary.orgCode, 'item-prefill', ['case.view', 'exchange.request']);
    const records: Record<string, Record<string, string> | null> = {};
    const exchangeIds: Record<string, string> = {};
    const waitingFor: WaitingFor[] = [];
    for (const [dataset, { fields }] of plan.datasets) {
      const request = {
        requestKey: `prefill-${caseId}-${dataset.replace(/\W/g, '_')}`,
        datasetCode: dataset,
        fields,
        purpose: item.code,
        caseId,
      };
      try {
        let result = await deps.dataSharing.requestExchange(actor, request);
        if (result.exchange.status === 'pending_consent') {
          if (!consent)
            throw new AppError('VALIDATION_FAILED', {
              detail: message('bundles.consentNeeded', {
                dataset: { zh: result.exchange.dataset.nameZh, en: result.exchange.dataset.nameEn },
              }),
            });
          await deps.dataSharing.decideConsent(principal, result.exchange.id, 'approve');
          result = await deps.dataSharing.requestExchange(actor, request);
        }
        if (result.exchange.status === 'completed' && result.data) {
          records[dataset] = result.data;
          exchangeIds[dataset] = result.exchange.id;
        }
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'DEPARTMENT_UNAVAILABLE') throw error;
        waitingFor.push({
          department: typeof error.params.department === 'string' ? error.params.department : '',
          dataset,
          task: item.code,
          message: { zh: formatMessage(error.code, error.params, 'zh-CN'), en: formatMessage(error.code, error.params, 'en') },
        });
      }
    }
    const phone = plan.account.length > 0 ? ((await deps.residents?.residentPhone?.(applicantId)) ?? null) : null;
    const { form, provenance } = prefillForm(item, { records, account: { phone } });
    const withExchange: PrefilledDraft['provenance'] = {};
    for (const [name, source] of Object.entries(provenance))
      withExchange[name] =
        'dataset' in source && exchangeIds[source.dataset] ? { ...source, exchangeId: exchangeIds[source.dataset]! } : source;
    return { caseId, serviceCode: item.code, form, provenance: withExchange, waitingFor };
  };
}
