/**
 * Where an ingest's time goes, stage by stage (issue 15). Stages of different pages overlap, so
 * the per-stage sums can exceed the job's wall time: they say what each stage costs, the wall
 * time says what the overlap saved.
 */
export type StageTimings = Record<string, number>;

/** Adds `ms` to a stage's running total. */
export function addStage(t: StageTimings, stage: string, ms: number): void {
  t[stage] = (t[stage] ?? 0) + ms;
}

/**
 * Times `work` into `stage`.
 * @example const text = await timed(stages, 'preflight', () => extractPdfText(bytes));
 */
export async function timed<T>(t: StageTimings, stage: string, work: () => Promise<T> | T): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    addStage(t, stage, performance.now() - started);
  }
}

/** Whole milliseconds for the log line; counters (ocrPasses) pass through. */
export function roundedStages(t: StageTimings): StageTimings {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(v)]));
}
