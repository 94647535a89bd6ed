import { createConsentFunctions } from './consents.ts';
import { createExchangeFunctions } from './exchanges.ts';
import { createGrantFunctions } from './grants.ts';
import { createSharingContext } from './sharing-context.ts';
import type { DataSharingDeps } from './sharing-types.ts';

export type {
  CreateGrantInput,
  DataSharingDeps,
  DatasetDef,
  DatasetView,
  ExchangeRequestInput,
  ExchangeResult,
  ExchangeView,
  GrantView,
  SharingCaseDirectory,
  SharingLedger,
  SharingOrgDirectory,
  SharingResidentDirectory,
} from './sharing-types.ts';
export { subjectKeyFunction } from './sharing-context.ts';

export type DataSharingService = ReturnType<typeof createDataSharingService>;

/**
 * The data-sharing service: grants (grants.ts), exchanges (exchanges.ts), consents (consents.ts),
 * each checking the caller's access. Configuration without an access check is the sharing admin
 * (sharing-admin.ts), a separate object the routes never get.
 */
export function createDataSharingService(deps: DataSharingDeps) {
  const ctx = createSharingContext(deps);
  return {
    ...createGrantFunctions(ctx),
    ...createExchangeFunctions(ctx),
    ...createConsentFunctions(ctx),
  };
}
