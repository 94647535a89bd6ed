import type { Command } from 'commander';
import type { Platform } from '../platform.ts';
import { AppError, formatMessage } from '../core/errors.ts';
import { PLATFORM_ADMIN_ORG } from '../modules/identity/index.ts';
import { readSecret } from './prompt.ts';

/**
 * `yiban admin create` (the first or another platform administrator) and `yiban admin
 * reset-password <username>` (any staff account), for the operator who holds the database.
 * The password is asked twice on a terminal or read from standard input (`--password-stdin`),
 * never taken as an argument (that would leave it in the shell history and `ps`).
 */
export function registerAdminCommands(program: Command, open: () => Promise<Platform>): void {
  const admin = program.command('admin').description('平台管理员与密码 platform administrators and passwords');

  admin
    .command('create')
    .description('创建平台管理员（密码须符合密码规则）create a platform administrator')
    .option('--username <name>', 'login name', 'admin')
    .option('--name <name>', 'display name', '平台管理员')
    .option('--org <code>', 'the org the role is held at (the deployment root)', PLATFORM_ADMIN_ORG)
    .option('--password-stdin', 'read the password from standard input')
    .action(async (options: { username: string; name: string; org: string; passwordStdin?: boolean }) => {
      const password = await readNewPassword(options.passwordStdin ?? false);
      await runReporting(open, async (platform) => {
        const created = await platform.services.identityAdmin.createPlatformAdmin({
          username: options.username,
          name: options.name,
          password,
          orgCode: options.org,
        });
        console.log(`已创建平台管理员 platform administrator created: ${created.username} (${created.name})`);
      });
    });

  admin
    .command('reset-password')
    .alias('passwd')
    .description('为工作人员设置新密码（其所有会话立即注销）set a staff member’s new password (their sessions end)')
    .argument('<username>', 'the staff login name')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (username: string, options: { passwordStdin?: boolean }) => {
      const password = await readNewPassword(options.passwordStdin ?? false);
      await runReporting(open, async (platform) => {
        const { revokedSessions } = await platform.services.identityAdmin.resetStaffPassword(username, password);
        console.log(`已设置新密码 password set for ${username}; 注销会话 sessions ended: ${revokedSessions}`);
      });
    });
}

async function readNewPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin) return readStdinLine();
  if (!process.stdin.isTTY)
    throw new CliError('没有终端可以询问密码，请用 --password-stdin / no terminal to ask for the password: use --password-stdin');
  const first = await readSecret('新密码 New password: ');
  const second = await readSecret('再输入一次 Again: ');
  if (first !== second) throw new CliError('两次输入的密码不一致 / the two passwords differ');
  return first;
}

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // The first line: `echo … |` and here-strings end it with a newline, which is not part of the password.
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

class CliError extends Error {}

/** Runs `work` on the opened platform; a refusal (weak password, taken name…) is one bilingual line and exit code 1. */
async function runReporting(open: () => Promise<Platform>, work: (platform: Platform) => Promise<void>): Promise<void> {
  const platform = await open();
  try {
    await work(platform);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    console.error(`${error.code}: ${formatMessage(error.code, error.params, 'zh-CN')}\n${formatMessage(error.code, error.params, 'en')}`);
    if (error.code === 'INVALID_DIVISION_CODE')
      console.error(
        '先运行 yiban seed（或启动一次 yiban serve）载入行政区划 / run yiban seed (or start yiban serve once) to load the divisions first',
      );
    process.exitCode = 1;
  } finally {
    await platform.close();
  }
}

export function reportCliError(error: unknown): boolean {
  if (!(error instanceof CliError)) return false;
  console.error(error.message);
  process.exitCode = 1;
  return true;
}
