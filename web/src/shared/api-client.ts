/**
 * The typed client every web app's API object is made from: openapi-fetch over the paths generated
 * from docs/openapi.json (api-types.ts, `npm run gen:client`), with the page's language, account
 * and on-behalf-of headers, the session cookie (same origin), and errors as ApiError with the
 * server's stable code and its message in the page's language.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './api-types.ts';
import type { Lang } from './i18n.tsx';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * The session travels as the server's HttpOnly cookie (same origin only), never as a token that
 * page scripts could read; writes carry the page's Origin, which the server checks.
 */
export interface ApiOptions {
  lang: () => Lang;
  /**
   * The account this page shows (X-Yiban-Account): the browser's one session cookie may have been
   * replaced by a login in another tab, and the server then answers 401 rather than act as that account.
   */
  account?: () => string | null;
  /** The resident a helper acts for (X-On-Behalf-Of). */
  onBehalfOf?: () => string | null;
  /** Called on 401 so the app can return to its login page. */
  onUnauthorized?: () => void;
}

type Answer<D> = { data?: D; error?: unknown; response: Response };

function toApiError(response: Response, body: unknown): ApiError {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null | undefined)?.error;
  return new ApiError(
    response.status,
    typeof error?.code === 'string' ? error.code : 'HTTP_ERROR',
    typeof error?.message === 'string' ? error.message : `${response.status} ${response.statusText}`,
  );
}

/** The client and its unwrapping of answers (`ok`: the body, or an ApiError). */
export function createTypedClient(options: ApiOptions) {
  // Late-bound fetch: tests and the kiosk may replace globalThis.fetch after the client is made.
  const client = createClient<paths>({ credentials: 'same-origin', fetch: (request) => globalThis.fetch(request) });
  const headers: Middleware = {
    onRequest({ request }) {
      request.headers.set('accept-language', options.lang() === 'en' ? 'en' : 'zh-CN');
      const account = options.account?.();
      if (account) request.headers.set('x-yiban-account', account);
      const behalf = options.onBehalfOf?.();
      if (behalf) request.headers.set('x-on-behalf-of', behalf);
      return request;
    },
  };
  client.use(headers);

  /** The answer's body, or an ApiError (and, on 401, the app's onUnauthorized). */
  async function ok<D>(pending: Promise<Answer<D>>): Promise<D> {
    const { data, error, response } = await pending;
    if (!response.ok) {
      if (response.status === 401) options.onUnauthorized?.();
      throw toApiError(response, error);
    }
    return data as D;
  }
  return { client, ok };
}

/** The JSON answer (200) of a path's method, from the generated types. */
export type Json<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: { 200: { content: { 'application/json': infer T } } };
}
  ? T
  : never;
