/** The catalog module's public surface: other modules import from here only (npm run boundaries). */
export { catalogRoutes } from './catalog.routes.ts';
export { SEED_SERVICE_ITEMS } from './catalog.seed.ts';
export { type ServiceItemDef } from './service-item-def.ts';
export { type CatalogAdmin, type CatalogService, type ServiceItem, createCatalogAdmin, createCatalogService } from './catalog.service.ts';
export { type Channel, type Material } from './catalog.tables.ts';
export { workingDaysBetween } from './working-days.ts';
