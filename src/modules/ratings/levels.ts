import type { Bilingual } from '../../core/messages.ts';
import type { RatingChannel, Rerating } from './ratings.tables.ts';

/** The five levels of 国办发〔2019〕51号, from 5 (best) to 1. */
export const LEVELS: Readonly<Record<number, Bilingual>> = {
  5: { zh: '非常满意', en: 'very satisfied' },
  4: { zh: '满意', en: 'satisfied' },
  3: { zh: '基本满意', en: 'fairly satisfied' },
  2: { zh: '不满意', en: 'dissatisfied' },
  1: { zh: '非常不满意', en: 'very dissatisfied' },
};

/** 差评: 不满意 and 非常不满意. */
export const isBad = (level: number): boolean => level <= 2;

/** The online sub-indicators (网上办事) of 51号文. */
export const ONLINE_INDICATORS = {
  efficiency: { zh: '办事效率', en: 'efficiency' },
  guideAccuracy: { zh: '办事指南精确度', en: 'accuracy of the service guide' },
  convenience: { zh: '办事便捷度', en: 'convenience' },
  usability: { zh: '平台操作性', en: 'ease of use of the platform' },
} as const satisfies Record<string, Bilingual>;

/** The offline sub-indicators (窗口、帮办) of 51号文. */
export const OFFLINE_INDICATORS = {
  serviceEfficiency: { zh: '服务效率', en: 'efficiency of service' },
  serviceLevel: { zh: '服务水平', en: 'quality of service' },
  serviceAttitude: { zh: '服务态度', en: 'attitude' },
} as const satisfies Record<string, Bilingual>;

export type IndicatorSet = 'online' | 'offline';

/** The sub-indicators of how the service was given (not of the medium the rating came through: an SMS rating of a window visit scores the window). */
export function indicatorSetOf(servedThrough: string): IndicatorSet {
  return servedThrough === 'window' || servedThrough === 'helper' ? 'offline' : 'online';
}

export function indicatorNames(set: IndicatorSet): readonly string[] {
  return Object.keys(set === 'online' ? ONLINE_INDICATORS : OFFLINE_INDICATORS);
}

/** The channel a logged-in rating comes through: a helper acting for the resident, a kiosk session, or the app. */
export function channelOfSession(principal: { actingFor?: unknown; sessionChannel: string }): RatingChannel {
  if (principal.actingFor) return 'helper';
  return principal.sessionChannel === 'kiosk' ? 'kiosk' : 'app';
}

export const RERATINGS: Readonly<Record<Rerating, Bilingual>> = {
  satisfied: { zh: '满意', en: 'satisfied' },
  basically_satisfied: { zh: '基本满意', en: 'fairly satisfied' },
  dissatisfied: { zh: '不满意', en: 'dissatisfied' },
};
