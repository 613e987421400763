/** Timers in simulated seconds (divided by `timeScale`); `clear()` cancels everything still pending. */
export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly timeScale: number) {
    if (!(timeScale > 0)) throw new Error('timeScale must be > 0');
  }

  /** Real milliseconds for `seconds` of simulated time. */
  ms(seconds: number): number {
    return (seconds * 1000) / this.timeScale;
  }

  after(seconds: number, fn: () => void): void {
    this.afterMs(this.ms(seconds), fn);
  }

  afterMs(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      try {
        fn();
      } catch (err) {
        console.error('[rds-simulator] scheduled step failed', err);
      }
    }, ms);
    this.timers.add(timer);
  }

  /** Runs `steps` one after another, each after its own delay in simulated seconds. */
  sequence(steps: [seconds: number, run: () => void][]): void {
    const [first, ...rest] = steps;
    if (!first) return;
    this.after(first[0], () => {
      first[1]();
      this.sequence(rest);
    });
  }

  clear(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
