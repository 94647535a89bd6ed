import * as client from 'openid-client';
import { AppError } from '../../core/errors.ts';
import { message } from '../../core/messages.ts';
import { deriveKey, openText, sealText } from '../../core/sealing.ts';
import type { FederatedLoginInput, LoginResult } from '../identity/index.ts';
import { OIDC_SCOPES } from './provider.ts';

/** What a province's login through the hub needs of identity. */
interface FederatedAccounts {
  loginFederated(input: FederatedLoginInput): Promise<LoginResult>;
}

export interface OidcLoginDeps {
  issuerUrl: string;
  clientId: string;
  /** Kept in this closure only: never returned, never logged. */
  clientSecret: string;
  /** `<public URL>/api/auth/oidc/callback`, as registered at the hub. */
  redirectUri: string;
  masterKey: Buffer;
  accounts: FederatedAccounts;
  clock?: () => Date;
}

/** One login in flight, sealed into the browser's `yiban_oidc` cookie (AES-GCM under a key derived from the master key). */
interface Pending {
  state: string;
  nonce: string;
  verifier: string;
  /** Epoch milliseconds after which the callback is refused. */
  until: number;
}

export const PENDING_LOGIN_TTL_MS = 10 * 60_000;
const PENDING_INFO = 'yiban/oidc/pending-login/aes-256-gcm/v1';
const PENDING_AAD = 'yiban_oidc';

export interface OidcLogin {
  /** The hub's authorization URL (state, nonce, PKCE S256) and the sealed pending login for the browser's cookie. */
  start(): Promise<{ url: string; pending: string }>;
  /** Checks the callback (its query string) against the pending login, exchanges the code, and opens the local session. */
  finish(query: string, pending: string | undefined): Promise<LoginResult>;
}

/**
 * A province node as a relying party of the hub (openid-client, certified): the authorization code
 * flow with PKCE, state and nonce, the code exchanged with client_secret_basic, the ID token's
 * real-name claims turned into the local resident (identity's `loginFederated`).
 */
export function createOidcLogin(deps: OidcLoginDeps): OidcLogin {
  const clock = deps.clock ?? (() => new Date());
  const sealKey = deriveKey(deps.masterKey, PENDING_INFO);
  const issuer = new URL(deps.issuerUrl);
  const insecure = issuer.protocol === 'http:';
  let discovered: Promise<client.Configuration> | undefined;

  const configuration = () => {
    discovered ??= client
      .discovery(issuer, deps.clientId, { id_token_signed_response_alg: 'ES256' }, client.ClientSecretBasic(deps.clientSecret), {
        timeout: 10,
        // http only to a loopback hub (core/config.ts refuses any other).
        ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
      })
      .catch((error: unknown) => {
        discovered = undefined;
        throw hubError(error);
      });
    return discovered;
  };

  return {
    async start() {
      const config = await configuration();
      const pending: Pending = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        verifier: client.randomPKCECodeVerifier(),
        until: clock().getTime() + PENDING_LOGIN_TTL_MS,
      };
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: deps.redirectUri,
        scope: OIDC_SCOPES.join(' '),
        state: pending.state,
        nonce: pending.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(pending.verifier),
        code_challenge_method: 'S256',
      });
      return { url: url.href, pending: sealText(sealKey, JSON.stringify(pending), PENDING_AAD) };
    },

    async finish(query, sealed) {
      // The redirect URI as registered, with the hub's answer: openid-client sends it back with the code.
      const callbackUrl = new URL(deps.redirectUri);
      callbackUrl.search = query;
      const pending = openPending(sealed);
      if (!pending || pending.until < clock().getTime()) throw new AppError('OIDC_LOGIN_EXPIRED');
      const error = callbackUrl.searchParams.get('error');
      if (error) throw refused(error);
      if (callbackUrl.searchParams.get('state') !== pending.state) throw new AppError('OIDC_STATE_MISMATCH');
      const config = await configuration();
      let claims: client.IDToken | undefined;
      try {
        const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: pending.verifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
        claims = tokens.claims();
      } catch (cause) {
        throw hubError(cause);
      }
      const residentId = claims?.yiban_resident_id;
      const name = claims?.name;
      if (!claims || typeof residentId !== 'string' || typeof name !== 'string' || claims.yiban_realname_verified !== true)
        throw new AppError('OIDC_RESPONSE_INVALID', { reason: message('oidc.noRealName') });
      return deps.accounts.loginFederated({
        residentId,
        name,
        phone: typeof claims.phone_number === 'string' && claims.phone_number_verified === true ? claims.phone_number : null,
        issuer: claims.iss,
        subject: claims.sub,
      });
    },
  };

  function openPending(sealed: string | undefined): Pending | null {
    if (!sealed) return null;
    try {
      return JSON.parse(openText(sealKey, sealed, PENDING_AAD)) as Pending;
    } catch {
      return null;
    }
  }
}

function refused(error: string): AppError {
  return new AppError('OIDC_LOGIN_REFUSED', { reason: error === 'access_denied' ? message('oidc.accessDenied') : error.slice(0, 64) });
}

/** openid-client's errors as ours: what the hub said about the code or this node's credentials, or that it cannot be reached. */
function hubError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof client.ResponseBodyError) return oauthError(error.error, error.error_description);
  if (error instanceof client.WWWAuthenticateChallengeError) {
    const code = error.cause.map((c) => c.parameters.error).find((e) => typeof e === 'string');
    return oauthError(code ?? 'invalid_client', undefined);
  }
  if (error instanceof client.AuthorizationResponseError) return refused(error.error);
  if (error instanceof client.ClientError) {
    if (/"state"/.test(error.message)) return new AppError('OIDC_STATE_MISMATCH');
    return new AppError('OIDC_RESPONSE_INVALID', { reason: error.message.slice(0, 200) });
  }
  return new AppError('OIDC_HUB_UNAVAILABLE');
}

function oauthError(code: string, description: string | undefined): AppError {
  if (code === 'invalid_grant') return new AppError('OIDC_CODE_REJECTED');
  if (code === 'invalid_client' || code === 'unauthorized_client') return new AppError('OIDC_CLIENT_REJECTED');
  return new AppError('OIDC_RESPONSE_INVALID', { reason: `${code}${description ? `: ${description.slice(0, 160)}` : ''}` });
}
