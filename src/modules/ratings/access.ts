import { AppError } from '../../core/errors.ts';
import { can, type Principal, type StaffAction } from '../identity/index.ts';
import { notFoundOf } from './messages.ts';
import type { Bilingual } from '../../core/messages.ts';

/**
 * Staff access to something of the org at `orgPath`: a caller who may not even see it gets a 404
 * (no existence leak); one who sees it (rating.view, or the action itself) but may not do `action`
 * gets FORBIDDEN.
 */
export function requireStaffAction(principal: Principal, action: StaffAction, orgPath: string, what: Bilingual): void {
  if (can(principal, action, { orgPath })) return;
  if (can(principal, 'rating.view', { orgPath })) throw new AppError('FORBIDDEN');
  throw notFoundOf(what);
}
