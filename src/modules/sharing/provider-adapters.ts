import { AppError } from '../../core/errors.ts';
import type { Executor } from '../../db/database.ts';
import * as repo from './sharing.repository.ts';
import type { ProviderConfig } from './sharing.tables.ts';

export interface FetchRequest {
  datasetCode: string;
  /** Keyed HMAC of the person's resident ID number. */
  subjectKey: string;
  fields: readonly string[];
}

/** The requested fields of the person's record, or null when the provider holds none. */
export type FetchResult = Record<string, string> | null;

/** Reads a dataset's fields for one person from wherever the provider keeps them. */
export interface ProviderAdapter {
  fetch(tx: Executor, request: FetchRequest): Promise<FetchResult>;
}

/** The department's dataset kept in the platform: a read of sharing_records in the exchange's transaction. */
export const internalAdapter: ProviderAdapter = {
  async fetch(tx, request) {
    const record = await repo.findRecord(tx, request.datasetCode, request.subjectKey);
    if (!record) return null;
    const out: Record<string, string> = {};
    for (const field of request.fields) if (record[field] !== undefined) out[field] = record[field];
    return out;
  },
};

/**
 * The department's own system over HTTP with RFC 9421 signatures. Not built yet: it answers
 * NOT_IMPLEMENTED so that a dataset configured for it fails clearly instead of returning nothing.
 */
export function externalAdapter(config: Extract<ProviderConfig, { kind: 'external' }>): ProviderAdapter {
  return {
    fetch() {
      return Promise.reject(
        new AppError('NOT_IMPLEMENTED', {
          what: { zh: `外部部门接口（${config.baseUrl}，签名 HTTP）`, en: `external department adapter (${config.baseUrl}, signed HTTP)` },
        }),
      );
    },
  };
}

/** The adapter a dataset's provider config names. */
export function adapterFor(config: ProviderConfig): ProviderAdapter {
  switch (config.kind) {
    case 'internal':
      return internalAdapter;
    case 'external':
      return externalAdapter(config);
    default: {
      const unknown: never = config;
      throw new Error(`unknown provider adapter ${JSON.stringify(unknown)}`);
    }
  }
}
