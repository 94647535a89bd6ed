import { Type } from '@sinclair/typebox';
import { IsoDateTime, Nullable } from '../../http/schemas.ts';

const DeadLetterSchema = Type.Object(
  {
    id: Type.Integer(),
    topic: Type.String(),
    payload: Type.Record(Type.String(), Type.Unknown(), { description: 'The ids and codes the event carries (never personal data)' }),
    attempts: Type.Integer(),
    lastError: Nullable(Type.String()),
    createdAt: IsoDateTime,
    deadAt: IsoDateTime,
  },
  { $id: 'DeadLetter', title: 'DeadLetter' },
);

export const DeadLetterList = Type.Object({ items: Type.Array(DeadLetterSchema) }, { $id: 'DeadLetterList', title: 'DeadLetterList' });

export const DeadLetterQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Page on: events with a smaller id' })),
});

/** Events are numbered by the outbox's sequence (not a uuid). */
export const EventIdParams = Type.Object({ eventId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
