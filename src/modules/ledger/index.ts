/** The ledger module's public surface: other modules import from here only (npm run boundaries). */
export { registerLedgerCommands } from './ledger.cli.ts';
export { ledgerApiRoutes } from './ledger.routes.ts';
export { ledgerTileRoutes } from './tiles.routes.ts';
export { type LedgerAdmin, type LedgerEntryInput, type LedgerService, createLedgerAdmin, createLedgerService } from './ledger.service.ts';
export { rekeyLogKeys } from './log-key.ts';
export { type LedgerGauges, readLedgerGauges } from './ledger-gauges.ts';
