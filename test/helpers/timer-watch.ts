/**
 * Runs `work` while a 5 ms timer ticks, and tells how long the work took, the longest wait
 * between two ticks and `held`, the sum of every tick's lateness: work done off the event loop
 * leaves the timer ticking, work done on it does not. One block of work shows as a long `gap`;
 * work that yields often (pdfjs between pages) as a short gap but a `held` near the whole work.
 *
 *     const { value, took, gap, held } = await watchTimers(() => reader.read(page));
 *     assert.ok(gap < took / 4);
 */
export async function watchTimers<T>(work: () => Promise<T>): Promise<{ value: T; took: number; gap: number; held: number }> {
  let last = performance.now();
  let gap = 0;
  let held = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    gap = Math.max(gap, now - last);
    held += Math.max(0, now - last - 5);
    last = now;
  }, 5);
  const started = performance.now();
  try {
    const value = await work();
    return { value, took: performance.now() - started, gap, held };
  } finally {
    clearInterval(timer);
  }
}
