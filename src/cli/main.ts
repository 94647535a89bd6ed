import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig, type Config } from '../core/config.ts';
import { AppError, formatMessage } from '../core/errors.ts';
import { DataDirLockedError } from '../db/data-dir-lock.ts';
import { openPlatform, type Platform } from '../platform.ts';
import { isDemoSeeded, isPlatformSeeded, seedDemo, seedPlatform } from '../demo/demo-data.ts';
import { demoCredentials, type DemoCredential } from '../demo/demo-people.ts';
import { registerAdminCommands, reportCliError } from './admin-command.ts';
import { generateOpenApi } from './openapi.ts';
import { registerVerifyCommand } from './verify-command.ts';
import { registerKeysCommands } from './keys-command.ts';
import { registerLedgerCommands, registerWitnessCommands } from '../modules/ledger/index.ts';
import { configuredSharingKeys, registerBankCommands, registerExternalDeptCommands } from '../modules/sharing/index.ts';
import { registerInsuranceCommands } from '../modules/insurance/index.ts';
import { registerOidcCommands } from '../modules/oidc/index.ts';
import { registerFederationCommands } from '../modules/federation/index.ts';
import { writeDemoCertificate } from '../demo/demo-certificate.ts';
import { runDemoBundle } from '../demo/demo-bundle.ts';
import { runDemoProactive } from '../demo/demo-proactive.ts';
import { runDemoInsurance } from '../demo/demo-insurance.ts';
import { runDemoRatings } from '../demo/demo-ratings.ts';
import { runDemoFederation } from '../demo/demo-federation.ts';
import { registerFiguresCommands } from './figures-command.ts';
import { createProgress } from './progress.ts';
import { BACKGROUND_NICE, printCredentials, printStarted, ROLES_NEED_POSTGRES, serve, SERVE_ROLES, type ServeRole } from './serve.ts';
import { clusterRoles, clusterWorkerRole, isClusterWorker, parseWorkers, runCluster, WORKERS_NEED_POSTGRES } from './cluster.ts';
import { buildWeb, ensureWebBuilt } from './web-build.ts';

const program = new Command();
program.name('yiban').description('一办 Yiban: digital government service platform / 政务服务平台').version('0.1.0');

const db = program.command('db').description('数据库 database');
db.command('migrate')
  .description('应用数据库迁移 apply migrations')
  .action(async () => {
    const platform = await openPlatform(loadConfig());
    await platform.close();
    console.log(`migrations applied (${platform.database.engine})`);
  });

program
  .command('seed')
  .description(
    '载入行政区划、事项目录等（演示模式下另载入演示账号与数据）load divisions and the catalogue (and, in demo mode, the demo accounts and data)',
  )
  .option('--divisions <scope>', 'hebei | all', parseScope, 'hebei')
  .option('--demo', 'demo mode: also the demo accounts and data (as YIBAN_DEMO=1)')
  .action(async (options: { divisions: 'hebei' | 'all'; demo?: boolean }) => {
    const config = withDemo(loadConfig(), options.demo);
    const platform = await openPlatform(config);
    try {
      const credentials = await seedWithProgress(platform, options.divisions, config.demo);
      printCredentials(credentials);
    } finally {
      await platform.close();
    }
  });

interface ServeOptions {
  port?: number;
  host?: string;
  demo?: boolean;
  seed: boolean;
  web: boolean;
  workers?: number;
  role: ServeRole;
  backgroundNice?: number;
}

program
  .command('serve')
  .description('启动平台 start the platform (API, docs, web)')
  .option('--port <port>', 'port (default PORT or 3000)', (v) => Number(v))
  .option('--host <address>', 'listen address (default HOST or 127.0.0.1; 0.0.0.0 for every interface)')
  .option(
    '--demo',
    'demo mode: demo accounts with a published password and made-up data, a banner in every app (as YIBAN_DEMO=1; npm start)',
  )
  .option('--no-seed', 'do not load divisions and the catalogue (or the demo data) on first start')
  .option('--no-web', 'do not build the web apps when they are missing or stale')
  .option(
    '--workers <n>',
    'server processes on one PostgreSQL (default 1; PostgreSQL only); with --role all (the default) and N ≥ 2, one background process more',
    (v) => {
      const n = parseWorkers(v);
      if (n === null) throw new InvalidArgumentError('1–64');
      return n;
    },
  )
  .addOption(
    new Option(
      '--role <role>',
      'all: HTTP and the background work (default); api: HTTP only; background: the background work only (ledger sequencing, events, prunes), at a lower CPU priority',
    )
      .choices(SERVE_ROLES)
      .default('all'),
  )
  .option('--background-nice <n>', `the CPU priority (nice, 0–19) of --role background (default ${BACKGROUND_NICE})`, (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 19) throw new InvalidArgumentError('0–19');
    return n;
  })
  .action(async (options: ServeOptions) => {
    const loaded = withDemo(loadConfig(), options.demo);
    const config = { ...loaded, port: options.port ?? loaded.port, host: options.host ?? loaded.host };
    const workers = options.workers ?? 1;
    if (workers > 1 && !config.databaseUrl) {
      console.error(WORKERS_NEED_POSTGRES);
      process.exit(2);
    }
    if (options.role !== 'all' && !config.databaseUrl) {
      console.error(ROLES_NEED_POSTGRES);
      process.exit(2);
    }
    if (isClusterWorker()) {
      // Forked by the primary below, which migrated, seeded and printed everything already.
      await serve(await openPlatform(config), config, {
        credentials: [],
        bootstrap: null,
        quiet: true,
        role: clusterWorkerRole() ?? options.role,
        ...(options.backgroundNice === undefined ? {} : { backgroundNice: options.backgroundNice }),
      });
      return;
    }
    if (options.web && options.role !== 'background') await ensureWebBuilt();
    const platform = await openPlatform(config);
    let credentials: DemoCredential[] = [];
    if (options.seed) {
      // Later starts reuse what the first one loaded, without touching it again.
      if (config.demo && (await isDemoSeeded(platform.services))) {
        credentials = demoCredentials();
      } else if (config.demo || !(await isPlatformSeeded(platform.database, platform.services))) {
        console.error(
          config.demo
            ? '首次启动：载入河北省行政区划与演示数据 / first start: loading Hebei divisions and demo data'
            : '首次启动：载入河北省行政区划与事项目录 / first start: loading Hebei divisions and the service catalogue',
        );
        credentials = await seedWithProgress(platform, 'hebei', config.demo);
      }
    }
    if (!config.demo && (await isDemoSeeded(platform.services))) {
      console.error(
        '警告：此数据库含有演示账号（密码公开），请勿用于真实业务 / WARNING: this database holds the demo accounts, whose password is published; do not use it for real work',
      );
    }
    // Only when no administrator exists: printed once, stored hashed (by a process that serves the console).
    const bootstrap = options.role === 'background' ? null : await platform.services.identityAdmin.issueBootstrapToken();
    if (workers > 1) {
      await platform.close();
      const roles = clusterRoles(workers, options.role);
      printStarted(config, { credentials, bootstrap, engine: 'postgres', workers: roles });
      runCluster(roles, (line) => console.error(line));
      return;
    }
    await serve(platform, config, {
      credentials,
      bootstrap,
      role: options.role,
      ...(options.backgroundNice === undefined ? {} : { backgroundNice: options.backgroundNice }),
    });
  });

program
  .command('build-web')
  .description('构建网页 build the web apps (resident, console, kiosk, verifier) into dist/web')
  .action(async () => {
    await buildWeb();
  });

program
  .command('openapi')
  .description('输出 OpenAPI 文档 write the OpenAPI document')
  .option('--out <file>', 'file to write (default: standard output)')
  .action(async (options: { out?: string }) => {
    const doc = await generateOpenApi();
    if (options.out) writeFileSync(options.out, doc);
    else process.stdout.write(doc);
  });

registerVerifyCommand(program);
registerFiguresCommands(program);
registerAdminCommands(program, () => openPlatform(loadConfig()));
registerKeysCommands(program);
registerLedgerCommands(program, () => openPlatform(loadConfig()));
registerWitnessCommands(program, () => openPlatform(loadConfig()));
registerExternalDeptCommands(
  program,
  () => configuredSharingKeys(loadConfig()),
  () => openPlatform(loadConfig()),
);
registerBankCommands(program);
registerInsuranceCommands(program, () => openPlatform(loadConfig()));
registerOidcCommands(program, () => openPlatform(loadConfig()));
registerFederationCommands(program, () => openPlatform(loadConfig()));

const demo = program.command('demo').description('演示 demos');

demo
  .command('bundle')
  .description('在全新的内嵌数据库上办理一件事（即办规则开启），输出减负数据 run a bundle end to end and print its burden figures')
  .argument('[bundle]', 'birth | retirement', 'birth')
  .option('--external-hospital', "the hospital's birth records from its own system (a separate process, signed HTTP)")
  .action(async (code: string, options: { externalHospital?: boolean }) => {
    const { burden, progress, wallMs, cpuMs, hospital } = await runDemoBundle(code, {
      externalHospital: options.externalHospital ?? false,
    });
    if (hospital)
      console.error(
        `external hospital system: ${hospital.served} signed answers, ${hospital.distinctRequests} distinct requests, refused ${JSON.stringify(hospital.refused)}`,
      );
    for (const t of progress.tasks)
      console.error(
        `${t.state.padEnd(11)} ${t.name.zh} · ${t.department?.name ?? ''} · ${t.decidedBy ?? ''} · ${t.output?.identifier ?? ''}`,
      );
    console.error(
      `submit → all outputs: ${wallMs.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU (load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')})`,
    );
    console.log(JSON.stringify(burden, null, 2));
  });

demo
  .command('proactive')
  .description(
    '免申即享演示：出生后生育待遇免申请发放、80 岁高龄津贴、居住证明秒批、死亡登记停发 benefits with no application, 秒批 and a stop at death, on a fresh embedded database',
  )
  .option('--json', 'print the report as JSON (the default)')
  .action(async () => {
    console.log(JSON.stringify(await runDemoProactive(), null, 2));
  });

demo
  .command('ratings')
  .description(
    '好差评演示：正定县一个月的办件与评价（含差评）、整改、回访、申诉、超期升级，公布并验证公开数字 a month of rated cases over a county, rectifications, callbacks, an appeal and an escalation, then the public figures published and verified from the ledger',
  )
  .option('--json', 'print the report as JSON (the default)')
  .option('--data-dir <dir>', 'a fresh data dir (default: an in-memory database)')
  .action(async (options: { dataDir?: string }) => {
    console.log(JSON.stringify(await runDemoRatings(options.dataDir ? { dataDir: options.dataDir } : {}), null, 2));
  });

demo
  .command('insurance')
  .description(
    '医保演示：平南县官成镇旺石村的患者在南宁三甲医院住院，区内异地就医免备案，医院窗口经签名接口直接结算 the seed’s Nanning story, settled at the hospital window through the signed hospital interface, on a fresh data dir',
  )
  .option('--json', 'print the report as JSON (the default)')
  .option('--out <dir>', 'where the sealed statement is written (default: in the data dir)')
  .option('--data-dir <dir>', 'a fresh data dir (default: a new temporary one)')
  .action(async (options: { out?: string; dataDir?: string }) => {
    console.log(
      JSON.stringify(
        await runDemoInsurance({ ...(options.out ? { out: options.out } : {}), ...(options.dataDir ? { dataDir: options.dataDir } : {}) }),
        null,
        2,
      ),
    );
  });

demo
  .command('federation')
  .description(
    '跨省通办演示：国家中枢与河北、广西两个省级节点（各自进程与数据库），异地代收代办往返、河北证照在广西核验、广西节点重启、植入分叉被发现 a hub and two province nodes as separate processes: cases handed over both ways, a Hebei certificate verified in Guangxi, a node restarted with a message queued to it, a planted split view detected',
  )
  .option('--json', 'print the report as JSON (the default)')
  .option('--data-dir <dir>', 'a fresh (empty or absent) data dir, one sub-dir per node (default: a new temporary one)')
  .action(async (options: { dataDir?: string }) => {
    const report = await runDemoFederation({
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      log: (line) => console.error(line),
    });
    console.log(JSON.stringify(report, null, 2));
  });

demo
  .command('certificate')
  .description('签发一份演示居住证明并写出各种形式 issue a demo residence proof and write its renditions')
  .requiredOption('--out <dir>', 'folder to write into')
  .action(async (options: { out: string }) => {
    const result = await writeDemoCertificate(options.out, { publicUrl: loadConfig().publicUrl });
    console.log(`电子证明 ${result.identifier}`);
    for (const f of result.files) console.log(`  ${result.dir}/${f}`);
    console.log(
      `\n核验 verify:  yiban verify ${result.dir}/qr.txt --trust ${result.dir}/trust.json --status ${result.dir}/status-revocation.json --status ${result.dir}/status-suspension.json --offline`,
    );
    console.log(
      `OpenSSL:     openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678 -pubin -inkey ${result.dir}/seal.pub.pem -in ${result.dir}/payload.json -sigfile ${result.dir}/payload.sig`,
    );
  });

function parseScope(value: string): 'hebei' | 'all' {
  if (value !== 'hebei' && value !== 'all') throw new InvalidArgumentError('use hebei or all');
  return value;
}

/** `--demo` sets demo mode; without it YIBAN_DEMO decides. */
function withDemo(config: Config, flag: boolean | undefined): Config {
  // The flag acts as YIBAN_DEMO=1 for everything that depends on the mode (the kiosk code sender too).
  return flag && !config.demo ? loadConfig({ ...process.env, YIBAN_DEMO: '1' }) : config;
}

/** The platform's base data; in demo mode also the demo accounts and data (their credentials are returned). */
async function seedWithProgress(platform: Platform, divisions: 'hebei' | 'all', demoMode: boolean): Promise<DemoCredential[]> {
  const bar = createProgress(divisions === 'all' ? '全国行政区划 divisions' : '河北省行政区划 divisions');
  const options = { divisions, onProgress: (_stage: string, done: number, total: number) => bar.update(done, total) };
  try {
    if (demoMode) return await seedDemo(platform.database, platform.services, options);
    await seedPlatform(platform.database, platform.services, options);
    return [];
  } finally {
    bar.stop();
  }
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof DataDirLockedError) {
    console.error(error.message);
    process.exit(3);
  }
  if (error instanceof AppError) {
    // An operator's mistake (a wrong key, a refused rotation), not a crash: both languages, no stack trace.
    console.error(`${formatMessage(error.code, error.params, 'zh-CN')}\n${formatMessage(error.code, error.params, 'en')}`);
    process.exit(error.code === 'MASTER_KEY_MISMATCH' ? 4 : 1);
  }
  if (!reportCliError(error)) throw error;
}
