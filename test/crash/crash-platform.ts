import { createServices, type Services } from '../../src/app.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';

/** Fixed, so that every worker run (and the checking test) can read the keys the first run sealed. */
export const CRASH_MASTER_KEY = Buffer.from('b5W1mS1c0ZQx3k8yR2Jf7pVt4nE6aH9uLqCwXoYzGdI=', 'base64');

export interface CrashPlatform {
  database: Database;
  services: Services;
}

/** A `postgres://` URL opens PostgreSQL; anything else is a PGlite data folder. */
export async function openCrashPlatform(target: string): Promise<CrashPlatform> {
  const database = /^postgres(ql)?:\/\//.test(target)
    ? await openDatabase({ engine: 'postgres', url: target, poolSize: 4 })
    : await openDatabase({ engine: 'pglite', dataDir: target });
  try {
    await database.migrate();
  } catch (error) {
    await database.close();
    throw error;
  }
  return { database, services: createServices(database, { masterKey: CRASH_MASTER_KEY }) };
}
