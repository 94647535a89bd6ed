/** The sharing module's public surface: other modules import from here only (npm run boundaries). */
export { datasetRecordsRoutes } from './dataset-records.routes.ts';
export { type DatasetRecordsService, createDatasetRecordsService } from './dataset-records.ts';
export { type RunningDepartment, newSigningKey, startDepartment } from './department-process.ts';
export { configuredSharingKey, registerExternalDeptCommands } from './external-department.cli.ts';
export { type DepartmentStats } from './external-department.ts';
export { derivedSharingKey, loadSharingKey } from './http-signature-keys.ts';
export { dataSharingRoutes } from './sharing.routes.ts';
export { registerBankCommands } from './bank.cli.ts';
export {
  type PaymentFigures,
  type PaymentInstruction,
  type PaymentReceipt,
  type PaymentView,
  type PaymentsService,
  createPaymentsService,
} from './payments.ts';
export { type SharingAdmin, createSharingAdmin } from './sharing-admin.ts';
export { type DemoPerson, demoBirthTime, seedRecords } from './sharing-records.seed.ts';
export { seedSharingDemo } from './sharing.seed.ts';
export {
  type DataSharingDeps,
  type DataSharingService,
  type DatasetView,
  type GrantView,
  createDataSharingService,
} from './sharing.service.ts';
export { type DatasetField } from './sharing.tables.ts';
export { rekeySharingRecords } from './subject-rekey.ts';
export { type RuleDataProblem, recordsOf, recordsPage, ruleDataProblems, sweepAll, sweepCount, sweepPage } from './rule-data.ts';
