/** The oidc module's public surface: one identity across nodes (the hub's OpenID Connect provider, a province's login through it). */
export { type OidcClientsAdmin, rekeyOidcClientSecrets } from './clients.ts';
export { registerOidcCommands } from './oidc.cli.ts';
export { oidcLoginRoutes } from './oidc-login.routes.ts';
export { type OidcHub, createOidcHub } from './provider.ts';
export { purgeExpiredPayloads } from './provider-adapter.ts';
export { rekeyOidcSigningKeys } from './provider-keys.ts';
export { oidcProviderRoutes } from './provider.routes.ts';
export { type OidcLogin, createOidcLogin } from './relying-party.ts';
