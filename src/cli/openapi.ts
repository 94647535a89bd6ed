import { randomBytes } from 'node:crypto';
import { createServices } from '../app.ts';
import { buildApp } from '../platform.ts';
import { openDatabase } from '../db/database.ts';

/** The OpenAPI document as the running server serves it, built on a throwaway in-memory database. */
export async function generateOpenApi(): Promise<string> {
  const database = await openDatabase({ engine: 'pglite', memory: true });
  try {
    const services = createServices(database, { masterKey: randomBytes(32) });
    const app = await buildApp({ database, services, close: () => database.close() }, { logLevel: 'silent' });
    await app.ready();
    const doc = JSON.stringify(app.swagger(), null, 2) + '\n';
    await app.close();
    return doc;
  } finally {
    await database.close();
  }
}
