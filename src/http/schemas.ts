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
/** Path and query parameters each have a shape (test/openapi-params.test.ts checks it); these are the shared ones. */
export const UuidParams = Type.Object({ id: Uuid });
/** A division code (2/4/6/9/12 digits), a department's code or a unified social credit code (18 characters). */
export const ORG_CODE_PATTERN = '^[0-9A-Za-z]{2,18}$';
/** A catalogue code: a service item, a dataset, a bundle, a category (`cert.residence`, `ps.household_register`). */
export const CODE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';
export const OrgCodeParam = Type.String({ pattern: ORG_CODE_PATTERN, description: '机构代码（行政区划代码或统一社会信用代码）' });
export const CodeParam = Type.String({ pattern: CODE_PATTERN, maxLength: 64 });
/** A value or null. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
export const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' });
export const IsoDateTime = Type.String({ format: 'date-time' });
/** Keyset pagination: an opaque cursor from the previous page, and a page size. */
export const PageQuery = {
  after: Type.Optional(Type.String({ maxLength: 200, pattern: '^[A-Za-z0-9_-]*$' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
};
