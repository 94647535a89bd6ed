import { createHash, randomUUID } from 'node:crypto';
import { AppError, formatMessage, notFound } from '../../core/errors.ts';
import { isUuid } from '../../core/values.ts';
import type { Db } from '../../db/database.ts';
import { canonicalJson } from '../../verify/document.ts';
import type { ApplicationsService } from '../applications/applications.service.ts';
import type { BatchDecisionResult } from '../applications/batch-decisions.ts';
import { readCaseSummaries, type CaseSummary } from '../applications/case-summaries.ts';
import type { CatalogService, ServiceItem } from '../catalog/catalog.service.ts';
import { chinaDate } from '../catalog/working-days.ts';
import { certificatesOfCases } from '../certificates/certificates-of-cases.ts';
import type { Principal } from '../identity/principal.ts';
import type { OrgsService } from '../orgs/orgs.service.ts';
import type { DataSharingService } from '../sharing/sharing.service.ts';
import { validateDefinition, type BundleDefinition } from './bundle-definition.ts';
import { previewBundle, type BundlePreview } from './bundle-preview.ts';
import { BUNDLE_DEFINITIONS } from './bundle-definitions.ts';
import * as repo from './bundles.repository.ts';
import type { FieldProvenance } from './bundles.tables.ts';
import { burdenFigures, type BurdenFigures } from './burden.ts';

export interface BundlesDeps {
  db: Db;
  catalog: Pick<CatalogService, 'getItem'>;
  applications: Pick<ApplicationsService, 'submit' | 'applicantAction' | 'decideMany'>;
  dataSharing: Pick<DataSharingService, 'requestExchange' | 'decideConsent' | 'listDatasets' | 'listGrants'>;
  orgs: Pick<OrgsService, 'getOrg' | 'findDepartment'>;
  /** The parent's home village when the session did not carry it. */
  residents?: { getResidentSummary(accountId: string): Promise<{ homeOrgCode: string | null } | null> };
  definitions?: readonly unknown[];
  clock?: () => Date;
}

export interface StartBundleInput {
  bundle: string;
  /** What the parent typed: the fields no dataset holds (and any a dataset turns out not to hold). */
  form: Record<string, string>;
  /** The parent saw which fields each department fetches (GET /bundles/definitions) and agrees. */
  consent: boolean;
}

export type TaskState = 'waiting' | 'blocked' | 'in_progress' | 'returned' | 'done' | 'rejected';

export interface TaskProgress {
  key: string;
  serviceCode: string;
  name: { zh: string; en: string };
  dependsOn: string[];
  state: TaskState;
  caseId: string | null;
  caseNo: string | null;
  department: { code: string; name: string } | null;
  timeLimitDays: number;
  dueDate: string | null;
  /** `rule:<id>` when an instant-approval rule decided, `officer` when a person did. */
  decidedBy: string | null;
  /** Why it is rejected or blocked, and what to do. */
  reason: { zh: string; en: string } | null;
  output: { certificateId: string; identifier: string } | null;
}

export interface BundleProgress {
  id: string;
  bundle: { code: string; nameZh: string; nameEn: string };
  state: 'open' | 'done' | 'needs_attention';
  createdAt: string;
  form: { name: string; value: string | null; prefilled: boolean; dataset: string | null }[];
  tasks: TaskProgress[];
  /** External departments that did not answer yet (their system is down or slow): nothing goes on until they do. */
  waitingFor: WaitingFor[];
  burden: BurdenFigures;
}

export interface WaitingFor {
  department: string;
  dataset: string;
  /** The task whose department asked for the data. */
  task: string;
  message: { zh: string; en: string };
}

const RULE_REASON = /^即办规则 instant-approval rule: ([a-z0-9_.-]+)$/;
const ruleReason = (id: string) => `即办规则 instant-approval rule: ${id}`;

/** A stable account id for a non-person actor (a rule, the bundle service acting for a department). */
function actorId(name: string): string {
  const h = createHash('sha256').update(`yiban/bundles/actor/${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export type BundlesService = ReturnType<typeof createBundlesService>;

/** A bundle's case as its progress shows it: read for all the bundle's cases at once. */
type BundleCase = CaseSummary & { orgName: string };
type Org = NonNullable<Awaited<ReturnType<OrgsService['getOrg']>>>;

/** How long an org read is kept: the org tree is reference data (the applications' routes are kept as long). */
const ORG_TTL_MS = 60_000;
const OPEN_FOR_DECISION: readonly string[] = ['submitted', 'accepted', 'in_review'];

export function createBundlesService(deps: BundlesDeps) {
  const { db, applications } = deps;
  const clock = deps.clock ?? (() => new Date());
  type Loaded = { definition: BundleDefinition; order: string[]; items: Map<string, ServiceItem> };
  let loaded: Promise<Map<string, Loaded | { error: unknown }>> | undefined;

  /**
   * Validates each definition against the catalogue once, on first use (the catalogue is seeded
   * after the services are built). A broken definition is refused with its error; the others work.
   */
  function definitions() {
    loaded ??= (async () => {
      const out = new Map<string, Loaded | { error: unknown }>();
      for (const raw of deps.definitions ?? BUNDLE_DEFINITIONS) {
        const rawCode = (raw as { code?: unknown }).code;
        const code = typeof rawCode === 'string' ? rawCode : '';
        const tasks = (raw as { tasks?: unknown }).tasks;
        const items = new Map<string, ServiceItem>();
        for (const t of Array.isArray(tasks) ? (tasks as { item?: unknown }[]) : []) {
          const item = typeof t.item === 'string' ? await deps.catalog.getItem(t.item) : null;
          if (item) items.set(item.code, item);
        }
        try {
          out.set(code, { ...validateDefinition(raw, items), items });
        } catch (error) {
          out.set(code, { error });
        }
      }
      return out;
    })();
    return loaded;
  }

  async function requireDefinition(code: string): Promise<Loaded> {
    const def = (await definitions()).get(code);
    if (!def) throw notFound('bundle');
    if ('error' in def) throw def.error;
    return def;
  }

  /** The resident whose bundle it is, as the applications service knows them (for steps after the start). */
  const parentOf = (applicantId: string): Principal => ({
    accountId: applicantId,
    kind: 'resident',
    name: '',
    roles: [],
    sessionChannel: 'app',
  });

  /** Cases a bundle's rule is deciding now: the decision's notice (`casesDecided`) is for other deciders'. */
  const selfDecided = new Set<string>();

  /**
   * Orgs as a bundle reads them (a department for each rule and exchange, the names of the
   * cases' orgs), kept for ORG_TTL_MS: each bundle read them again, eight times a birth bundle.
   */
  const orgs = new Map<string, { org: Promise<Org | null>; at: number }>();
  function orgOf(code: string): Promise<Org | null> {
    const now = performance.now();
    const hit = orgs.get(code);
    if (hit && now - hit.at < ORG_TTL_MS) return hit.org;
    if (orgs.size >= 10_000) orgs.clear();
    const org = deps.orgs.getOrg(code);
    orgs.set(code, { org, at: now });
    // Only what was found is kept: an org added later is found at once.
    org.then(
      (o) => o ?? orgs.delete(code),
      () => orgs.delete(code),
    );
    return org;
  }

  async function departmentActor(orgCode: string, name: string): Promise<Principal> {
    const org = await orgOf(orgCode);
    if (!org) throw notFound('org');
    return {
      accountId: actorId(`${name}@${org.code}`),
      kind: 'staff',
      name,
      roles: [{ role: 'department_officer', orgCode: org.code, orgPath: org.path }],
      sessionChannel: 'rule',
    };
  }

  function requireParent(principal: Principal): string {
    // Consent to the exchanges is personal: a helper cannot start a bundle for someone.
    if (principal.kind !== 'resident' || principal.actingFor) throw new AppError('FORBIDDEN');
    return principal.accountId;
  }

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
      const actor = await departmentActor(orgCode, 'bundle-prefill');
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
              detail: {
                zh: `需要您同意共享“${result.exchange.dataset.nameZh}”`,
                en: `your consent is needed to share ${result.exchange.dataset.nameEn}`,
              },
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

  function ruleFor(def: BundleDefinition, taskKey: string) {
    return def.rules.find((r) => r.tasks.includes(taskKey));
  }

  function inputsVerified(row: repo.BundleRow, item: ServiceItem, allowTyped: readonly string[]): boolean {
    return item.formFields.every((f) => {
      const value = row.form[f.name];
      return value === undefined || value === '' || row.provenance[f.name] !== undefined || allowTyped.includes(f.name);
    });
  }

  const ignorable = (error: unknown) =>
    error instanceof AppError && (error.code === 'INVALID_STATE' || error.code === 'ALREADY_DECIDED' || error.code === 'CONFLICT');

  /**
   * Moves the bundle on as far as it goes: submits each draft whose dependencies completed, and
   * lets the department's instant-approval rule decide each submitted task whose inputs are all
   * verified — the tasks one rule decides at one department together, in one batch decision
   * (one transaction, their certificates issued together). Every step is guarded by the case's
   * state, so a second run (or a concurrent one) does nothing twice.
   *
   * The cases are read once before and once after: a task a rule completes lets its dependants
   * be submitted and decided in the same pass, from the states the steps return. The read after
   * is the progress the parent sees; only when it shows something that could still move (another
   * process changed a case meanwhile) does a further pass run.
   */
  async function advance(row: repo.BundleRow, def: Loaded): Promise<Map<string, BundleCase>> {
    const parent = parentOf(row.applicantId);
    let cases = await loadCases(row);
    for (let round = 0; round <= def.order.length * 2; round++) {
      if (!(await advancePass(row, def, parent, cases))) return cases;
      cases = await loadCases(row);
      if (!canMove(row, def, cases)) return cases;
    }
    return cases;
  }

  /** What a pass would do with these states: submit a ready draft or let a rule decide a task. */
  function ready(row: repo.BundleRow, def: Loaded, states: Map<string, string>) {
    const submit: string[] = [];
    const decide: string[] = [];
    for (const key of def.order) {
      const task = def.definition.tasks.find((t) => t.key === key)!;
      const state = states.get(key);
      if (state === 'draft' && task.dependsOn.every((d) => states.get(d) === 'completed')) submit.push(key);
      else if (state !== undefined && OPEN_FOR_DECISION.includes(state)) {
        const rule = ruleFor(def.definition, key);
        if (rule && inputsVerified(row, def.items.get(task.item)!, rule.allowTyped ?? [])) decide.push(key);
      }
    }
    return { submit, decide };
  }

  function canMove(row: repo.BundleRow, def: Loaded, cases: Map<string, BundleCase>): boolean {
    const { submit, decide } = ready(row, def, new Map([...cases].map(([key, c]) => [key, c.state])));
    return submit.length > 0 || decide.length > 0;
  }

  /** One pass in dependency order; true when a step moved a case. Each step is tried once a pass. */
  async function advancePass(row: repo.BundleRow, def: Loaded, parent: Principal, cases: Map<string, BundleCase>): Promise<boolean> {
    const states = new Map<string, string>([...cases].map(([key, c]) => [key, c.state]));
    const tried = new Set<string>();
    let moved = false;
    for (;;) {
      const { submit, decide } = ready(row, def, states);
      const toSubmit = submit.filter((k) => !tried.has(`submit|${k}`));
      const toDecide = decide.filter((k) => !tried.has(`decide|${k}`));
      if (toSubmit.length === 0 && toDecide.length === 0) return moved;
      for (const key of toSubmit) {
        tried.add(`submit|${key}`);
        const task = def.definition.tasks.find((t) => t.key === key)!;
        const item = def.items.get(task.item)!;
        const form = Object.fromEntries(
          item.formFields.filter((f) => row.form[f.name] !== undefined).map((f) => [f.name, row.form[f.name]!]),
        );
        try {
          states.set(key, (await applications.applicantAction(parent, cases.get(key)!.id, 'submit', form)).state);
          moved = true;
        } catch (error) {
          if (!ignorable(error)) throw error;
        }
      }
      if (toSubmit.length > 0) continue; // a submitted task may now be decided with the others of its rule
      // The tasks of one rule at one department: one batch decision for all of them (for one task
      // too: the batch path issues with fewer statements than a single approval).
      const groups = new Map<string, { ruleId: string; orgCode: string; keys: string[] }>();
      for (const key of toDecide) {
        tried.add(`decide|${key}`);
        const ruleId = ruleFor(def.definition, key)!.id;
        const orgCode = cases.get(key)!.orgCode;
        const g = groups.get(`${ruleId}|${orgCode}`) ?? { ruleId, orgCode, keys: [] };
        g.keys.push(key);
        groups.set(`${ruleId}|${orgCode}`, g);
      }
      for (const g of groups.values()) {
        const actor = await departmentActor(g.orgCode, `rule:${g.ruleId}`);
        const ids = g.keys.map((k) => cases.get(k)!.id);
        for (const id of ids) selfDecided.add(id);
        let results: BatchDecisionResult[];
        try {
          results = await applications.decideMany(actor, { ids, decision: 'approve', reason: ruleReason(g.ruleId) });
        } finally {
          for (const id of ids) selfDecided.delete(id);
        }
        const byId = new Map<string, BatchDecisionResult>(results.map((r) => [r.id, r]));
        for (const key of g.keys) {
          const r = byId.get(cases.get(key)!.id)!;
          if (r.outcome === 'approved') {
            states.set(key, r.state ?? 'approved');
            moved = true;
          } else if (r.outcome !== 'conflict' || !ignorable(r.error)) throw r.error ?? new AppError('INTERNAL');
        }
      }
    }
  }

  async function loadCases(row: repo.BundleRow): Promise<Map<string, BundleCase>> {
    const byId = await readCaseSummaries(db, row.applicantId, Object.values(row.cases));
    const out = new Map<string, BundleCase>();
    for (const [key, id] of Object.entries(row.cases)) {
      const c = byId.get(id);
      if (!c) throw notFound('case');
      out.set(key, { ...c, orgName: (await orgOf(c.orgCode))?.name ?? c.orgCode });
    }
    return out;
  }

  async function resume(principal: Principal, row: repo.BundleRow, consent: boolean): Promise<BundleProgress> {
    const def = await requireDefinition(row.code);
    let orgCodes: Map<string, string> | undefined;
    if (row.stage === 'created') ({ row, orgCodes } = await createCases(principal, row, def.definition));
    if (row.stage === 'cases') {
      const prefilled = await prefill(principal, row, def.definition, consent, orgCodes);
      row = prefilled.row;
      // Nothing is submitted while a department's data is missing: the tasks wait for it.
      if (prefilled.waitingFor.length > 0) return progressOf(row, def, await loadCases(row), prefilled.waitingFor);
    }
    return progressOf(row, def, await advanceTracked(row, def));
  }

  async function progressOf(
    row: repo.BundleRow,
    def: Loaded,
    cases: Map<string, BundleCase>,
    waitingFor: WaitingFor[] = [],
  ): Promise<BundleProgress> {
    const completed = [...cases.values()].filter((c) => c.state === 'completed').map((c) => c.id);
    const outputs = await certificatesOfCases(db, row.applicantId, completed);
    const tasks: TaskProgress[] = [];
    const byKey = new Map<string, TaskProgress>();
    for (const key of def.order) {
      const task = def.definition.tasks.find((t) => t.key === key)!;
      const item = def.items.get(task.item)!;
      const kase = cases.get(key);
      const decision = kase?.decision;
      const ruleId = decision?.reason ? RULE_REASON.exec(decision.reason)?.[1] : undefined;
      let state: TaskState = 'waiting';
      let reason: TaskProgress['reason'] = null;
      let output: TaskProgress['output'] = null;
      switch (kase?.state) {
        case 'completed': {
          state = 'done';
          output = outputs.get(kase.id) ?? null;
          break;
        }
        case 'rejected':
          state = 'rejected';
          reason = {
            zh: `${kase.orgName}不予通过：${decision?.reason ?? ''}。已办结的其他事项及其证照仍然有效；请按理由补正后单独申请，或联系该部门。`,
            en: `${kase.orgName} rejected it: ${decision?.reason ?? ''}. Completed items and their certificates stay valid; correct and apply separately, or contact the department.`,
          };
          break;
        case 'returned':
          state = 'returned';
          reason = { zh: `退回补正：${kase.returnReason ?? ''}`, en: `returned for correction: ${kase.returnReason ?? ''}` };
          break;
        case 'submitted':
        case 'accepted':
        case 'in_review':
        case 'approved':
          state = 'in_progress';
          break;
        case 'draft':
        case undefined: {
          const waiting = waitingFor.find((w) => w.task === key);
          if (waiting) reason = waiting.message;
          const stopped = task.dependsOn.map((d) => byKey.get(d)).filter((d) => d && (d.state === 'rejected' || d.state === 'blocked'));
          if (stopped.length > 0) {
            state = 'blocked';
            const names = stopped.map((d) => d!.name);
            reason = {
              zh: `等待的前置事项未通过：${names.map((x) => x.zh).join('、')}`,
              en: `waits on ${names.map((x) => x.en).join(', ')}, which did not go through`,
            };
          }
        }
      }
      const progress: TaskProgress = {
        key,
        serviceCode: task.item,
        name: { zh: item.nameZh, en: item.nameEn },
        dependsOn: task.dependsOn,
        state,
        caseId: kase?.id ?? null,
        caseNo: kase?.caseNo ?? null,
        department: kase ? { code: kase.orgCode, name: kase.orgName } : null,
        timeLimitDays: item.timeLimitDays,
        dueDate: kase?.dueDate ?? null,
        decidedBy: decision ? (ruleId ? `rule:${ruleId}` : 'officer') : null,
        reason,
        output,
      };
      byKey.set(key, progress);
      tasks.push(progress);
    }
    const done = tasks.every((t) => t.state === 'done');
    const lastCompleted = done
      ? [...cases.values()]
          .map((c) => c.completedAt ?? '')
          .sort()
          .at(-1)
      : undefined;
    const burden = burdenFigures({
      definition: def.definition,
      items: def.items,
      prefilled: Object.keys(row.provenance).length,
      startedOn: chinaDate(row.createdAt),
      finishedOn: lastCompleted ? chinaDate(new Date(lastCompleted)) : null,
      outputs: tasks.flatMap((t) => (t.output ? [t.output.identifier] : [])),
    });
    return {
      id: row.id,
      bundle: { code: def.definition.code, nameZh: def.definition.nameZh, nameEn: def.definition.nameEn },
      state: done
        ? 'done'
        : tasks.some((t) => t.state === 'rejected' || t.state === 'blocked' || t.state === 'returned')
          ? 'needs_attention'
          : 'open',
      createdAt: row.createdAt.toISOString(),
      form: def.definition.fields.map((f) => ({
        name: f.name,
        value: row.form[f.name] ?? null,
        prefilled: row.provenance[f.name] !== undefined,
        dataset: row.provenance[f.name]?.dataset ?? null,
      })),
      tasks,
      waitingFor,
      burden,
    };
  }

  async function loadOwn(principal: Principal, id: string): Promise<repo.BundleRow> {
    if (principal.kind !== 'resident' || principal.actingFor || !isUuid(id)) throw notFound('bundle');
    const row = await repo.findBundle(db, id);
    if (!row || row.applicantId !== principal.accountId) throw notFound('bundle');
    return row;
  }

  /** Bundles being moved on in this process: their own loop sees what their own steps decide. */
  const active = new Set<string>();

  async function advanceTracked(row: repo.BundleRow, def: Loaded): Promise<Map<string, BundleCase>> {
    active.add(row.id);
    try {
      return await advance(row, def);
    } finally {
      active.delete(row.id);
    }
  }

  let pending: Promise<void> = Promise.resolve();

  return {
    /**
     * After an officer's decision commits: moves on the bundles the cases belong to (the next
     * task is submitted, a rule may decide it). Runs in the background, one after another; a
     * failure is left for the next progress read, which reconciles the same way.
     */
    casesDecided(caseIds: readonly string[]): void {
      // A bundle's own rule decisions are seen by its own loop: no lookup of their bundle.
      caseIds = caseIds.filter((id) => !selfDecided.has(id));
      if (caseIds.length === 0) return;
      pending = pending
        .then(async () => {
          for (const caseId of caseIds) {
            for (const row of await repo.findBundlesByCase(db, caseId)) {
              if (active.has(row.id) || row.stage !== 'prefilled') continue;
              await advanceTracked(row, await requireDefinition(row.code));
            }
          }
        })
        .catch(() => undefined);
    },

    /** Resolves when the background work queued so far is done (tests, shutdown). */
    idle(): Promise<void> {
      return pending;
    },

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
          detail: { zh: `不允许的字段 ${unknown.join('、')}`, en: `unknown fields ${unknown.join(', ')}` },
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
      return progressOf(row, def, await advanceTracked(row, def));
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
      const village = home ? await deps.orgs.getOrg(home) : null;
      const grants = new Map<string, Awaited<ReturnType<DataSharingService['listGrants']>>>();
      return previewBundle(def.definition, def.items, {
        departmentFor: async (kind) => {
          const org = village ? await deps.orgs.findDepartment(kind, village.divisionCode) : null;
          return org ? { code: org.code, name: org.name } : null;
        },
        datasets: await deps.dataSharing.listDatasets(principal),
        grantsOf: async (orgCode) => {
          if (!grants.has(orgCode))
            grants.set(orgCode, await deps.dataSharing.listGrants(await departmentActor(orgCode, 'bundle-preview'), orgCode));
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
        out.push(await progressOf(row, def, await loadCases(row)));
      }
      return out;
    },

    async burden(principal: Principal, id: string): Promise<BurdenFigures> {
      const row = await loadOwn(principal, id);
      const def = await requireDefinition(row.code);
      return (await progressOf(row, def, await loadCases(row))).burden;
    },
  };
}
