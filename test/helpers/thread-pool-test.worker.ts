/**
 * A worker thread entry for test/unit/thread-pool.test.ts: answers, fails, dies and hangs on request.
 */
import { Invalid } from '../../src/errors.js';
import { serveThread } from '../../src/adapters/thread-pool.js';
import { threadId } from 'node:worker_threads';

serveThread({
  echo: (args: unknown) => ({ value: { args, threadId } }),
  bytes: ({ n }: { n: number }) => {
    const data = new Uint8Array(n).fill(7);
    return { value: data, transfer: [data.buffer] };
  },
  invalid: () => {
    throw new Invalid('not like that', { field: 'x' }, 'bad_thing');
  },
  fail: () => {
    throw new RangeError('out of range');
  },
  exit: () => process.exit(3),
  hang: () => {
    for (;;);
  },
  sleep: ({ ms }: { ms: number }) => new Promise((r) => setTimeout(() => r({ value: ms }), ms)),
});
