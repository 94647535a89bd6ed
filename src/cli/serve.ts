import { buildApp, type Platform } from '../app.ts';
import type { Config } from '../core/config.ts';
import type { DemoCredential } from '../demo/demo-data.ts';
import { startSessionPurge } from '../modules/identity/session-purge.ts';
import { watchMasterKey } from '../modules/identity/master-key.ts';

/** Starts the HTTP server and closes everything cleanly on SIGINT/SIGTERM. */
export async function serve(platform: Platform, config: Config, credentials: DemoCredential[]): Promise<void> {
  const app = await buildApp(platform, { logLevel: config.logLevel });
  // A new signed checkpoint at least every second while entries arrive.
  const integrator = platform.services.ledger.startIntegrator({ intervalMs: 1000, onError: (error) => app.log.error({ err: error }, 'ledger integration failed') });
  const stopEvents = platform.services.events.start({}, { intervalMs: 1000 });
  // A rotation while this process runs (with PostgreSQL) stops it rather than let it write under the old key.
  const stopWatch = watchMasterKey(platform.database.db, config.masterKey, {
    intervalMs: 30_000,
    onMismatch: (error) => {
      app.log.fatal({ code: error.code }, error.message);
      process.exitCode = 4;
      void shutdown('master key rotated');
    },
    onError: (error) => app.log.error({ err: error }, 'master key check failed'),
  });
  // Ended sessions are deleted in bounded batches, every ten minutes.
  const stopPurge = startSessionPurge(platform.database.db, { intervalMs: 10 * 60_000, onError: (error) => app.log.error({ err: error }, 'session purge failed') });
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    await app.close();
    await integrator.stop();
    await stopEvents();
    await stopPurge();
    stopWatch();
    await platform.close();
    process.exit(process.exitCode ?? 0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  await app.listen({ host: config.host, port: config.port });
  const base = `http://localhost:${config.port}`;
  printCredentials(credentials);
  console.log(`\n一办 Yiban 已启动 is running on ${base}  (${platform.database.engine})`);
  console.log(`  居民服务 resident app: ${base}/   工作台 console: ${base}/console   自助终端 kiosk: ${base}/kiosk   核验 verifier: ${base}/verify`);
  console.log(`  API 文档 docs: ${base}/api/docs   OpenAPI: ${base}/api/openapi.json   健康检查 health: ${base}/healthz`);
}

export function printCredentials(credentials: DemoCredential[]): void {
  if (credentials.length === 0) return;
  console.log('\n演示账号 Demo accounts:');
  for (const c of credentials) console.log(`  ${c.who.padEnd(36)} ${c.login.padEnd(34)} ${c.password}`);
}
