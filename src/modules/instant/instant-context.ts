import type { Db } from '../../db/database.ts';
import type { ApplicationsService } from '../applications/index.ts';
import type { CatalogService } from '../catalog/index.ts';
import type { OrgsService } from '../orgs/index.ts';
import type { RulesService } from '../rules/index.ts';
import type { DataSharingService } from '../sharing/index.ts';

export interface InstantDeps {
  db: Db;
  catalog: Pick<CatalogService, 'getItem'>;
  orgs: Pick<OrgsService, 'getOrg'>;
  rules: Pick<RulesService, 'activeInputs' | 'decideWith'>;
  dataSharing: Pick<DataSharingService, 'requestExchange'>;
  applications: Pick<ApplicationsService, 'getCase' | 'decideMany'>;
  residents: { revealResidentId(accountId: string): Promise<string | null> };
  /** The keyed digest of a resident ID number that datasets key their records by (the sharing module's). */
  subjectKeyOf(residentId: string): string;
  clock?: () => Date;
}

export type InstantContext = ReturnType<typeof createInstantContext>;

export function createInstantContext(deps: InstantDeps) {
  return { db: deps.db, deps, clock: deps.clock ?? (() => new Date()) };
}
