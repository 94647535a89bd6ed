import type { Command } from 'commander';
import { AppError } from '../../core/errors.ts';
import type { OidcClientsAdmin } from './clients.ts';

/** What the oidc commands need of the platform. */
export interface OidcPlatform {
  services: { oidcClients: OidcClientsAdmin | null };
  close(): Promise<void>;
}

async function withClients<T>(open: () => Promise<OidcPlatform>, run: (clients: OidcClientsAdmin) => Promise<T>): Promise<T> {
  const platform = await open();
  try {
    if (!platform.services.oidcClients)
      throw new AppError('OIDC_NOT_CONFIGURED', {}, 'OpenID Connect clients are registered on the hub (YIBAN_NODE_ROLE=hub)');
    return await run(platform.services.oidcClients);
  } finally {
    await platform.close();
  }
}

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * `yiban oidc client …` on the hub: the province nodes that may let their residents log in with
 * the national account. The secret is printed once, at `add`, and never again.
 */
export function registerOidcCommands(program: Command, openPlatform: () => Promise<OidcPlatform>): void {
  const client = program
    .command('oidc')
    .description('统一身份认证（国家平台）one identity: the hub’s OpenID Connect clients')
    .command('client')
    .description('登记的省级节点 registered province nodes');

  client
    .command('add')
    .description('登记省级节点并打印一次客户端密钥 register a province node; its secret is printed once')
    .requiredOption('--id <clientId>', 'client id (3–64 lowercase letters, digits, . - _)')
    .requiredOption('--redirect-uri <uri>', 'the node’s <public URL>/api/auth/oidc/callback (repeatable)', collect, [])
    .option('--name <name>', 'display name on the consent page (e.g. 广西壮族自治区政务服务平台)')
    .option('--json', 'print JSON')
    .action(async (options: { id: string; redirectUri: string[]; name?: string; json?: boolean }) => {
      const added = await withClients(openPlatform, (c) =>
        c.add({ clientId: options.id, redirectUris: options.redirectUri, ...(options.name ? { name: options.name } : {}) }),
      );
      if (options.json) {
        console.log(JSON.stringify(added, null, 2));
        return;
      }
      console.log(`已登记 registered: ${added.clientId} (${added.name})`);
      console.log(`回调地址 redirect URIs: ${added.redirectUris.join(' ')}`);
      console.log(`客户端密钥（只显示这一次）client secret (shown this once): ${added.clientSecret}`);
      console.log('在该省级节点设置 set on the province node: YIBAN_OIDC_CLIENT_ID, YIBAN_OIDC_CLIENT_SECRET');
    });

  client
    .command('list')
    .description('列出已登记节点 list registered clients (no secrets)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const clients = await withClients(openPlatform, (c) => c.list());
      if (options.json) console.log(JSON.stringify(clients, null, 2));
      else
        for (const c of clients)
          console.log(`${c.clientId}  ${c.disabled ? 'disabled' : 'active'}  ${c.name}  ${c.redirectUris.join(' ')}`);
    });

  client
    .command('disable <clientId>')
    .description('停用 disable a client (its residents can no longer log in through the hub)')
    .action(async (clientId: string) => {
      await withClients(openPlatform, (c) => c.disable(clientId));
      console.log(`已停用 disabled: ${clientId}`);
    });
}
