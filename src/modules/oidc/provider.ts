import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { Db } from '../../db/database.ts';
import { createOidcClients, type OidcClientsAdmin } from './clients.ts';
import { createAdapterFactory } from './provider-adapter.ts';
import { cookieKeys, loadOrCreateSigningKey } from './provider-keys.ts';
import { renderErrorPage } from './interaction-pages.ts';

/** Where the provider is mounted in the hub's HTTP app; the issuer's path. */
export const OIDC_MOUNT = '/oidc';

/** The scope a province asks for: the resident's verified real name and ID number (and `phone` for the mobile number). */
const REALNAME_SCOPE = 'yiban_realname';
export const OIDC_SCOPES = ['openid', REALNAME_SCOPE, 'phone'] as const;

/** What the hub's provider needs of identity: the resident login and the real-name record. */
interface RealNameDirectory {
  checkResidentPassword(input: { residentIdOrPhone: string; password: string; source?: string }): Promise<{ accountId: string }>;
  getResidentSummary(accountId: string): Promise<{ name: string; residentIdMasked: string } | null>;
  revealResidentId(accountId: string): Promise<string | null>;
  residentPhone(accountId: string): Promise<string | null>;
}

export interface OidcHub {
  issuer: string;
  /** The oidc-provider instance, built on first use (its signing key is read from, or created in, the database). */
  provider(): Promise<Provider>;
  /** oidc-provider's request handler, for the requests under /oidc it answers itself. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  directory: RealNameDirectory;
  /** A registered client's display name, for the consent page. */
  clientName(clientId: string): Promise<string | null>;
}

export interface OidcHubDeps {
  db: Db;
  masterKey: Buffer;
  issuer: string;
  directory: RealNameDirectory;
  clock?: () => Date;
  /** Believe X-Forwarded-Proto/-Host (Config.trustProxy set): the provider's URLs then follow the proxy's. */
  trustProxy?: boolean;
  /** Server errors inside the provider (logged by the caller, never shown to the resident). */
  onError?: (error: unknown) => void;
}

/**
 * The national hub as an OpenID Connect provider (oidc-provider, certified) for its real-name
 * residents: authorization code flow with PKCE only, clients from `oidc_clients`, state in the
 * database (provider-adapter.ts), ID tokens signed ES256 with a key kept encrypted, cookies signed
 * with keys derived from the master key, so that every hub process answers every request.
 */
export function createOidcHub(deps: OidcHubDeps): OidcHub & { clients: OidcClientsAdmin } {
  const clock = deps.clock ?? (() => new Date());
  const clients = createOidcClients({ db: deps.db, masterKey: deps.masterKey, clock });
  const { directory } = deps;
  let built: Promise<Provider> | undefined;
  let handler: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined;

  async function build(): Promise<Provider> {
    const key = await loadOrCreateSigningKey(deps.db, deps.masterKey);
    const configuration: Configuration = {
      adapter: createAdapterFactory({ db: deps.db, clients, clock }),
      jwks: { keys: [key] },
      cookies: { keys: cookieKeys(deps.masterKey) },
      scopes: [...OIDC_SCOPES],
      claims: {
        openid: ['sub'],
        [REALNAME_SCOPE]: ['name', 'yiban_resident_id', 'yiban_resident_id_masked', 'yiban_realname_verified'],
        phone: ['phone_number', 'phone_number_verified'],
      },
      // The realname claims go in the ID token too (the province reads them there, from the back channel).
      conformIdTokenClaims: false,
      responseTypes: ['code'],
      pkce: { required: () => true },
      clientDefaults: {
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'ES256',
      },
      features: {
        devInteractions: { enabled: false },
        rpInitiatedLogout: { enabled: false },
        userinfo: { enabled: true },
      },
      ttl: {
        AuthorizationCode: 60,
        AccessToken: 600,
        IdToken: 600,
        Interaction: 1800,
        Session: 12 * 3600,
        Grant: 30 * 24 * 3600,
      },
      interactions: { url: (_ctx, interaction) => `${OIDC_MOUNT}/interaction/${interaction.uid}` },
      async findAccount(_ctx, sub) {
        const summary = await directory.getResidentSummary(sub);
        if (!summary) return undefined;
        return {
          accountId: sub,
          async claims() {
            const [residentId, phone] = await Promise.all([directory.revealResidentId(sub), directory.residentPhone(sub)]);
            return {
              sub,
              name: summary.name,
              ...(residentId ? { yiban_resident_id: residentId, yiban_realname_verified: true } : {}),
              yiban_resident_id_masked: summary.residentIdMasked,
              ...(phone ? { phone_number: phone, phone_number_verified: true } : {}),
            };
          },
        };
      },
      renderError(ctx: KoaContextWithOIDC, out) {
        ctx.type = 'html';
        ctx.body = renderErrorPage({ error: out.error, description: out.error_description });
      },
    };
    // Loaded when a hub first needs it: other nodes and every CLI command never import it (on Node 20 it warns at import).
    const { default: OidcProvider } = await import('oidc-provider');
    const provider = new OidcProvider(deps.issuer, configuration);
    provider.proxy = deps.trustProxy ?? false;
    provider.on('server_error', (_ctx, error) => deps.onError?.(error));
    handler = provider.callback();
    return provider;
  }

  const provider = () => {
    built ??= build().catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    return built;
  };

  return {
    issuer: deps.issuer,
    provider,
    directory,
    clients,
    async handle(req, res) {
      await provider();
      if (!handler) throw new Error('the OpenID Connect provider has no handler');
      await handler(req, res);
    },
    async clientName(clientId) {
      const metadata = await clients.clientMetadata(clientId);
      return typeof metadata?.client_name === 'string' ? metadata.client_name : null;
    },
  };
}
