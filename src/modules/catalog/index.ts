/** The catalog module's public surface: other modules import from here only (npm run boundaries). */
export { catalogRoutes } from './catalog.routes.ts';
export { SEED_SERVICE_ITEMS } from './catalog.seed.ts';
export { INSURANCE_ITEMS, INSURANCE_SERVICE_CODES, OFFSITE_FILING_RULE } from './insurance-items.seed.ts';
export { isFullyOnline, onlineRate } from './online-rate.ts';
export { type PrefillProvenance, prefillForm, prefillPlan } from './prefill.ts';
export { type ServiceItemDef } from './service-item-def.ts';
export { type CatalogAdmin, type CatalogService, type ServiceItem, createCatalogAdmin, createCatalogService } from './catalog.service.ts';
export { type Channel, type FormField, type Material, type PrefillSource } from './catalog.tables.ts';
export { addWorkingDays, isWorkingDay, workingDaysBetween } from './working-days.ts';
export { placeName } from './divisions.ts';
