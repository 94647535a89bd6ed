/** The certificates module's public surface: other modules import from here only (npm run boundaries). */
export { type CertificateTypeDef, SEED_CERTIFICATE_TYPES, listCertificateTypes, upsertCertificateTypes } from './certificate-types.seed.ts';
export { certificatesOfCases } from './certificates-of-cases.ts';
export { certificatesRoutes } from './certificates.routes.ts';
export { type CertificatesService, createCertificatesService } from './certificates.service.ts';
export { type CertificateField } from './certificates.tables.ts';
export type { RecordIssueInput } from './issue-record.ts';
export { contextRoutes } from './contexts.routes.ts';
export { createDisclosureVault, rekeyDisclosures, sealLegacyDisclosures } from './disclosure-vault.ts';
export { probeSigningKeys, rekeySigningKeys } from './keys/key-encryption.ts';
export { createAddonSm2Verifier, createSealSigner, sealSm2Engine, sm2Addon } from './keys/native-sm2.ts';
export { STATUS_KEY_OWNER } from './keys/key-names.ts';
export { type KeyStore, createKeyStore } from './keys/key-store.ts';
export { renderSealSvg } from './keys/seal-image.ts';
export { fallbackFaces } from './pdf/font.ts';
export { sealsRoutes } from './seals.routes.ts';
export { type SealsService, createSealsService } from './seals.ts';
export { type SharingService, createSharingService } from './sharing-and-signatures.ts';
export { sharingRoutes } from './sharing.routes.ts';
export { type StatusCredentialOptions } from './status-credentials.ts';
export { type StatusListOptions } from './status-lists.ts';
/** X.509 issuance (a federation member's own root in the federation demo). */
export { issueCertificate } from './keys/x509-issue.ts';
