import { describe, expect, it } from 'vitest';
import { startPeriodic } from './periodic.ts';

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
};

describe('a periodic job', () => {
  it('runs at once when asked, again at once while a run says more is waiting, never two runs at a time; stop waits for the run', async () => {
    let runs = 0;
    let active = 0;
    let most = 0;
    const stop = startPeriodic({
      intervalMs: 3_600_000,
      immediate: true,
      run: async () => {
        runs++;
        most = Math.max(most, ++active);
        await new Promise((r) => setTimeout(r, 1));
        active--;
        return runs < 3; // two full batches, then nothing waiting: the next run is an hour away
      },
    });
    await until(() => runs === 3 && active === 0);
    await stop();
    expect({ runs, most }).toEqual({ runs: 3, most: 1 });
  });

  it('reports a failed run and goes on with the next', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const stop = startPeriodic({
      intervalMs: 1,
      run: async () => {
        if (++runs === 1) throw new Error('database away');
      },
      onError: (e) => errors.push(e),
    });
    await until(() => runs >= 2);
    await stop();
    expect(errors.map((e) => (e as Error).message)).toEqual(['database away']);
    const after = runs;
    await new Promise((r) => setTimeout(r, 20));
    expect(runs).toBe(after); // stopped: no run after stop returned
  });
});
