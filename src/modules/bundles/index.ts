/** The bundles module's public surface: other modules import from here only (npm run boundaries). */
export { seedBundles } from './bundle-seed.ts';
export { bundlesRoutes } from './bundles.routes.ts';
export { type BundleProgress, type BundlesService, createBundlesService } from './bundles.service.ts';
export { type BurdenFigures } from './burden.ts';
