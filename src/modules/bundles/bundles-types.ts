import type { Db } from '../../db/database.ts';
import type { ApplicationsService } from '../applications/index.ts';
import type { CaseSummary } from '../applications/index.ts';
import type { CatalogService, ServiceItem } from '../catalog/index.ts';
import type { OrgsService } from '../orgs/index.ts';
import type { DataSharingService } from '../sharing/index.ts';
import type { EventsService } from '../events/index.ts';
import type { BundleDefinition } from './bundle-definition.ts';
import type { BurdenFigures } from './burden.ts';

export interface BundlesDeps {
  db: Db;
  catalog: Pick<CatalogService, 'getItem'>;
  applications: Pick<ApplicationsService, 'submit' | 'applicantAction' | 'decideMany'>;
  dataSharing: Pick<DataSharingService, 'requestExchange' | 'decideConsent' | 'listDatasets' | 'listGrants'>;
  orgs: Pick<OrgsService, 'getOrg' | 'findDepartment'>;
  /** The parent's home village when the session did not carry it. */
  residents?: { getResidentSummary(accountId: string): Promise<{ homeOrgCode: string | null } | null> };
  definitions?: readonly unknown[];
  /** Where `bundle.completed` is written, with the bundle's completion. */
  events: Pick<EventsService, 'enqueue'>;
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

/** A bundle's case as its progress shows it: read for all the bundle's cases at once. */
export type BundleCase = CaseSummary & { orgName: string };
export type Org = NonNullable<Awaited<ReturnType<OrgsService['getOrg']>>>;
export type Loaded = { definition: BundleDefinition; order: string[]; items: Map<string, ServiceItem> };
