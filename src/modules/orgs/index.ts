/** The orgs module's public surface: other modules import from here only (npm run boundaries). */
export { divisionCreditCode, makeCreditCode } from './credit-code.ts';
export { orgsRoutes } from './orgs.routes.ts';
export { type OrgsAdmin, type OrgsService, createOrgsAdmin, createOrgsService, ensureDemoDepartments } from './orgs.service.ts';
export { type DepartmentKind } from './orgs.tables.ts';
