/**
 * A background job of a server process (purges, prunes, roll-ups): `run` at once when `immediate`
 * (started before this returns; else after one interval), then `intervalMs` after each run ends — at once when it
 * answers `true` (a full batch: more is waiting). Never two runs at a time; a failure goes to
 * `onError` and the next run is scheduled as usual. The timers do not keep the process alive. The
 * returned function stops it and waits for a run under way.
 */
export function startPeriodic(options: {
  intervalMs: number;
  run: () => Promise<boolean | void>;
  onError?: (error: unknown) => void;
  immediate?: boolean;
}): () => Promise<void> {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | null = null;
  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(tick, delay);
    timer.unref();
  };
  function tick() {
    running = options
      .run()
      .then(
        (again) => again === true,
        (error: unknown) => {
          options.onError?.(error);
          return false;
        },
      )
      .then((again) => {
        running = null;
        schedule(again ? 0 : options.intervalMs);
      });
  }
  if (options.immediate) tick();
  else schedule(options.intervalMs);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
