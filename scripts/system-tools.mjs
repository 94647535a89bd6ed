#!/usr/bin/env node
/**
 * The system tools the tests need, in one list, and the preflight that makes sure they are there
 * before any test runs. Plain Node (no dependencies), so it works before and after `npm install`.
 *
 *   node scripts/system-tools.mjs           check; as root with apt-get, install what is missing
 *                                           (apt-get update once, then apt-get install -y);
 *                                           otherwise stop with one message naming the packages
 *   node scripts/system-tools.mjs --check   check only: exit 1 with that message when any is missing
 *   node scripts/system-tools.mjs --list    print the Debian packages, one a line
 *
 * `npm test` runs it first; the vitest global setups run the check, so a missing tool stops the run
 * before the first test instead of failing (or silently passing) deep inside it.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Debian package → what must exist once it is installed (commands on PATH, files) and why.
 * `recommends: false`: installed without its recommended packages (only its own command is used).
 * @type {ReadonlyArray<{ package: string; commands?: string[]; files?: string[]; recommends?: boolean; why: string }>}
 */
export const SYSTEM_TOOLS = [
  { package: 'openssl', commands: ['openssl'], why: 'the independent check of our SM2/Ed25519/X.509 output' },
  { package: 'g++', commands: ['gcc', 'g++'], why: 'the native SM2 signer (node-gyp) and the constant-time check' },
  { package: 'make', commands: ['make'], why: 'node-gyp builds the native SM2 signer with make' },
  { package: 'python3', commands: ['python3'], why: 'node-gyp runs on Python' },
  {
    package: 'valgrind',
    commands: ['valgrind'],
    files: ['/usr/include/valgrind/memcheck.h'],
    why: 'the constant-time check of the native SM2 core',
  },
  { package: 'poppler-utils', commands: ['pdfsig', 'pdftotext', 'pdftoppm', 'pdffonts'], why: 'PDF signature, text and font checks' },
  { package: 'libnss3-tools', commands: ['certutil'], why: 'the NSS trust store pdfsig checks the chain against' },
  { package: 'zbar-tools', commands: ['zbarimg'], why: 'decoding the QR code printed on the PDF' },
  { package: 'chromium', commands: ['chromium'], why: 'the browser tests (playwright-core drives Debian’s Chromium)' },
  {
    package: 'postgresql-client',
    commands: ['pg_dump', 'pg_restore'],
    why: 'the at-rest check of a database dump and the backup-and-restore drill (PostgreSQL’s own tools)',
  },
  {
    package: 'prometheus',
    commands: ['promtool'],
    recommends: false,
    why: 'promtool checks and unit-tests the alerting rules (docs/prometheus); the server itself is not used',
  },
  {
    package: 'fonts-wqy-microhei',
    files: ['/usr/share/fonts/truetype/wqy/wqy-microhei.ttc'],
    why: 'Chinese text in the browser tests’ screenshots',
  },
  {
    package: 'fonts-hanazono',
    files: ['/usr/share/fonts/truetype/hanazono/HanaMinA.ttf', '/usr/share/fonts/truetype/hanazono/HanaMinB.ttf'],
    why: 'the PDF’s fallback font for rare characters in names (生僻字, CJK Extensions B–F)',
  },
];

/** Whether `name` is an executable file in one of the PATH folders. */
export function onPath(name, envPath = process.env.PATH ?? '') {
  return envPath.split(path.delimiter).some((dir) => {
    if (!dir) return false;
    try {
      accessSync(path.join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * The packages of `tools` whose commands or files are missing.
 * @param {{ hasCommand?: (name: string) => boolean; hasFile?: (file: string) => boolean; tools?: typeof SYSTEM_TOOLS }} [probe]
 * @returns {string[]}
 */
export function missingPackages(probe = {}) {
  const { hasCommand = (name) => onPath(name), hasFile = existsSync, tools = SYSTEM_TOOLS } = probe;
  return tools
    .filter((tool) => !(tool.commands ?? []).every((c) => hasCommand(c)) || !(tool.files ?? []).every((f) => hasFile(f)))
    .map((tool) => tool.package);
}

/** The one message for tools that are missing and that this run cannot install. */
export function missingMessage(missing, reason) {
  const list = missing.join(' ');
  return [
    `缺少测试所需的系统工具 / Missing system tools the tests need: ${list}`,
    `${reason}`,
    `请先安装 / Install them first:  sudo apt-get update && sudo apt-get install -y ${list}`,
    '(然后重新运行 / then run the tests again: npm test)',
  ].join('\n');
}

/**
 * What to do about the missing packages: nothing, install them (the exact commands), or stop
 * with one message.
 * @param {{ missing: string[]; isRoot: boolean; hasAptGet: boolean; installAllowed: boolean; tools?: typeof SYSTEM_TOOLS }} situation
 * @returns {{ action: 'none' } | { action: 'install'; commands: string[][] } | { action: 'stop'; message: string }}
 */
export function planSystemTools({ missing, isRoot, hasAptGet, installAllowed, tools = SYSTEM_TOOLS }) {
  if (missing.length === 0) return { action: 'none' };
  const reason = !installAllowed
    ? '此次只检查，不安装（以 root 运行 npm test 会自动安装）/ This is a check only; `npm test` run as root installs them.'
    : !hasAptGet
      ? '本机没有 apt-get，无法自动安装 / There is no apt-get here to install them with.'
      : !isRoot
        ? '自动安装需要 root 权限 / Installing them needs root; this run is not root.'
        : null;
  if (reason) return { action: 'stop', message: missingMessage(missing, reason) };
  const lean = new Set(tools.filter((t) => t.recommends === false).map((t) => t.package));
  const plain = missing.filter((p) => !lean.has(p));
  const bare = missing.filter((p) => lean.has(p));
  return {
    action: 'install',
    commands: [
      ['apt-get', 'update', '-qq'],
      ...(plain.length > 0 ? [['apt-get', 'install', '-y', '-qq', ...plain]] : []),
      ...(bare.length > 0 ? [['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...bare]] : []),
    ],
  };
}

const ADDON = fileURLToPath(new URL('../build/Release/yiban_sm2.node', import.meta.url));

/** Runs the preflight; returns the exit code. */
export function preflight({ installAllowed, log = console.error } = { installAllowed: true }) {
  const missing = missingPackages();
  const plan = planSystemTools({
    missing,
    isRoot: typeof process.getuid === 'function' && process.getuid() === 0,
    hasAptGet: onPath('apt-get'),
    installAllowed,
  });
  switch (plan.action) {
    case 'none':
      break;
    case 'stop':
      log(plan.message);
      return 1;
    case 'install': {
      log(`安装系统工具 / installing system tools: ${missing.join(' ')}`);
      for (const [command, ...args] of plan.commands) {
        const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
        if (result.status !== 0) {
          log(missingMessage(missing, `${command} ${args.join(' ')} 失败 / failed (exit ${result.status ?? result.signal}).`));
          return 1;
        }
      }
      const still = missingPackages();
      if (still.length > 0) {
        log(missingMessage(still, '安装后仍然缺少 / Still missing after apt-get install.'));
        return 1;
      }
      break;
    }
  }
  // The native SM2 signer: `npm install` builds it, unless the compiler was not there yet.
  if (!existsSync(ADDON)) {
    if (!installAllowed) {
      log('原生 SM2 签名模块未构建 / The native SM2 signer is not built: run  npm run build:native');
      return 1;
    }
    log('构建原生 SM2 签名模块 / building the native SM2 signer (npm run build:native)…');
    const built = spawnSync('npm', ['run', 'build:native'], { stdio: 'inherit', cwd: fileURLToPath(new URL('..', import.meta.url)) });
    if (built.status !== 0) {
      log('原生 SM2 签名模块构建失败 / The native SM2 signer did not build: see the output of npm run build:native above.');
      return 1;
    }
  }
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args.includes('--list')) {
    for (const tool of SYSTEM_TOOLS) console.log(tool.package);
  } else {
    process.exitCode = preflight({ installAllowed: !args.includes('--check') });
  }
}
