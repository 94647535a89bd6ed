import { getPriority, setPriority } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import { buildApp, type Platform } from '../platform.ts';
import type { Config } from '../core/config.ts';
import type { DemoCredential } from '../demo/demo-people.ts';
import { fallbackFaces } from '../modules/certificates/index.ts';
import { startPeriodic } from '../core/periodic.ts';
import { startAppliedPrune, startRatingRollup } from '../modules/dashboards/index.ts';
import { startSessionPurge } from '../modules/identity/index.ts';
import { purgeExpiredPayloads } from '../modules/oidc/index.ts';
import { watchMasterKey } from '../modules/identity/index.ts';
import { announceMetricsReady } from '../http/metrics-cluster.ts';
import { isClusterWorker } from './cluster.ts';

export interface ServeExtras {
  /** Demo accounts to print (demo mode). */
  credentials: DemoCredential[];
  /** The one-time first-administrator token, when no administrator exists: printed here, once. */
  bootstrap: { token: string; expiresAt: Date } | null;
  /** A worker of `--workers N`: the primary printed the addresses; this process says only that it is ready. */
  quiet?: boolean;
  /** `all` (the default): HTTP and the background work; `api`: HTTP only; `background`: the background work only. */
  role?: ServeRole;
  /** The CPU priority (nice) a background process lowers itself to; default BACKGROUND_NICE. */
  backgroundNice?: number;
}

export const SERVE_ROLES = ['all', 'api', 'background'] as const;
export type ServeRole = (typeof SERVE_ROLES)[number];
/** The bilingual refusal of a split of the roles on the embedded database. */
export const ROLES_NEED_POSTGRES =
  '分开运行（--role api / --role background）需要 PostgreSQL（设置 DATABASE_URL）：内嵌数据库 PGlite 只能由一个进程打开 / --role api and --role background need PostgreSQL (set DATABASE_URL): the embedded PGlite database is opened by one process only';
/** A background process's default nice: below the API processes on a shared machine, not starved by them. */
export const BACKGROUND_NICE = 10;

/** What a background process logs with (the app's logger). */
type BackgroundLog = Pick<FastifyBaseLogger, 'error' | 'warn'>;

/**
 * The platform's background work: the ledger's sequencer and witness pushes, the outbox's event
 * handlers (certificates of settlements, dashboards, notifications, federation deliveries), the
 * periodic prunes, roll-ups, benefit runs and escalations. Each loop is safe in several processes
 * at once (locks, leases, `SKIP LOCKED`); `--role api` leaves them to a `--role background` process.
 * Returns the function that stops them all.
 */
function startBackground(platform: Platform, config: Config, log: BackgroundLog): () => Promise<void> {
  // Queued entries numbered every 200 ms (at once again while batches come full), a new signed
  // checkpoint at least every second while entries arrive. Every 50 ms cost an idle server a
  // transaction each time: about half its idle CPU and two thirds of PostgreSQL's for it.
  const integrator = platform.services.ledger.startSequencer({
    intervalMs: 200,
    onError: (error) => log.error({ err: error }, 'ledger sequencing failed'),
  });
  // Checkpoints to the witnesses that take them (C2SP tlog-witness), on their own timer: a slow or
  // absent witness backs off and never holds up an append.
  const pusher = platform.services.ledger.startWitnessPush({
    intervalMs: 1000,
    onError: (error) => log.error({ err: error }, 'pushing checkpoints to witnesses failed'),
  });
  // As a witness: compare what this node cosigned with what its peer witnesses cosigned, every minute.
  const gossip =
    config.witnessPeers.length === 0
      ? undefined
      : setInterval(() => {
          for (const peer of config.witnessPeers) {
            platform.services.witness.gossip(peer).then(
              (results) => {
                for (const r of results)
                  if (r.status === 'SPLIT_VIEW') log.error({ origin: r.origin, peer: r.peer }, `split view: ${r.detail}`);
              },
              (error: unknown) => log.error({ err: error }, 'witness gossip failed'),
            );
          }
        }, 60_000);
  gossip?.unref();
  // An idle poll of 100 ms bounds the wait for a new event; a poll is one indexed query. (LISTEN/NOTIFY
  // would wake sooner, but PostgreSQL serialises the commits of transactions that NOTIFY.)
  // Two pipelines of 16 events: a slow handler (a 免申即办 case opened and approved) delays its own
  // batch only, so a trigger reaches its payment in well under a second on a quiet machine.
  const stopEvents = platform.services.events.start({
    intervalMs: 100,
    pipelines: 2,
    batchSize: 16,
    onError: (error) => log.error({ err: error }, 'event handling failed'),
  });
  // 跨省通办: a province keeps its copy of the hub's directory and trust list fresh (a miss asks at once too).
  const federationRefresh =
    platform.services.federation.role === 'province'
      ? setInterval(() => {
          platform.services.federation.directory
            .refresh()
            .catch((error: unknown) => log.warn({ err: error }, 'federation directory refresh failed'));
        }, 60_000)
      : undefined;
  federationRefresh?.unref();
  // Cross-witnessing: the directory's members become witnesses and witnessed logs; what this node
  // cosigned goes to the hub, and is compared with what the other members cosigned (split views).
  let witnessingRunning = false;
  const federationWitnessing = platform.services.federation.enabled
    ? setInterval(() => {
        if (witnessingRunning) return;
        witnessingRunning = true;
        platform.services.federation.witnessing
          .round()
          .then(
            (round) => {
              for (const r of round.gossip)
                if (r.status === 'SPLIT_VIEW') log.error({ origin: r.origin, peer: r.peer }, `split view: ${r.detail}`);
            },
            (error: unknown) => log.warn({ err: error }, 'federation cross-witnessing round failed'),
          )
          .finally(() => {
            witnessingRunning = false;
          });
      }, config.federationWitnessMs)
    : undefined;
  federationWitnessing?.unref();
  // The hub's cosignature reports: the newest per member and witness, and the equivocations' evidence, stay; hourly.
  const cosignedPrune =
    platform.services.federation.role === 'hub'
      ? setInterval(() => {
          platform.services.federation.witnessing
            .prune()
            .catch((error: unknown) => log.error({ err: error }, 'federation cosigned report prune failed'));
        }, 60 * 60_000)
      : undefined;
  cosignedPrune?.unref();
  // Done messages' bodies (residents' ID numbers and names) once older than the retention: hourly; rows, digests and answers stay.
  const stopMessagePrune = platform.services.federation.enabled
    ? startPeriodic({
        intervalMs: 60 * 60_000,
        run: () => platform.services.federation.pruneMessageBodies().then(() => undefined),
        onError: (error) => log.error({ err: error }, 'federation message body prune failed'),
      })
    : null;
  // 跨省结算: a settlement the place of insurance committed and this node never did (the hospital gave
  // up on its msgid) is refused here and withdrawn there, every minute.
  const stopOrphans = platform.services.federation.enabled
    ? startPeriodic({
        intervalMs: 60_000,
        run: () =>
          platform.services.insurance
            .reconcileCrossProvinceOrphans((error, callId) =>
              log.warn({ err: error, callId }, 'cross-province orphan settlement not withdrawn yet'),
            )
            .then(() => undefined),
        onError: (error) => log.error({ err: error }, 'cross-province orphan reconciliation failed'),
      })
    : null;
  // Ended sessions are deleted in bounded batches, every ten minutes.
  const stopPurge = startSessionPurge(platform.database.db, {
    intervalMs: 10 * 60_000,
    onError: (error) => log.error({ err: error }, 'session purge failed'),
  });
  // Handled events older than the retention leave the outbox (with the worker's marks): every ten minutes.
  const stopOutboxPrune = startPeriodic({
    intervalMs: 10 * 60_000,
    immediate: true,
    run: () => platform.services.events.pruneHandled({ retentionMs: config.outboxRetentionMs }).then(() => undefined),
    onError: (error) => log.error({ err: error }, 'outbox prune failed'),
  });
  // 好差评 steps into the dashboards' counts, every second (a view is fresh within about two).
  const stopRatingRollup = startRatingRollup(platform.database.db, {
    intervalMs: 1000,
    onError: (error) => log.error({ err: error }, 'rating count roll-up failed'),
  });
  // The dashboards' dedupe marks of events the worker has recorded done, once a week old: hourly.
  const stopAppliedPrune = startAppliedPrune(platform.database.db, platform.services.events, {
    intervalMs: 60 * 60_000,
    onError: (error) => log.error({ err: error }, 'dashboard mark prune failed'),
  });
  // 免申即享 by date (the 80th birthdays) and the month's recurring payments: soon after start, then hourly.
  const stopBenefits = platform.services.benefits.startSchedule({
    intervalMs: 60 * 60_000,
    onError: (error) => log.error({ err: error }, 'benefit run failed'),
  });
  // 好差评: overdue rectification tasks go to the org above (deadlines are dates: hourly is plenty).
  const escalation = setInterval(() => {
    platform.services.ratings.escalateOverdue().catch((error: unknown) => log.error({ err: error }, 'rectification escalation failed'));
  }, 60 * 60_000);
  escalation.unref();
  // 督办: open cases that reached a step of their jurisdiction's escalation ladder (once each; hourly, as steps are days).
  const caseEscalation = setInterval(() => {
    platform.services.applications.escalateOverdue().catch((error: unknown) => log.error({ err: error }, 'case escalation failed'));
  }, 60 * 60_000);
  caseEscalation.unref();
  // The hub's OpenID Connect state (interactions, codes, sessions) that has expired, in bounded batches.
  const oidcPurge = platform.services.oidcHub
    ? setInterval(() => {
        purgeExpiredPayloads(platform.database.db, new Date()).catch((error: unknown) =>
          log.error({ err: error }, 'OpenID Connect purge failed'),
        );
      }, 10 * 60_000)
    : undefined;
  oidcPurge?.unref();
  return async () => {
    await integrator.stop();
    await pusher.stop();
    clearInterval(gossip);
    await stopEvents();
    await stopPurge();
    await stopAppliedPrune();
    await stopRatingRollup();
    await stopOutboxPrune();
    await stopMessagePrune?.();
    await stopOrphans?.();
    await stopBenefits();
    clearInterval(escalation);
    clearInterval(caseEscalation);
    clearInterval(oidcPurge);
    clearInterval(federationRefresh);
    clearInterval(federationWitnessing);
    clearInterval(cosignedPrune);
  };
}

/** Starts the HTTP server and closes everything cleanly on SIGINT/SIGTERM. */
export async function serve(platform: Platform, config: Config, extras: ServeExtras): Promise<void> {
  const app = await buildApp(platform, {
    logLevel: config.logLevel,
    publicUrl: config.publicUrl,
    trustProxy: config.trustProxy,
    rateLimits: config.rateLimits,
    ...(config.metricsToken ? { metricsToken: config.metricsToken } : {}),
    clusterMetrics: isClusterWorker(),
  });
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
  const role = extras.role ?? 'all';
  const stopBackground = role === 'api' ? async () => {} : startBackground(platform, config, app.log);
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    // A background process never listens: closing its app would first make it ready (every route's
    // schemas compiled: most of a second of CPU on a slow machine) only to close it.
    if (role !== 'background') await app.close();
    await stopBackground();
    stopWatch();
    await platform.close();
    process.exit(process.exitCode ?? 0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  if (role === 'background') {
    // Requests first: the API processes' work (a patient at the window) goes before this one's.
    const nice = extras.backgroundNice ?? BACKGROUND_NICE;
    try {
      setPriority(Math.max(getPriority(), nice));
    } catch (error) {
      app.log.warn({ err: error }, 'could not lower the background process’s CPU priority');
    }
    console.log(`一办 Yiban 后台进程 background process ${process.pid} 已启动 is running (nice ${getPriority()}; no HTTP)`);
    if (isClusterWorker()) announceMetricsReady();
    return;
  }
  await app.listen({ host: config.host, port: config.port });
  if (fallbackFaces().length === 0) {
    app.log.warn(
      '没有生僻字备用字体，含扩展 B–F 汉字的证明无法生成 PDF / no fallback font for rare characters: PDFs of names with CJK Extension B–F characters answer PDF_GLYPHS_UNAVAILABLE; install fonts-hanazono (node scripts/system-tools.mjs)',
    );
  }
  if (extras.quiet) {
    console.log(`  进程 worker ${process.pid} 已就绪 ready`);
    return;
  }
  printStarted(config, { ...extras, engine: platform.database.engine });
}

/** The addresses, accounts and mode, printed once per start (by the primary of `--workers N`). */
export function printStarted(config: Config, extras: ServeExtras & { engine: string; workers?: readonly string[] }): void {
  const background = extras.workers?.filter((r) => r === 'background').length ?? 0;
  const processes = extras.workers
    ? `, ${extras.workers.length - background} 个进程 processes${background ? ` + ${background} 个后台进程 background` : ''}`
    : '';
  const base = `http://${browserHost(config.host)}:${config.port}`;
  printCredentials(extras.credentials);
  console.log(`\n一办 Yiban 已启动 is running on ${base}  (${extras.engine}${processes})`);
  console.log(
    `  监听地址 listening on ${config.host}:${config.port}${config.host === '127.0.0.1' || config.host === '::1' || config.host === 'localhost' ? '（仅本机 this machine only; HOST=0.0.0.0 or --host for the network）' : ''}`,
  );
  console.log(
    config.demo
      ? '  演示模式 DEMO MODE：演示账号与数据，请勿用于真实业务 / demo accounts and data, not for real use'
      : '  生产模式 production mode：无演示账号 / no demo accounts',
  );
  if (extras.bootstrap) printBootstrap(base, extras.bootstrap);
  console.log(
    `  居民服务 resident app: ${base}/   工作台 console: ${base}/console   自助终端 kiosk: ${base}/kiosk   核验 verifier: ${base}/verify`,
  );
  console.log(`  API 文档 docs: ${base}/api/docs   OpenAPI: ${base}/api/openapi.json   健康检查 health: ${base}/healthz`);
}

/** Where a browser on this machine reaches a server listening on `host`. */
function browserHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '127.0.0.1') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

function printBootstrap(base: string, bootstrap: { token: string; expiresAt: Date }): void {
  console.log(
    '\n尚无平台管理员 No platform administrator yet. 用下面的一次性令牌创建（仅显示这一次，' +
      bootstrap.expiresAt.toISOString() +
      ' 前有效）',
  );
  console.log('  / create one with this one-time token (shown only now, valid until ' + bootstrap.expiresAt.toISOString() + '):');
  console.log(`  ${base}/console/setup#token=${bootstrap.token}`);
  console.log('  或 or: yiban admin create   (重启会作废此令牌并打印新的 a restart replaces this token)');
}

export function printCredentials(credentials: DemoCredential[]): void {
  if (credentials.length === 0) return;
  console.log('\n演示账号 Demo accounts:');
  for (const c of credentials) console.log(`  ${c.who.padEnd(36)} ${c.login.padEnd(34)} ${c.password}`);
}
