/** The medical insurance module's public surface: other modules import from here only (npm run boundaries). */
export { type Answer, type Envelope, type Infno, TRANSACTIONS } from './envelope.ts';
export { hospitalGatewayRoutes } from './hospital-gateway.routes.ts';
export { insuranceRoutes } from './insurance.routes.ts';
export { type InsuranceAdmin, type InsuranceService, createInsuranceAdmin, createInsuranceService } from './insurance.service.ts';
export { SEED_CATALOGUE, SEED_POLICIES, seedInsurance } from './insurance.seed.ts';
export { registerInsuranceCommands } from './insurance.cli.ts';
