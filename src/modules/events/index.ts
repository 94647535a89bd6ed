/** The events module's public surface: other modules import from here only (npm run boundaries). */
export { type EventsService, createEventsService } from './events.service.ts';
export { type EventHandler, type StoredEvent } from './handlers.ts';
export { eventsRoutes } from './events.routes.ts';
export { type OutboxTopicGauges, readOutboxGauges } from './outbox-gauges.ts';
