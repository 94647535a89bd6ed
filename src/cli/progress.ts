import cliProgress from 'cli-progress';

/** A progress bar on a terminal, plain lines elsewhere (CI logs, pipes). */
export function createProgress(label: string): { update(done: number, total: number): void; stop(): void } {
  if (!process.stderr.isTTY) {
    let lastShown = -1;
    return {
      update(done, total) {
        const percent = total > 0 ? Math.floor((done / total) * 10) * 10 : 100;
        if (percent !== lastShown) {
          lastShown = percent;
          process.stderr.write(`${label}: ${done.toLocaleString('en')} / ${total.toLocaleString('en')} (${percent}%)\n`);
        }
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% {value}/{total} ETA {eta_formatted}`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, done);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
