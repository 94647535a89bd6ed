/** The dashboards module's public surface: other modules import from here only (npm run boundaries). */
export { dashboardsRoutes } from './dashboards.routes.ts';
export { type DashboardsService, createDashboardsService } from './dashboards.service.ts';
export { dashboardsHandler } from './on-event.ts';
export { startAppliedPrune } from './applied-prune.ts';
export { drainRatingCounts, startRatingRollup } from './rating-rollup.ts';
