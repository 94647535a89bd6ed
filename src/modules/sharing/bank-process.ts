/** Starts the paying bank's system (`yiban bank serve`) as a child process, for tests and demos. */
import type { PaymentRailConfig } from '../../core/config.ts';
import type { BankStats } from './bank-server.ts';
import { startSignedServer, type RunningServer, type SignedServerSpec } from './department-process.ts';

export interface RunningBank extends RunningServer<BankStats> {
  /** The external payment rail that pins this bank. */
  rail(extra?: { timeoutMs?: number; attempts?: number }): Extract<PaymentRailConfig, { kind: 'external' }>;
}

export interface BankSpec extends SignedServerSpec {
  down?: boolean;
}

export async function startBank(spec: BankSpec): Promise<RunningBank> {
  const { running, pin } = await startSignedServer<BankStats>(spec, {
    command: 'bank',
    name: 'bank',
    keyIdPrefix: 'bank',
    args: () => (spec.down ? ['--down'] : []),
  });
  return { ...running, rail: pin };
}
