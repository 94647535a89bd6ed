import { createHmac, hkdfSync } from 'node:crypto';
import { AppError, notFound } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import type { Db } from '../../db/database.ts';
import { derivedSharingKey, derivedSm2SharingKey, type SigningKey, type Sm2SigningKey } from './http-signature-keys.ts';
import { adapterFor, type ExternalAdapterDeps, type ProviderAdapter } from './provider-adapters.ts';
import * as repo from './sharing.repository.ts';
import type { ProviderConfig } from './sharing.tables.ts';
import type { DataSharingDeps, SharingOrgDirectory } from './sharing-types.ts';

export const REQUEST_KEY = /^[A-Za-z0-9_-]{8,128}$/;
const PURPOSE = /^[a-z][a-z0-9_.-]{1,63}$/;
const SUBJECT_KEY_INFO = 'yiban/sharing/subject-key-hmac-sha256/v1';
export const MAX_PAGE = 200;

/** A person's key in every internal dataset: a keyed hash of the ID number, never the number. */
export function subjectKeyFunction(masterKey: Buffer): (residentId: string) => string {
  const subjectHmacKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.from('yiban'), SUBJECT_KEY_INFO, 32));
  return (residentId) => createHmac('sha256', subjectHmacKey).update(residentId.toUpperCase(), 'utf8').digest('hex');
}

/** What the parts of the sharing service share: its dependencies, keys, adapters and lookups. */
export interface SharingContext {
  deps: DataSharingDeps;
  db: Db;
  orgs: SharingOrgDirectory;
  clock: () => Date;
  subjectKeyOf: (residentId: string) => string;
  sharingKey: SigningKey;
  externalDeps: ExternalAdapterDeps;
  /** The adapter for a provider config, built once per distinct config. */
  adapterOf: (config: ProviderConfig) => ProviderAdapter;
  /** An org's display name (its code when there is none), from the orgs service's cache: the exchange path shows names, it decides nothing by them. */
  cachedOrgName: (code: string) => Promise<string>;
  /** The display names of orgs, by code, from the same cache. */
  orgNames: (codes: Iterable<string>) => Promise<Map<string, string>>;
  requireDataset: (code: string) => Promise<repo.DatasetRow>;
}

export function createSharingContext(deps: DataSharingDeps): SharingContext {
  const { db, orgs } = deps;
  const clock = deps.clock ?? (() => new Date());
  const subjectKeyOf = subjectKeyFunction(deps.masterKey);
  const sharingKey = deps.external?.key ?? derivedSharingKey(deps.masterKey);
  const externalDeps: ExternalAdapterDeps = { ...deps.external, key: sharingKey, sm2KeyOf: sm2SharingKeyOf(deps), clock };
  const adapters = new Map<string, ProviderAdapter>();

  function adapterOf(config: ProviderConfig): ProviderAdapter {
    const k = JSON.stringify(config);
    let adapter = adapters.get(k);
    if (!adapter) {
      adapter = adapterFor(config, { external: externalDeps, licences: deps.licences });
      adapters.set(k, adapter);
    }
    return adapter;
  }

  async function cachedOrgName(code: string): Promise<string> {
    return (await orgs.nameOf(code)) ?? code;
  }

  async function orgNames(codes: Iterable<string>): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    for (const code of new Set(codes)) names.set(code, await cachedOrgName(code));
    return names;
  }

  async function requireDataset(code: string): Promise<repo.DatasetRow> {
    const dataset = await repo.findDataset(db, code);
    if (!dataset) throw notFound('dataset');
    return dataset;
  }

  return { deps, db, orgs, clock, subjectKeyOf, sharingKey, externalDeps, adapterOf, cachedOrgName, orgNames, requireDataset };
}

/** The platform's SM2 sharing key, made on first use (deriving it costs a k·G and the first SM2 signer). */
export function sm2SharingKeyOf(deps: Pick<DataSharingDeps, 'masterKey' | 'external'>): () => Sm2SigningKey {
  let key = deps.external?.sm2Key;
  return () => (key ??= derivedSm2SharingKey(deps.masterKey));
}

export function checkFields(dataset: Pick<repo.DatasetRow, 'code' | 'fields'>, fields: readonly string[]): string[] {
  const unique = [...new Set(fields)].sort();
  if (unique.length === 0) throw new AppError('VALIDATION_FAILED', { detail: message('sharing.fields.none') });
  const unknown = unique.filter((f) => !dataset.fields.some((d) => d.name === f));
  if (unknown.length > 0) throw new AppError('UNKNOWN_FIELD', { dataset: dataset.code, fields: unknown.join(', ') });
  return unique;
}

export function checkPurpose(purpose: string): void {
  if (!PURPOSE.test(purpose)) {
    throw new AppError('VALIDATION_FAILED', { detail: message('sharing.purpose.format') });
  }
}

export function isLive(grant: repo.GrantRow, at: Date): boolean {
  return grant.status === 'active' && grant.revokedAt === null && grant.validUntil.getTime() > at.getTime();
}
