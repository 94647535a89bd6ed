import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { withErrors } from './schemas.ts';
import { message } from '../core/messages.ts';

export const PlatformInfo = Type.Object(
  {
    name: Type.Object({ zh: Type.String(), en: Type.String() }),
    /** Demo mode: demo accounts with a published password and made-up data (the web apps show a banner). */
    demo: Type.Boolean(),
    /** No platform administrator yet: the console offers 首次设置 with the token printed at start. */
    needsBootstrap: Type.Boolean(),
    /** A province node that lets residents log in with their national account (the hub's OpenID Connect): the resident app shows the button. */
    oidcLogin: Type.Boolean(),
  },
  { $id: 'PlatformInfo', title: 'PlatformInfo' },
);

/** `GET /api/platform`: what every web app needs before anything else; nothing secret. */
export function platformRoutes(deps: {
  demo: boolean;
  needsBootstrap: () => Promise<boolean>;
  oidcLogin?: boolean;
}): FastifyPluginAsyncTypebox {
  return (app) => {
    app.get(
      '/platform',
      {
        schema: {
          tags: ['platform'],
          summary: '平台信息（是否演示模式）· platform information (demo mode)',
          security: [],
          response: withErrors({ 200: PlatformInfo }, []),
        },
      },
      async () => ({
        name: message('platform.name'),
        demo: deps.demo,
        needsBootstrap: await deps.needsBootstrap(),
        oidcLogin: deps.oidcLogin ?? false,
      }),
    );
    return Promise.resolve();
  };
}
