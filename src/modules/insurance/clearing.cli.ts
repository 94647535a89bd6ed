import type { Command } from 'commander';
import type { InsuranceAdmin } from './insurance.service.ts';
import { yuan } from './statement.ts';

/** What the insurance commands need of the platform. */
export interface ClearingPlatform {
  services: { insuranceAdmin: Pick<InsuranceAdmin, 'clearMonth'> };
  close(): Promise<void>;
}

/** `yiban insurance clear --month YYYY-MM`: the month-end clearing (清算) of every pair of pooling regions, under the `insurance` command. */
export function addClearCommand(insurance: Command, openPlatform: () => Promise<ClearingPlatform>): void {
  insurance
    .command('clear')
    .description('月度清算：按就医地与参保地汇总已结算费用、列出对账差异并出具清算单 clear a month between pooling regions')
    .requiredOption('--month <YYYY-MM>', 'the month (China time) to clear')
    .option('--no-seal', 'store the totals without sealing the clearing statements')
    .option('--json', 'print the result as JSON')
    .action(async (options: { month: string; seal: boolean; json?: boolean }) => {
      const platform = await openPlatform();
      try {
        const result = await platform.services.insuranceAdmin.clearMonth(options.month, { seal: options.seal });
        if (options.json) {
          console.log(JSON.stringify(result, null, 2));
          return;
        }
        for (const p of result.pairs) {
          const t = p.totals;
          console.log(
            `${p.treatmentRegion} → ${p.insuranceRegion}: ${t.count} 笔 settlements, 总额 total ${yuan(t.totalFen)}, 基金 fund ${yuan(t.fundFen)}, 账户 account ${yuan(t.accountFen)}, 现金 cash ${yuan(t.cashFen)}; 差异 discrepancies ${p.discrepancies.length}${p.certificateId ? `; 清算单 statement ${p.certificateId}` : ''}`,
          );
        }
        console.log(
          `${options.month}: ${result.pairs.length} pairs cleared in ${result.millis.total.toFixed(0)} ms (sums ${result.millis.sum.toFixed(0)} ms)`,
        );
      } finally {
        await platform.close();
      }
    });
}
