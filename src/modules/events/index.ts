/** The events module's public surface: other modules import from here only (npm run boundaries). */
export { type EventsService, type EventsDeps, createEventsService } from './events.service.ts';
export { type DomainEvent, type EventHandler, type HandlerContext, type StoredEvent, AlreadyHandled } from './handlers.ts';
export { type DeadLetter } from './dead-letters.ts';
export { type WorkerOptions, backoffMs } from './worker.ts';
export { eventsRoutes } from './events.routes.ts';
