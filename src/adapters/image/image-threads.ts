/**
 * Decoding and scaling page images with sharp, in worker threads (image-decode.worker.ts).
 * sharp hands its pixels back as native buffers, which V8 frees only in a full collection of the
 * heap they land in: on the service's main thread a batch of scans brought one about every page
 * (30-60 ms of the event loop, as much again of marking on the other cores, over a 35-95 MB heap:
 * issue 15). In a thread they are copied into shared memory and dropped, and the thread's own
 * small heap takes the collections; the page comes back shared (sharedPixels), nothing copied.
 */
import { ThreadPool } from '../thread-pool.js';

const imageThreads = new ThreadPool(new URL('./image-decode.worker.js', import.meta.url), { background: true });

/**
 * Threads of the same kind for a page a request waits for (a thumbnail drawn on demand), as
 * pdf-render.ts has for rendering: it must not queue behind the pages ingest jobs asked the image
 * threads for first (a thread answers its calls in order), and it runs at normal priority.
 */
const requestThreads = new ThreadPool(new URL('./image-decode.worker.js', import.meta.url), {});

/** A page that has not decoded in this long is stuck: its thread is ended. A 600 dpi A4 page takes ~0.3 s. */
const DECODE_TIMEOUT_MS = 120_000;

/**
 * One call of image-decode.worker.ts; `forRequest`: on the threads for requests (see requestThreads).
 * @example const page = await inImageThread<GreyImage>('resize', { image, width: 1654 });
 */
export function inImageThread<T>(op: string, args: Record<string, unknown>, opts: { forRequest?: boolean } = {}): Promise<T> {
  return (opts.forRequest ? requestThreads : imageThreads).run<T>(op, args, { timeoutMs: DECODE_TIMEOUT_MS });
}
