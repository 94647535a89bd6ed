import { afterAll, beforeAll } from 'vitest';
import type { App } from '../src/http/server.ts';
import type { Engine } from '../src/db/database.ts';
import { buildTestApp, createTestContext, type TestContext } from './factories.ts';

/** A test context and its HTTP app for the describe block that calls this: built before its tests, closed after them. */
export function appSuite(engine: Engine): { readonly ctx: TestContext; readonly app: App } {
  const suite = {} as { ctx: TestContext; app: App };
  beforeAll(async () => {
    suite.ctx = await createTestContext(engine);
    suite.app = await buildTestApp(suite.ctx);
  });
  afterAll(async () => {
    await suite.app?.close();
    await suite.ctx?.close();
  });
  return suite;
}
