import { ALL_CHANNELS, type ServiceItemDef } from './service-item-def.ts';

type RateItem = Pick<ServiceItemDef, 'online' | 'channels'>;

/**
 * 全程网办: handled online from application to result (`online`), offered in every channel the
 * catalogue knows (the app, a kiosk, a window, a helper: online does not take the window away).
 * A material the platform cannot fetch is uploaded, not shown at a counter.
 */
export function isFullyOnline(item: RateItem): boolean {
  return item.online && ALL_CHANNELS.every((c) => item.channels.includes(c));
}

/**
 * 网办可办率: the share of items fully online, as a count and a rate in [0, 1] (0 for no items),
 * e.g. over the 43 medical insurance services (INSURANCE_SERVICE_CODES).
 */
export function onlineRate(items: readonly RateItem[]): { items: number; online: number; rate: number } {
  const online = items.filter(isFullyOnline).length;
  return { items: items.length, online, rate: items.length === 0 ? 0 : online / items.length };
}
