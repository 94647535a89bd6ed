import { createConsentFunctions } from './consents.ts';
import { createExchangeFunctions } from './exchanges.ts';
import { createGrantFunctions } from './grants.ts';
import { createSharingAdminFunctions } from './sharing-admin.ts';
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

/** The data-sharing service: grants (grants.ts), exchanges (exchanges.ts), consents (consents.ts), configuration (sharing-admin.ts). */
export function createDataSharingService(deps: DataSharingDeps) {
  const ctx = createSharingContext(deps);
  return {
    ...createSharingAdminFunctions(ctx),
    ...createGrantFunctions(ctx),
    ...createExchangeFunctions(ctx),
    ...createConsentFunctions(ctx),
  };
}
