import { BENEFIT_ITEMS } from './benefit-items.seed.ts';
import { BIRTH_ITEMS } from './birth-items.seed.ts';
import { CERTIFICATE_ITEMS } from './certificate-items.seed.ts';
import { INSURANCE_ITEMS } from './insurance-items.seed.ts';
import type { ServiceItemDef } from './service-item-def.ts';

/**
 * The certificate services of the grassroots e-certificate story and the items of the birth
 * bundle, the benefits' items and the medical insurance services. Time limits are the promised working days; materials marked proofFree are fetched
 * by the platform instead of asked for.
 */
export const SEED_SERVICE_ITEMS: ServiceItemDef[] = [...CERTIFICATE_ITEMS, ...BIRTH_ITEMS, ...BENEFIT_ITEMS, ...INSURANCE_ITEMS];
