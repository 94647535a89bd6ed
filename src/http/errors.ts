import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, formatMessage, pickLang, type ErrorCode, type Lang } from '../core/errors.ts';
import { message } from '../core/messages.ts';

interface AjvIssue {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** Maps any error to the stable body `{ error: { code, message } }` in the caller's language. */
export function handleError(error: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const lang = pickLang(request.headers['accept-language']);
  const appError = toAppError(error, lang);
  if (appError.code === 'INTERNAL') request.log.error({ err: error }, 'unhandled error');
  const body: ErrorBody = { error: { code: appError.code, message: formatMessage(appError.code, appError.params, lang) } };
  if (appError.details !== undefined) body.error.details = appError.details;
  return reply.status(appError.status).type('application/json; charset=utf-8').send(body);
}

function toAppError(error: FastifyError | AppError | Error, lang: Lang): AppError {
  if (error instanceof AppError) return error;
  const fe = error as FastifyError & { validation?: AjvIssue[]; validationContext?: string };
  if (fe.validation) {
    const issues = fe.validation.map((issue) => describeIssue(issue, fe.validationContext ?? 'body', lang));
    return new AppError('VALIDATION_FAILED', { detail: issues.join(lang === 'en' ? '; ' : '；') }, issues);
  }
  const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) return mapped();
  if (error instanceof SyntaxError && fe.statusCode === 400) return new AppError('MALFORMED_JSON');
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new AppError('VALIDATION_FAILED', { detail: fe.message });
  }
  if (isDatabaseBusy(error)) return new AppError('DATABASE_BUSY');
  return new AppError('INTERNAL');
}

/** Fastify's own request errors, by its error code. */
const FASTIFY_CODES: Record<string, () => AppError> = {
  FST_ERR_CTP_INVALID_JSON_BODY: () => new AppError('MALFORMED_JSON'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => new AppError('VALIDATION_FAILED', { detail: message('http.bodyEmpty') }),
  FST_ERR_CTP_BODY_TOO_LARGE: () => new AppError('PAYLOAD_TOO_LARGE'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => new AppError('UNSUPPORTED_MEDIA_TYPE'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => new AppError('VALIDATION_FAILED', { detail: message('http.contentLength') }),
};

function isDatabaseBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  // serialization failure, deadlock, too many connections, lock timeout
  return code === '40001' || code === '40P01' || code === '53300' || code === '55P03';
}

function describeIssue(issue: AjvIssue, context: string, lang: Lang): string {
  const where = `${context}${issue.instancePath ?? ''}`.replace(/\//g, '.');
  const p = issue.params ?? {};
  const zh = lang !== 'en';
  switch (issue.keyword ?? '') {
    case 'required':
      return zh ? `缺少必填字段 ${where}.${String(p.missingProperty)}` : `${where}.${String(p.missingProperty)} is required`;
    case 'additionalProperties':
      return zh ? `不允许的字段 ${where}.${String(p.additionalProperty)}` : `unknown field ${where}.${String(p.additionalProperty)}`;
    case 'type':
      return zh ? `${where} 类型应为 ${String(p.type)}` : `${where} must be ${String(p.type)}`;
    case 'enum':
      return zh
        ? `${where} 取值应为 ${JSON.stringify(p.allowedValues)} 之一`
        : `${where} must be one of ${JSON.stringify(p.allowedValues)}`;
    case 'pattern':
    case 'format':
      return zh ? `${where} 格式不正确` : `${where} has the wrong format`;
    case 'maxLength':
      return zh ? `${where} 最多 ${String(p.limit)} 个字符` : `${where} must have at most ${String(p.limit)} characters`;
    case 'minLength':
      return zh ? `${where} 至少 ${String(p.limit)} 个字符` : `${where} must have at least ${String(p.limit)} characters`;
    case 'maximum':
    case 'minimum':
      return zh ? `${where} 超出允许范围` : `${where} is out of range`;
    default:
      return zh ? `${where} 不符合要求` : `${where} ${issue.message ?? 'is invalid'}`;
  }
}
