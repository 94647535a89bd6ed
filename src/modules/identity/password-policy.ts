import { createRequire } from 'node:module';
import type * as ZxcvbnCore from '@zxcvbn-ts/core';
import type * as ZxcvbnCommon from '@zxcvbn-ts/language-common';
import { AppError } from '../../core/errors.ts';
import { MAX_PASSWORD_LENGTH } from './crypto.ts';
import { message } from '../../core/messages.ts';

/**
 * The password policy of every account (registration, password change, administrator and
 * staff creation): at least 10 characters, at most 128, and not guessable — zxcvbn's score
 * (0–4, an estimate of the guesses an attacker needs) of at least 3, about 10⁸ guesses, with
 * the common-password, name and keyboard lists and the account's own login and name as
 * words an attacker would try first. Length alone lets `password12` and `aaaaaaaaaa` through;
 * the score refuses them.
 */
export const MIN_PASSWORD_LENGTH = 10;
const MIN_PASSWORD_SCORE = 3;

export type PasswordProblem = 'too_short' | 'too_long' | 'guessable';

let estimator: ZxcvbnCore.ZxcvbnFactory | undefined;
/**
 * Loaded and built on first use (a password set or changed), not with every process: the two
 * packages are about a hundred files, and the dictionaries take a few tens of milliseconds to index.
 */
function zxcvbn(): ZxcvbnCore.ZxcvbnFactory {
  if (!estimator) {
    const require = createRequire(import.meta.url);
    const { ZxcvbnFactory } = require('@zxcvbn-ts/core') as typeof ZxcvbnCore;
    const { adjacencyGraphs, dictionary } = require('@zxcvbn-ts/language-common') as typeof ZxcvbnCommon;
    estimator = new ZxcvbnFactory({ dictionary: { ...dictionary }, graphs: adjacencyGraphs });
  }
  return estimator;
}

/** What is wrong with `password`, or null when it passes. `userInputs` are the account's login, name, phone… */
export function passwordProblem(password: string, userInputs: readonly string[] = []): PasswordProblem | null {
  if (password.length > MAX_PASSWORD_LENGTH) return 'too_long';
  if ([...password].length < MIN_PASSWORD_LENGTH) return 'too_short';
  const inputs = userInputs.map((s) => s.trim()).filter((s) => s.length > 0);
  return zxcvbn().check(password, inputs).score < MIN_PASSWORD_SCORE ? 'guessable' : null;
}

/** Throws WEAK_PASSWORD (with the reason) unless `password` passes the policy. */
export function checkPasswordPolicy(password: string, userInputs: readonly string[] = []): void {
  const problem = passwordProblem(password, userInputs);
  if (problem)
    throw new AppError(
      'WEAK_PASSWORD',
      { reason: message(`identity.password.${problem}`, { min: MIN_PASSWORD_LENGTH, max: MAX_PASSWORD_LENGTH }) },
      { reason: problem },
    );
}
