/**
 * PDF renditions are rendered on demand and kept in a small in-process LRU, keyed by what
 * changes the document: the certificate, its status (a revoked one carries a mark) and the set
 * of disclosed fields. Concurrent requests for the same key share one render.
 */

export interface RenditionKey {
  certificateId: string;
  status: string;
  /** Disclosed field names, in any order. */
  fields: readonly string[];
}

export interface PdfRenditionCache {
  get(key: RenditionKey, render: () => Promise<Uint8Array>): Promise<Uint8Array>;
  clear(): void;
  readonly size: number;
}

export function renditionKey(key: RenditionKey): string {
  return `${key.certificateId}|${key.status}|${[...new Set(key.fields)].sort().join(',')}`;
}

export function createPdfRenditionCache(options: { maxEntries?: number; maxBytes?: number } = {}): PdfRenditionCache {
  const maxEntries = options.maxEntries ?? 256;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  // A Map iterates in insertion order: re-inserting on a hit makes the first entry the oldest.
  const entries = new Map<string, Promise<Uint8Array>>();
  const sizes = new Map<string, number>();
  let bytes = 0;

  const evict = () => {
    for (const [k] of entries) {
      if (entries.size <= maxEntries && bytes <= maxBytes) break;
      entries.delete(k);
      bytes -= sizes.get(k) ?? 0;
      sizes.delete(k);
    }
  };

  return {
    async get(key, render) {
      const k = renditionKey(key);
      const hit = entries.get(k);
      if (hit) {
        entries.delete(k);
        entries.set(k, hit);
        return hit;
      }
      const pending = render();
      entries.set(k, pending);
      evict();
      try {
        const pdf = await pending;
        if (entries.get(k) === pending) {
          sizes.set(k, pdf.length);
          bytes += pdf.length;
          evict();
        }
        return pdf;
      } catch (error) {
        // A failed render is not cached.
        if (entries.get(k) === pending) entries.delete(k);
        throw error;
      }
    },
    clear() {
      entries.clear();
      sizes.clear();
      bytes = 0;
    },
    get size() {
      return entries.size;
    },
  };
}
