/** The ratings module's public surface: other modules import from here only (npm run boundaries). */
export { createPublicFigures, type PublicFigures } from './figures.ts';
export { publicFiguresRoutes } from './figures.routes.ts';
export { decodeRatingLeaf, type RatingLeaf } from './leaf.ts';
export { ratingsRoutes } from './ratings.routes.ts';
export { type RatingsService, createRatingsService, setRatingPolicy } from './ratings.service.ts';
export { takeCountDeltas, type RatingCountDelta } from './counted.ts';
