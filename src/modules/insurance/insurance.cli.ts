/**
 * `yiban hospital serve | simulate`: a designated hospital's own system (HIS side) of the
 * insurance interface, as a process of its own (hospital-system.ts, hospital-server.ts), and a
 * day at its window. `yiban insurance institution add | enrol`: the insurance office's registry,
 * for operators who hold the platform's database.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { AppError, formatMessage } from '../../core/errors.ts';
import { makeResidentId, maskResidentId, parseResidentId } from '../identity/index.ts';
import { sm2VerifyingKey } from '../sharing/index.ts';
import { INSTITUTION_CODE } from './envelope.ts';
import { API_TOKEN_FILE, createHospitalServer, hospitalApiToken } from './hospital-server.ts';
import { httpWindow, localWindow, seeded, simulateDay } from './hospital-simulate.ts';
import { HospitalError, institutionKeyId, openHospitalSystem } from './hospital-system.ts';
import { chinaDay } from './insurance-context.ts';
import type { InsuranceAdmin, InsuranceService } from './insurance.service.ts';
import { addClearCommand } from './clearing.cli.ts';

/** What the registry commands need of the opened platform. */
export interface InsurancePlatform {
  services: { insuranceAdmin: InsuranceAdmin; insurance: Pick<InsuranceService, 'reference'> };
  close(): Promise<void>;
}

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a whole number ≥ 0');
  return n;
};
const date = (v: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(v))) throw new InvalidArgumentError('a date, YYYY-MM-DD');
  return v;
};
const invalid = (detail: string) => new AppError('VALIDATION_FAILED', { detail });

/** Runs `work` on the opened platform; a refusal is one line in each language and exit code 1. */
async function withPlatform(open: () => Promise<InsurancePlatform>, work: (p: InsurancePlatform) => Promise<void>): Promise<void> {
  const platform = await open();
  try {
    await work(platform);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    reportRefusal(error);
  } finally {
    await platform.close();
  }
}

function reportRefusal(error: AppError): void {
  console.error(`${error.code}: ${formatMessage(error.code, error.params, 'zh-CN')}\n${formatMessage(error.code, error.params, 'en')}`);
  process.exitCode = 1;
}

/** The checks `insurance institution add` makes before it writes; the registry checks again. */
export function institutionInput(o: {
  code: string;
  name: string;
  nameEn?: string;
  level: string;
  region: string;
  publicKey: string;
  keyId?: string;
}) {
  if (!INSTITUTION_CODE.test(o.code)) throw invalid('--code: H and 11 digits');
  if (o.name.trim() === '' || o.name.length > 100) throw invalid('--name: 1–100 characters');
  const level = ([1, 2, 3] as const).find((l) => String(l) === o.level.trim());
  if (level === undefined) throw invalid('--level: 1, 2 or 3');
  if (!/^\d{6}$/.test(o.region)) throw new AppError('INVALID_DIVISION_CODE', { code: o.region });
  let publicKey: Uint8Array;
  try {
    const text = o.publicKey.trim();
    publicKey = sm2VerifyingKey(
      /^(04)?[0-9a-fA-F]{128}$/.test(text) ? Buffer.from(text.length === 128 ? `04${text}` : text, 'hex') : text,
    ).publicKey;
  } catch {
    throw invalid('--public-key-file: an SM2 public key (PEM SPKI, or 04‖x‖y in hex)');
  }
  return {
    code: o.code,
    nameZh: o.name.trim(),
    nameEn: (o.nameEn ?? o.name).trim(),
    level,
    region: o.region,
    keyId: o.keyId ?? institutionKeyId(o.code, publicKey),
    publicKey,
  };
}

/** Made-up residents (no real ID numbers): a birth date and sequence from the generator, the region's first county. */
const SURNAMES = '覃韦黄陆蒙莫梁李王张刘陈杨赵';
const GIVEN = ['阿婆', '秀英', '建国', '春兰', '志强', '桂芳', '明辉', '丽华', '海燕', '文斌'];
export function madeUpResidents(count: number, region: string, seed = 7): { residentId: string; name: string }[] {
  const random = seeded(seed);
  const out: { residentId: string; name: string }[] = [];
  const seen = new Set<string>();
  while (out.length < count) {
    const year = 1940 + Math.floor(random() * 60);
    const birth = `${year}-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`;
    const residentId = makeResidentId(`${region.slice(0, 4)}02`, birth, Math.floor(random() * 1000));
    if (seen.has(residentId)) continue;
    seen.add(residentId);
    out.push({
      residentId,
      name: `${SURNAMES[Math.floor(random() * SURNAMES.length)]}${GIVEN[Math.floor(random() * GIVEN.length)]}`,
    });
  }
  return out;
}

export function registerInsuranceCommands(program: Command, open: () => Promise<InsurancePlatform>): void {
  const hospital = program.command('hospital').description('定点医疗机构系统（医保接口，SM2 签名） a designated hospital’s own system');

  hospital
    .command('serve')
    .description('启动医院系统（首次启动生成 SM2 密钥）run the hospital system (makes its SM2 key on first start)')
    .requiredOption('--platform <url>', 'the platform’s base URL')
    .requiredOption('--code <code>', 'the institution’s code (H and 11 digits)')
    .requiredOption('--region <division>', 'the institution’s division (6 digits)')
    .requiredOption('--state-dir <dir>', 'its SM2 key, the pinned platform key and the journal')
    .option('--port <port>', 'port of the local API (0: any free port)', int, 0)
    .option('--host <host>', 'address of the local API', '127.0.0.1')
    .option('--answer-timeout-ms <ms>', 'how long the window waits for an answer before 504 (it is still sent)', int, 30_000)
    .action(
      async (options: {
        platform: string;
        code: string;
        region: string;
        stateDir: string;
        port: number;
        host: string;
        answerTimeoutMs: number;
      }) => {
        if (!INSTITUTION_CODE.test(options.code)) throw new InvalidArgumentError('--code: H and 11 digits');
        if (!/^\d{6}$/.test(options.region)) throw new InvalidArgumentError('--region: 6 digits');
        const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
        let system;
        try {
          system = await openHospitalSystem({
            platformUrl: options.platform,
            code: options.code,
            region: options.region,
            stateDir: options.stateDir,
            log,
          });
        } catch (error) {
          if (!(error instanceof HospitalError)) throw error;
          console.error(`${error.code}: ${error.messageZh}\n${error.messageEn}`);
          process.exitCode = 1;
          return;
        }
        // First start: the key to register (yiban insurance institution add --public-key-file <state-dir>/hospital.pub.pem).
        console.log(
          JSON.stringify({
            code: options.code,
            keyId: system.keyId,
            created: system.created,
            publicKey: system.publicKeyPem,
            pending: system.pending().length,
          }),
        );
        const token = hospitalApiToken(options.stateDir);
        const server = createHospitalServer(system, { code: options.code, token, answerTimeoutMs: options.answerTimeoutMs });
        await new Promise<void>((resolve) => server.listen(options.port, options.host, resolve));
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : options.port;
        // Tests and the simulator wait for this line.
        console.log(`listening on http://${options.host}:${port} key ${system.keyId} (API token in ${options.stateDir}/${API_TOKEN_FILE})`);
        // The platform key is pinned on first contact; unanswered transactions are resent meanwhile.
        void system.pinPlatformKey().catch((error: unknown) => log(`platform interface key not pinned yet: ${String(error)}`));
        void system.recovered.then(() => log('journal recovered: every transaction answered'));
        const stop = () => server.close(() => void system.close().then(() => process.exit(0)));
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      },
    );

  hospital
    .command('simulate')
    .description('模拟一天的医保窗口业务并对账 a day of encounters at the window, then 3201 reconciliation; prints JSON figures')
    .option('--hospital <url>', 'a running hospital process’s local API; without it, a hospital system in this process')
    .option('--hospital-token-file <file>', 'with --hospital: its API token file (api-token in its state directory)')
    .option('--platform <url>', 'the platform’s base URL (in-process hospital)')
    .option('--code <code>', 'the institution’s code (in-process hospital)')
    .option('--region <division>', 'the institution’s division (in-process hospital)')
    .option('--state-dir <dir>', 'the in-process hospital’s key and journal')
    .option('--encounters <n>', 'encounters in the day', int, 50)
    .option('--date <date>', 'the day the encounters begin (default: today in China)', date)
    .option('--patients <file>', 'enrolled residents’ ID numbers, one a line')
    .option('--enrol <n>', 'enrol n made-up residents first (opens the platform database)', int)
    .option('--patient-region <division>', 'their place of insurance, with --enrol', '450800')
    .option('--concurrency <n>', 'patients at the window at once', int, 8)
    .option('--seed <n>', 'the random day’s seed', int, 1)
    .action(
      async (options: {
        hospital?: string;
        hospitalTokenFile?: string;
        platform?: string;
        code?: string;
        region?: string;
        stateDir?: string;
        encounters: number;
        date?: string;
        patients?: string;
        enrol?: number;
        patientRegion: string;
        concurrency: number;
        seed: number;
      }) => {
        let patients: string[] = [];
        if (options.patients)
          patients = readFileSync(options.patients, 'utf8')
            .split(/\r?\n/)
            .map((l) => l.trim())
            .filter((l) => l !== '');
        for (const p of patients)
          if (!parseResidentId(p).ok) throw new InvalidArgumentError(`--patients: not a resident ID number: ${maskResidentId(p)}`);
        if (options.enrol) {
          const made = madeUpResidents(options.enrol, options.patientRegion, options.seed);
          await withPlatform(open, async (platform) => {
            for (const m of made)
              await platform.services.insuranceAdmin.enrol({
                ...m,
                scheme: 'resident',
                region: options.patientRegion,
                fromDate: '2020-01-01',
              });
          });
          if (process.exitCode) return;
          patients.push(...made.map((m) => m.residentId));
        }
        if (patients.length === 0) throw new InvalidArgumentError('name --patients <file> or --enrol <n>');
        let close = async () => undefined as void;
        let window;
        if (options.hospital) {
          if (!options.hospitalTokenFile)
            throw new InvalidArgumentError('with --hospital: --hospital-token-file (api-token in its state directory)');
          window = httpWindow(options.hospital, readFileSync(options.hospitalTokenFile, 'utf8').trim());
        } else {
          if (!options.platform || !options.code || !options.region || !options.stateDir)
            throw new InvalidArgumentError('without --hospital: --platform, --code, --region and --state-dir');
          const system = await openHospitalSystem({
            platformUrl: options.platform,
            code: options.code,
            region: options.region,
            stateDir: options.stateDir,
            log: (line) => console.error(line),
          });
          window = localWindow(system);
          close = () => system.close();
        }
        try {
          const figures = await simulateDay(window, {
            encounters: options.encounters,
            date: options.date ?? chinaDay(new Date()),
            patients,
            concurrency: options.concurrency,
            seed: options.seed,
          });
          console.log(JSON.stringify(figures, null, 2));
          if (figures.failed > 0 || !figures.reconciliation.matched) process.exitCode = 1;
        } finally {
          await close();
        }
      },
    );

  const insurance = program
    .command('insurance')
    .description('医保经办：定点机构、参保登记与月度清算 the insurance office: registry and clearing');
  addClearCommand(insurance, open);
  const institution = insurance.command('institution').description('定点医药机构 designated institutions');

  institution
    .command('add')
    .description('登记定点医疗机构及其 SM2 公钥（或更换公钥）register a designated institution and its SM2 public key')
    .requiredOption('--code <code>', 'H and 11 digits')
    .requiredOption('--name <name>', 'its name (Chinese)')
    .option('--name-en <name>', 'its name in English')
    .requiredOption('--level <level>', '1, 2 or 3 (一级 二级 三级)')
    .requiredOption('--region <division>', 'its division (6 digits)')
    .requiredOption('--public-key-file <file>', 'its SM2 public key: PEM (SPKI), as `yiban hospital serve` writes it, or hex')
    .option('--key-id <id>', 'the key id it signs with (default: derived from the code and the key, as the hospital system does)')
    .action(
      async (o: { code: string; name: string; nameEn?: string; level: string; region: string; publicKeyFile: string; keyId?: string }) => {
        let publicKey: string;
        try {
          publicKey = readFileSync(o.publicKeyFile, 'utf8');
        } catch {
          return reportRefusal(invalid(`--public-key-file: cannot read ${o.publicKeyFile}`));
        }
        let input;
        try {
          input = institutionInput({ ...o, publicKey });
        } catch (error) {
          if (error instanceof AppError) return reportRefusal(error);
          throw error;
        }
        await withPlatform(open, async (platform) => {
          await platform.services.insuranceAdmin.registerInstitution(input);
          console.log(
            JSON.stringify({ code: input.code, name: input.nameZh, level: input.level, region: input.region, keyId: input.keyId }),
          );
        });
      },
    );

  insurance
    .command('enrol')
    .description('参保登记 enrol a resident (prints the person number)')
    .requiredOption('--resident-id <id>', 'the resident ID number')
    .requiredOption('--name <name>', 'the name')
    .requiredOption('--scheme <scheme>', 'employee (职工) or resident (城乡居民)')
    .requiredOption('--region <division>', 'the place of insurance (a pooling region)')
    .option('--account <fen>', 'an employee’s personal account balance, in fen', int, 0)
    .option('--from <date>', 'enrolled from (default: today in China)', date)
    .action(async (o: { residentId: string; name: string; scheme: string; region: string; account: number; from?: string }) => {
      await withPlatform(open, async (platform) => {
        if (o.scheme !== 'employee' && o.scheme !== 'resident') throw invalid('--scheme: employee or resident');
        if (o.name.trim() === '' || o.name.length > 50 || /\d/.test(o.name)) throw invalid('--name: 1–50 characters, no digits');
        if (!/^\d{6}$/.test(o.region)) throw new AppError('INVALID_DIVISION_CODE', { code: o.region });
        const from = o.from ?? chinaDay(new Date());
        if (!(await platform.services.insurance.reference.policies()).some((p) => p.region === o.region))
          throw new AppError('INSURANCE_NO_POLICY', { region: o.region, date: from });
        if (o.account > 0 && o.scheme !== 'employee') throw invalid('--account: only an employee has a personal account');
        const psnNo = await platform.services.insuranceAdmin.enrol({
          residentId: o.residentId,
          name: o.name.trim(),
          scheme: o.scheme,
          region: o.region,
          fromDate: from,
          accountBalanceFen: o.account,
        });
        console.log(
          JSON.stringify({ psnNo, residentId: maskResidentId(o.residentId), name: o.name.trim(), scheme: o.scheme, region: o.region }),
        );
      });
    });
}
