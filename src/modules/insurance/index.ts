/** The medical insurance module's public surface: other modules import from here only (npm run boundaries). */
export { type Answer, type Envelope, type Infno, TRANSACTIONS } from './envelope.ts';
export { hospitalGatewayRoutes } from './hospital-gateway.routes.ts';
export { insuranceRoutes } from './insurance.routes.ts';
export { insuranceWindowRoutes } from './window.routes.ts';
export { type InsuranceAdmin, type InsuranceService, createInsuranceAdmin, createInsuranceService } from './insurance.service.ts';
export { SEED_CATALOGUE, SEED_POLICIES, seedInsurance } from './insurance.seed.ts';
export { statementRoutes } from './statement.routes.ts';
export { type PolicyAdmin, createPolicyAdmin } from './policy-admin.ts';
export { insuranceAdminRoutes } from './insurance-admin.routes.ts';
export { type FiguresItem, type ServiceFiguresService, computeServiceFigures, createServiceFigures } from './service-figures.ts';
export { serviceFiguresRoutes } from './service-figures.routes.ts';
export { type WorkingClock, chinaDayStart, createWorkingClock } from './working-clock.ts';
export {
  type HospitalClient,
  type Transport,
  HospitalCallError,
  createHospitalClient,
  fetchTransport,
  newMsgid,
} from './hospital-client.ts';
export { resolvePolicy } from './policies.ts';
export { type InsuranceFederationPort } from './cross-province.ts';
export { type InsuranceGauges, readInsuranceGauges } from './insurance-gauges.ts';
export { type FeeLine, settle } from './settlement.ts';
export { registerInsuranceCommands } from './insurance.cli.ts';
export { type RunningHospital, startHospital } from './hospital-process.ts';
