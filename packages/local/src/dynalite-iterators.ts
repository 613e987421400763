/**
 * dynalite 4 reads Query and Scan results through a Readable over an abstract-level iterator, and closes the
 * iterator when the stream ends by calling `iterator.return()`. abstract-level 3 iterators have no `return()`
 * (they close with `close()`), so no iterator is ever closed: each stays in its database's open resources, holding
 * the in-memory tree as it was when the read started. Every Query and Scan thus pins a version of the whole store,
 * and the DynamoDB emulator's memory grows with the number of reads × the writes since (a 100-run fleet: ~950
 * open iterators, ~110 MB of retained buffers).
 *
 * `closeLeakedIterators()` gives the iterator classes of the abstract-level copy dynalite uses the `return()`
 * dynalite expects (closing the iterator), once per process; it does nothing if they already have one.
 */
import { dirname } from 'node:path';

interface Closable {
  close(): Promise<void>;
  return?: () => Promise<IteratorReturnResult<undefined>>;
}

let installed = false;

export function closeLeakedIterators(): void {
  if (installed) return;
  installed = true;
  try {
    // The copy memory-level (dynalite's store) resolves, not whichever another package would get.
    const dynalite = require.resolve('dynalite');
    const memoryLevel = require.resolve('memory-level', { paths: [dirname(dynalite)] });
    const abstractLevel = require.resolve('abstract-level', { paths: [dirname(memoryLevel)] });
    const { AbstractIterator, AbstractKeyIterator, AbstractValueIterator } = require(abstractLevel) as Record<
      string,
      { prototype: Closable }
    >;
    for (const cls of [AbstractIterator, AbstractKeyIterator, AbstractValueIterator]) {
      if (!cls || typeof cls.prototype.close !== 'function' || 'return' in cls.prototype) continue;
      Object.defineProperty(cls.prototype, 'return', {
        configurable: true,
        writable: true,
        value(this: Closable) {
          return this.close().then(() => ({ done: true as const, value: undefined }));
        },
      });
    }
  } catch (err) {
    // A dynalite without this layout: nothing to fix (or nothing we know how to).
    console.error('[local-stack] could not patch the DynamoDB emulator iterators', err);
  }
}
