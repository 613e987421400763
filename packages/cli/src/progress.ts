/**
 * Progress of `--wait` on stderr: a spinner line rewritten in place on a terminal, plain lines otherwise (a pipe, a
 * file, `CI=true`, `TERM=dumb`), so logs stay readable. Written here rather than taken from a spinner package:
 * nanospinner and ora decide on stdout's terminal (ours is stderr, and stdout is often piped to jq) and install
 * their own SIGINT handlers.
 */

export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  /** The terminal's width: a redrawn line must not wrap (only its last row would be cleared). */
  columns?: number;
}

export interface Progress {
  /** The current state. On a terminal it replaces the spinner line; otherwise it is printed when `key` changes. */
  status(text: string, key?: string): void;
  /** A line that stays (a step reached). */
  line(text: string): void;
  /** Clears the spinner line; call before the final lines. */
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR = '\r\x1b[2K';

/** Whether progress may redraw a line: a terminal, not CI, not a dumb terminal. */
export const isInteractive = (stream: ProgressStream, env: NodeJS.ProcessEnv): boolean =>
  stream.isTTY === true && !(env.CI && env.CI !== 'false') && env.TERM !== 'dumb';

export const createProgress = (
  stream: ProgressStream,
  env: NodeJS.ProcessEnv = process.env,
  frameMs = 100,
): Progress => {
  if (!isInteractive(stream, env)) {
    let lastKey: string | undefined;
    return {
      status: (text, key = text) => {
        if (key === lastKey) return;
        lastKey = key;
        stream.write(`${text}\n`);
      },
      line: (text) => {
        stream.write(`${text}\n`);
      },
      stop: () => undefined,
    };
  }
  let frame = 0;
  let current = '';
  const render = () => {
    if (!current) return;
    const width = stream.columns && stream.columns > 10 ? stream.columns - 3 : Number.POSITIVE_INFINITY;
    const text = current.length > width ? `${current.slice(0, width - 1)}…` : current;
    stream.write(`${CLEAR}${FRAMES[frame % FRAMES.length]} ${text}`);
  };
  const timer = setInterval(() => {
    frame++;
    render();
  }, frameMs);
  timer.unref();
  return {
    status: (text) => {
      current = text;
      render();
    },
    line: (text) => {
      stream.write(`${CLEAR}${text}\n`);
      render();
    },
    stop: () => {
      clearInterval(timer);
      if (current) stream.write(CLEAR);
      current = '';
    },
  };
};
