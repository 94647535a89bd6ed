import { Type } from '@sinclair/typebox';
import { IsoDateTime, Nullable, Uuid } from '../../http/schemas.ts';

const Bilingual = Type.Object({ zh: Type.String(), en: Type.String() });

const InboxMessageSchema = Type.Object(
  {
    id: Uuid,
    kind: Type.String({ description: '通知类别，如 benefit.granted / the notice kind, e.g. benefit.granted' }),
    title: Bilingual,
    body: Bilingual,
    link: Nullable(Type.String({ description: '居民端页面路径 / a path in the resident app' })),
    data: Type.Record(Type.String(), Type.Unknown(), { description: 'Small facts for the page (e.g. amountFen)' }),
    createdAt: IsoDateTime,
    readAt: Nullable(IsoDateTime),
  },
  { $id: 'InboxMessage', title: 'InboxMessage' },
);

export const InboxPageSchema = Type.Object(
  {
    items: Type.Array(InboxMessageSchema),
    unreadCount: Type.Integer({ minimum: 0 }),
    next: Nullable(Type.String({ description: 'The cursor of the next page, or null at the end' })),
  },
  { $id: 'InboxPage', title: 'InboxPage' },
);

export const InboxQuery = Type.Object(
  {
    cursor: Type.Optional(Type.String({ maxLength: 200, pattern: '^[A-Za-z0-9_-]*$', description: 'The previous page’s next' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  },
  { additionalProperties: false },
);

export const InboxReadSchema = Type.Object(
  { id: Uuid, readAt: IsoDateTime, unreadCount: Type.Integer({ minimum: 0 }) },
  { $id: 'InboxRead', title: 'InboxRead' },
);
