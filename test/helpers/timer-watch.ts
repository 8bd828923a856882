/**
 * Runs `work` while a 5 ms timer ticks, and tells how long the work took and the longest wait
 * between two ticks: work done off the event loop leaves the timer ticking, work done on it does
 * not (the longest wait is then most of the work).
 *
 *     const { value, took, gap } = await watchTimers(() => reader.read(page));
 *     assert.ok(gap < took / 4);
 */
export async function watchTimers<T>(work: () => Promise<T>): Promise<{ value: T; took: number; gap: number }> {
  let last = performance.now();
  let gap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    gap = Math.max(gap, now - last);
    last = now;
  }, 5);
  const started = performance.now();
  try {
    const value = await work();
    return { value, took: performance.now() - started, gap };
  } finally {
    clearInterval(timer);
  }
}
