/**
 * A reader thread of barcode-reader.ts (src/adapters/thread-pool.ts): reads codes from the grey
 * pixels it is given, so ZXing's passes never hold the service's event loop.
 */
import { serveThread } from '../thread-pool.js';
import { createReaderInThisThread, type GreyImage, type ReadOptions } from './barcode-reader.js';

const reader = createReaderInThisThread();

serveThread({
  async read({ image, opts }: { image: GreyImage; opts: ReadOptions }) {
    return { value: await reader.read(image, opts) };
  },
});
