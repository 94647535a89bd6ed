/**
 * The sharing module's queries, one file per concern: `import * as repo from './sharing.repository.ts'`
 * reads them all. Datasets and records, grants, exchanges, and the exchange request's prepared statements.
 */
export * from './datasets.repository.ts';
export * from './grants.repository.ts';
export * from './exchanges.repository.ts';
export * from './exchange-requests.repository.ts';
export * from './payments.repository.ts';
