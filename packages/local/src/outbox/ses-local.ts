import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import startAwsSesV2Local from 'aws-ses-v2-local';

/** An e-mail captured by aws-ses-v2-local. */
export interface CapturedEmail {
  messageId: string;
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo: string[];
  subject: string;
  html?: string;
  text?: string;
  /** Epoch seconds. */
  at: number;
}

export interface SesLocalOptions {
  /** 0 (default): any free port on 127.0.0.1. */
  port?: number;
}

export interface SesLocal {
  /** `http://127.0.0.1:<port>`: the SES (v1 and v2) endpoint, `AWS_ENDPOINT_URL_SESV2` / `AWS_ENDPOINT_URL_SES`. */
  url: string;
  /** The captured e-mails, oldest first. */
  emails(): Promise<CapturedEmail[]>;
  clear(): Promise<void>;
  stop(): Promise<void>;
}

interface StoredEmail {
  messageId: string;
  from: string;
  replyTo?: string[];
  destination?: { to?: string[]; cc?: string[]; bcc?: string[] };
  subject: string;
  body?: { html?: string; text?: string };
  at: number;
}

// aws-ses-v2-local keeps its store in a module-level variable: one running instance per process.
let running = false;

/**
 * Starts aws-ses-v2-local in this process on 127.0.0.1 (its own server factory). Its store is per process,
 * so only one instance may run at a time; a second start is refused rather than sharing mail silently.
 *
 * @example
 * const ses = await startSesLocal({});
 * // SESv2Client({ endpoint: ses.url }).send(new SendEmailCommand(…))
 * (await ses.emails())[0].subject;
 * await ses.stop();
 */
export const startSesLocal = async (opts: SesLocalOptions = {}): Promise<SesLocal> => {
  if (running) {
    throw new Error('aws-ses-v2-local is already running in this process (its mail store is per process)');
  }
  running = true;
  let server: Server;
  try {
    server = await startAwsSesV2Local({ host: '127.0.0.1', port: opts.port ?? 0 });
  } catch (err) {
    running = false;
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  let stopped = false;

  const clear = async () => {
    const res = await fetch(`${url}/clear-store`, { method: 'POST' });
    if (!res.ok) throw new Error(`aws-ses-v2-local /clear-store answered ${res.status}`);
  };
  // A fresh store for this instance (a previous one in this process may have left mail behind).
  await clear();

  return {
    url,
    emails: async () => {
      const res = await fetch(`${url}/store`);
      if (!res.ok) throw new Error(`aws-ses-v2-local /store answered ${res.status}`);
      const store = (await res.json()) as { emails: StoredEmail[] };
      return store.emails.map((e) => ({
        messageId: e.messageId,
        from: e.from,
        to: e.destination?.to ?? [],
        cc: e.destination?.cc ?? [],
        bcc: e.destination?.bcc ?? [],
        replyTo: e.replyTo ?? [],
        subject: e.subject,
        ...(e.body?.html !== undefined ? { html: e.body.html } : {}),
        ...(e.body?.text !== undefined ? { text: e.body.text } : {}),
        at: e.at,
      }));
    },
    clear,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      running = false;
    },
  };
};
