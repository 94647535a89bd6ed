/** The identity module's public surface: other modules import from here only (npm run boundaries). */
export { type CodeSender, createCodeSender } from './code-senders.ts';
export { PLATFORM_ADMIN_ORG } from './first-admin.ts';
export { identityRoutes } from './identity.routes.ts';
export {
  type FederatedLoginInput,
  type IdentityAdmin,
  type IdentityService,
  type LoginResult,
  createIdentityAdmin,
  createIdentityService,
} from './identity.service.ts';
export { type StaffRole, kioskCodes } from './identity.tables.ts';
export { type KioskLogin, createKioskLogin } from './kiosk-login.ts';
export { kioskRoutes } from './kiosk.routes.ts';
export { masterKey } from './master-key.tables.ts';
export { ensureMasterKey, masterKeyMismatch, rekeyResidents, residentsProbe, watchMasterKey } from './master-key.ts';
export { type StaffAction, can, grantsFor, isAdminRole, roleCovers } from './policy.ts';
export { type Principal, type SystemAuthority, actsForAnOrg, onBehalfOf, requireResidentScope, systemPrincipal } from './principal.ts';
export { RESIDENT_ID_PROBLEM_TEXT, makeResidentId, maskResidentId, maskResidentIdsInText, parseResidentId } from './resident-id.ts';
export { SESSION_CHANGES_CHANNEL, SessionCache } from './session-cache.ts';
export { type GatewayMessage, createSmsGateway } from './sms-gateway.ts';
export { maskPhone } from './validation.ts';
export { startSessionPurge } from './session-purge.ts';
