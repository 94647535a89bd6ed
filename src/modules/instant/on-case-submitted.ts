import { createHash } from 'node:crypto';
import { AppError } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import { systemPrincipal, type Principal } from '../identity/index.ts';
import type { EventHandler, StoredEvent } from '../events/index.ts';
import { ruleDataProblems } from '../sharing/index.ts';
import * as repo from './instant.repository.ts';
import type { StoredTrace } from './instant.tables.ts';
import type { InstantContext } from './instant-context.ts';

const ignorable = (error: unknown) =>
  error instanceof AppError && (error.code === 'INVALID_STATE' || error.code === 'ALREADY_DECIDED' || error.code === 'CONFLICT');

/** The reason an approval by a rule records: the rule and its version (the case events show the system actor). */
const ruleReason = (rule: string, version: number) =>
  `秒批：依规则 ${rule} 第 ${version} 版核准 instant approval by rule ${rule} v${version}`;

/**
 * 秒批: a submitted case of an item that names an instant-approval rule is decided by it. Acting
 * as the system at the case's org, the handler reads the rule's inputs through exchanges (one per
 * dataset and field set per case: the request key is derived from them, so a retry replays the
 * same exchange), lets the version in force decide, stores the decision with its trace once per
 * case and version, and approves the case when eligible (its certificate issued as for any
 * approval). Ineligible or undetermined, the case stays for a person, who sees the trace. A
 * version decides only cases submitted while it is switched on and not yet taken by a person.
 */
export function createCaseSubmittedHandler(ctx: InstantContext): EventHandler {
  const { db, deps, clock } = ctx;

  async function actorAt(orgCode: string, rule: string): Promise<Principal | null> {
    const org = await deps.orgs.getOrg(orgCode);
    if (!org) return null;
    const actions = ['case.view', 'case.handle', 'exchange.request'] as const;
    return systemPrincipal({ actor: `rule:${rule}`, at: { orgCode: org.code, orgPath: org.path, actions } });
  }

  /** The rule's inputs for the case's applicant, by dataset; the datasets not read, with why. */
  async function readInputs(
    actor: Principal,
    kase: { id: string; orgCode: string },
    inputs: { purpose: string; needs: Map<string, string[]> },
  ): Promise<{ records: Record<string, Record<string, string> | undefined>; unavailable: StoredTrace['unavailable'] }> {
    const records: Record<string, Record<string, string> | undefined> = {};
    const unavailable: StoredTrace['unavailable'] = [];
    // Only law-based grants of the case's org: a rule never asks the resident for consent.
    const problems = await ruleDataProblems(db, {
      consumerOrgCode: kase.orgCode,
      purpose: inputs.purpose,
      needs: inputs.needs,
      at: clock(),
    });
    for (const [dataset, fields] of inputs.needs) {
      const problem = problems.find((p) => p.dataset === dataset);
      if (problem) {
        unavailable.push({ dataset, reason: message(`rules.data.${problem.problem}`) });
        continue;
      }
      const sorted = [...fields].sort();
      const requestKey = `instant-${createHash('sha256')
        .update(JSON.stringify([kase.id, dataset, sorted, inputs.purpose]))
        .digest('hex')
        .slice(0, 48)}`;
      const result = await deps.dataSharing.requestExchange(actor, {
        requestKey,
        datasetCode: dataset,
        fields: sorted,
        purpose: inputs.purpose,
        caseId: kase.id,
      });
      if (result.exchange.status !== 'completed') unavailable.push({ dataset, reason: message('rules.data.pending_consent') });
      else records[dataset] = result.data ?? undefined;
    }
    return { records, unavailable };
  }

  async function decide(event: StoredEvent, caseId: string, orgCode: string, rule: string): Promise<void> {
    const inputs = await deps.rules.activeInputs(rule);
    if (!inputs) return; // no version in force: people decide, as for any item
    const actor = await actorAt(orgCode, rule);
    if (!actor) return;
    let stored = await repo.findDecision(db, caseId, rule, inputs.version);
    if (!stored) {
      const kase = await deps.applications.getCase(actor, caseId);
      // Taken by a person (accepted, returned, decided) meanwhile: theirs. Submitted before the
      // version was switched on: the queue it was in stays the officers' (no sweep backwards).
      if (kase.state !== 'submitted' || !kase.submittedAt) return;
      if (inputs.activatedAt && new Date(kase.submittedAt) < inputs.activatedAt) return;
      const { records, unavailable } = await readInputs(actor, kase, inputs);
      const residentId = await deps.residents.revealResidentId(kase.applicantId);
      if (!residentId) return;
      const decision = await deps.rules.decideWith(rule, deps.subjectKeyOf(residentId), records);
      if (!decision) return;
      const { rule: ruleCode, version, hash } = decision.trace;
      stored = await repo.storeDecision(db, {
        caseId,
        ruleCode,
        version,
        hash,
        // A dataset not read leaves the rule's inputs from it missing: undetermined, never refused.
        outcome: decision.outcome,
        trace: { ...decision.trace, unavailable },
        eventId: event.id,
        createdAt: clock(),
      });
    }
    if (stored.outcome !== 'eligible') return;
    const [result] = await deps.applications.decideMany(actor, {
      ids: [caseId],
      decision: 'approve',
      reason: ruleReason(rule, stored.version),
    });
    if (result && result.outcome !== 'approved' && !(result.outcome === 'conflict' && ignorable(result.error))) {
      throw result.error ?? new AppError('INTERNAL');
    }
  }

  return {
    name: 'instant.approve',
    topics: ['case.submitted'],
    async handle(event) {
      const { caseId, serviceCode, orgCode } = event.payload;
      if (typeof caseId !== 'string' || typeof serviceCode !== 'string' || typeof orgCode !== 'string') return;
      const rule = (await deps.catalog.getItem(serviceCode))?.instantRule;
      if (rule) await decide(event, caseId, orgCode, rule);
    },
  };
}
