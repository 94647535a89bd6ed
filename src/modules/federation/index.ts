/** The federation module's public surface: other modules import from here only (npm run boundaries). */
export { type DirectoryLookup, type JoinRequest } from './directory.ts';
export { type DirectoryDocument, type DirectoryMember } from './documents.ts';
export { type FederationDeps } from './federation-context.ts';
export { federationRoutes } from './federation.routes.ts';
export { federationMemberRoutes } from './members.routes.ts';
export { type FederationService, createFederationService } from './federation.service.ts';
export { type FederationMessage, type MessageTypeHandler } from './message-types.ts';
export { parseMemberId } from './node-identity.ts';
export { createMessageVault, rekeyMessages, sealLegacyMessages } from './message-vault.ts';
export { registerFederationCommands } from './federation.cli.ts';
export { type CrossCases, type CrossCaseView, createCrossCases } from './cross-case-service.ts';
export { crossCaseRoutes } from './cross-case-routes.ts';
export { type CrossEvidence, createCrossEvidence } from './cross-evidence-service.ts';
export { crossEvidenceRoutes } from './cross-evidence-routes.ts';
