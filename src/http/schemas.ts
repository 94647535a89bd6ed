import { Type, type TSchema } from '@sinclair/typebox';
import { ERROR_CODES } from '../core/errors.ts';

/** The body of every error answer. */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.Union(Object.keys(ERROR_CODES).map((c) => Type.Literal(c))),
      message: Type.String({ description: 'In zh-CN, or in English when Accept-Language prefers en' }),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { $id: 'ErrorResponse', title: 'ErrorResponse' },
);

/** The error body by reference: one component in the OpenAPI document instead of a copy per route. */
export const ErrorResponseRef = Type.Ref(ErrorResponse);

/** Error statuses a route documents beside its success response. */
export function withErrors<T extends Record<number, TSchema>, const S extends number = 400 | 401 | 404 | 409>(
  ok: T,
  statuses: S[] = [400, 401, 404, 409] as NoInfer<S>[],
): T & { [K in S]: typeof ErrorResponseRef } {
  const errors: Record<number, typeof ErrorResponseRef> = {};
  for (const status of statuses) errors[status] = ErrorResponseRef;
  return { ...errors, ...ok };
}

export const Uuid = Type.String({ format: 'uuid' });
/** A value or null. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
export const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' });
export const IsoDateTime = Type.String({ format: 'date-time' });
/** Keyset pagination: an opaque cursor from the previous page, and a page size. */
export const PageQuery = {
  after: Type.Optional(Type.String({ maxLength: 200 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
};
