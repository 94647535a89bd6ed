/** The instant module's public surface: other modules import from here only (npm run boundaries). */
export { type InstantService, createInstantService } from './instant.service.ts';
export { RESIDENCE_PROOF_RULE, seedInstantApprovals } from './instant.seed.ts';
