import type { Db } from '../../db/database.ts';
import type { ApplicationsService } from '../applications/index.ts';
import type { CaseSummary } from '../applications/index.ts';
import type { CatalogService, ServiceItem } from '../catalog/index.ts';
import type { OrgsService } from '../orgs/index.ts';
import type { DataSharingService } from '../sharing/index.ts';
import type { EventsService } from '../events/index.ts';
import type { BundleDefinition } from './bundle-definition.ts';

export interface BundlesDeps {
  db: Db;
  catalog: Pick<CatalogService, 'getItem'>;
  applications: Pick<ApplicationsService, 'submit' | 'applicantAction' | 'decideMany'>;
  dataSharing: Pick<DataSharingService, 'requestExchange' | 'decideConsent' | 'listDatasets' | 'listGrants'>;
  orgs: Pick<OrgsService, 'byCode' | 'findDepartment'>;
  /** The parent's home village when the session did not carry it. */
  residents?: {
    getResidentSummary(accountId: string): Promise<{ homeOrgCode: string | null } | null>;
    /** The account's phone, for a form field prefilled from the account (免填单). */
    residentPhone?(accountId: string): Promise<string | null>;
  };
  definitions?: readonly unknown[];
  /** Where `bundle.completed` is written, with the bundle's completion. */
  events: Pick<EventsService, 'enqueue'>;
  clock?: () => Date;
}

export type { BundleProgress, StartBundleInput, TaskProgress, TaskState, WaitingFor } from './bundles.schemas.ts';

/** A bundle's case as its progress shows it: read for all the bundle's cases at once. */
export type BundleCase = CaseSummary & { orgName: string };
export type Org = NonNullable<Awaited<ReturnType<OrgsService['getOrg']>>>;
export type Loaded = { definition: BundleDefinition; order: string[]; items: Map<string, ServiceItem> };
