import type { Db, Executor } from '../../db/database.ts';
import type { ApplicationsService } from '../applications/index.ts';
import type { CatalogService } from '../catalog/index.ts';
import type { EventsService } from '../events/index.ts';
import type { LedgerService } from '../ledger/index.ts';
import type { OrgsService } from '../orgs/index.ts';

/** A notice in the resident's inbox, written in the transaction of what it announces (the inbox module's `notifyInTx`). */
interface RatingNotice {
  accountId: string;
  key: string;
  kind: string;
  titleZh: string;
  titleEn: string;
  bodyZh: string;
  bodyEn: string;
  link?: string;
  data?: Record<string, unknown>;
  sms?: boolean;
}

interface RatingNoticePort {
  notifyInTx(tx: Executor, notice: RatingNotice): Promise<unknown>;
}

export interface RatingsDeps {
  db: Db;
  /** `byCode`: the responsible org's path, and the org above it for an escalation. */
  orgs: Pick<OrgsService, 'byCode'>;
  /** The case a resident rates, read as the resident (a case they may not see is a 404). */
  applications: Pick<ApplicationsService, 'getCase'>;
  /** The service item an encounter is about. */
  catalog: Pick<CatalogService, 'getItem'>;
  ledger: Pick<LedgerService, 'appendInTx' | 'appendWithStatement'>;
  events: Pick<EventsService, 'enqueue'>;
  /** The resident inbox; absent, residents are not told. */
  notices?: RatingNoticePort | null;
  clock?: () => Date;
  /** Days after a case is completed (办结) during which it can be rated, and an encounter token lives (default 15). */
  ratingPeriodDays?: number;
  /** Working days to rectify where no rating policy covers the org (default 15, the longest of the local rules cited in issue 15). */
  defaultRectifyWorkingDays?: number;
}

export type RatingsContext = ReturnType<typeof createRatingsContext>;

export function createRatingsContext(deps: RatingsDeps) {
  return {
    db: deps.db,
    deps,
    clock: deps.clock ?? (() => new Date()),
    ratingPeriodDays: deps.ratingPeriodDays ?? 15,
    defaultRectifyWorkingDays: deps.defaultRectifyWorkingDays ?? 15,
  };
}

/** The topics the module enqueues: the org's notice of a new rectification task and of an escalation (staff have no inbox; the outbox records it). */
export const RECTIFICATION_OPENED_TOPIC = 'rating.rectification_opened';
export const RECTIFICATION_ESCALATED_TOPIC = 'rating.rectification_escalated';
