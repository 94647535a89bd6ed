// Every module's tables, gathered for drizzle's typed queries and for drizzle-kit.
export * from '../modules/orgs/orgs.tables.ts';
export * from '../modules/identity/identity.tables.ts';
export * from '../modules/identity/master-key.tables.ts';
export * from '../modules/catalog/catalog.tables.ts';
export * from '../modules/applications/applications.tables.ts';
export * from '../modules/events/events.tables.ts';
export * from '../modules/certificates/certificates.tables.ts';
export * from '../modules/certificates/keys/keys.tables.ts';
export * from '../modules/ledger/ledger.tables.ts';
export * from '../modules/sharing/sharing.tables.ts';
export * from '../modules/bundles/bundles.tables.ts';
export * from '../modules/rules/rules.tables.ts';
export * from '../modules/benefits/benefits.tables.ts';
export * from '../modules/inbox/inbox.tables.ts';
export * from '../modules/insurance/insurance.tables.ts';
export * from '../modules/insurance/window.tables.ts';
export * from '../modules/ratings/ratings.tables.ts';
