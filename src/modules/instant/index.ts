/** The instant module's public surface: other modules import from here only (npm run boundaries). */
export { createInstantService } from './instant.service.ts';
export { seedInstantApprovals } from './instant.seed.ts';
