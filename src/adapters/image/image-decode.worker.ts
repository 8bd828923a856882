/**
 * An image thread of image-threads.ts: sharp's decoding and scaling of page images, each page
 * returned in shared memory, off the service's main thread and its heap.
 */
import { serveThread } from '../thread-pool.js';
import { decodePageJpegHere } from '../pdf/scanned-page.js';
import { decodePageHere, resizeGreyHere } from './image-pages.js';

serveThread({
  async decode(a: Parameters<typeof decodePageHere>[0]) {
    return { value: await decodePageHere(a) };
  },
  async resize(a: Parameters<typeof resizeGreyHere>[0]) {
    return { value: await resizeGreyHere(a) };
  },
  async decodeJpeg(a: Parameters<typeof decodePageJpegHere>[0]) {
    return { value: await decodePageJpegHere(a) };
  },
});
