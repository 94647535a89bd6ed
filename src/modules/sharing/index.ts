/** The sharing module's public surface: other modules import from here only (npm run boundaries). */
export { datasetRecordsRoutes } from './dataset-records.routes.ts';
export { type DatasetRecordsService, createDatasetRecordsService } from './dataset-records.ts';
export { type RunningDepartment, newSigningKey, startDepartment } from './department-process.ts';
export { configuredSharingKeys, registerExternalDeptCommands } from './external-department.cli.ts';
export { type DepartmentStats } from './external-department.ts';
export {
  type HttpSigningKey,
  type SigningKey,
  type Sm2SigningKey,
  type Sm2KeySigner,
  type Sm2VerifyingKey,
  type VerifyingKey,
  derivedSharingKey,
  derivedSm2SharingKey,
  loadSharingKey,
  loadSm2SharingKey,
  sm2KeyIdOf,
  sm2SigningKey,
  sm2VerifyingKey,
} from './http-signature-keys.ts';
export { signRequest, signResponse } from './http-signature-sign.ts';
export { type SignatureParams, type VerifyOptions, verifyRequest, verifyResponse } from './http-signature-verify.ts';
export { SIGNATURE_ALG, SM2_SIGNATURE_ALG, type SignatureAlgorithm, SignatureError, type SignatureFailure } from './http-signatures.ts';
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
export { EXCHANGE_COMPLETED_TOPIC } from './sharing-types.ts';
export { type Answer, type DepartmentAgents, Transient, departmentAgents, post as signedPost } from './department-transport.ts';
