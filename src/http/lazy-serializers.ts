import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';

/**
 * Fastify builds every route's response serializers (fast-json-stringify, each with an Ajv of its
 * own) while it starts: with the platform's few hundred routes that was about a third of the CPU
 * of a `yiban serve` start (about 2 of 5.6 s) and of every test app's build, before the first
 * request and for routes a node may never serve. Here Fastify's own serializer compiler builds
 * each one when its route first answers with that status, once: the same code serializes, only
 * later. (Validators stay Fastify's own, compiled at the start: a custom validator compiler would
 * change how Fastify treats header schemas.) A response schema that cannot be compiled would fail
 * its route's first answer instead of the start, so test/route-schemas.test.ts compiles them all
 * (`compileResponseSchemas`).
 */
const require = createRequire(import.meta.url);

type Serialize = (data: unknown) => string;
type BuildSerializer = (externalSchemas: unknown, options: unknown) => (routeSchema: unknown) => Serialize;
type SerializerFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildSerializer'];

const SerializerSelector = require('@fastify/fast-json-stringify-compiler') as () => BuildSerializer;

/** The serializers each app has not compiled yet. */
const pendingOf = new WeakMap<FastifyInstance, Set<() => Serialize>>();

/**
 * Fastify's default serializer factory (made per app, as Fastify makes it), each serializer
 * compiled on its first use. `attach(app)` records the app's pending ones for `compileResponseSchemas`.
 */
export function lazySerializers(): { buildSerializer: SerializerFactory; attach(app: FastifyInstance): void } {
  const build = SerializerSelector();
  const pending = new Set<() => Serialize>();
  const buildSerializer: BuildSerializer = (externalSchemas, options) => {
    const compiler = build(externalSchemas, options);
    return (routeSchema) => {
      let serialize: Serialize | undefined;
      const get = () => {
        if (!serialize) {
          serialize = compiler(routeSchema);
          pending.delete(get);
        }
        return serialize;
      };
      pending.add(get);
      return (data) => get()(data);
    };
  };
  return { buildSerializer, attach: (app) => pendingOf.set(app, pending) };
}

/** Compiles every response serializer of the app not compiled yet (after `ready()`), throwing the first failure; returns how many. */
export function compileResponseSchemas(app: FastifyInstance): number {
  const pending = [...(pendingOf.get(app) ?? [])];
  for (const get of pending) get();
  return pending.length;
}
