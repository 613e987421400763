/**
 * What the metrics module writes: the EMF lines a flush prints on stdout, taken off the test's own output.
 */
import { flushMetrics, resetMetrics } from '../src/metrics';

/** What `run` writes to stdout while it runs (not shown), line by line. */
export const stdoutLinesOf = (run: () => void): string[] => {
  const chunks: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    run();
  } finally {
    write.mockRestore();
  }
  return chunks
    .join('')
    .split('\n')
    .filter((l) => l.length > 0);
};

/** The EMF lines the metrics module writes, on stage `stage`, for what `record` records (nothing else pending). */
export const emfLinesOf = (record: () => void, stage: string): string[] => {
  resetMetrics();
  try {
    record();
    return stdoutLinesOf(() => flushMetrics(undefined, { TRAPHEUS_STAGE: stage }));
  } finally {
    resetMetrics();
  }
};
