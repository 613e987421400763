/**
 * The two events this hook speaks, as zod schemas. The wire field names of RestoreVerifying are the producer's
 * (Trapheus's VERIFYING step): if it renames one, change the key in `Wire` and the one line of `toRequest` that
 * reads it; the rest of the hook works on `VerifyRequest` and does not change.
 */
import { z } from 'zod';

export const SOURCE = 'trapheus';
export const VERIFYING = 'RestoreVerifying';
export const VERIFIED = 'RestoreVerified';

/** The detail of RestoreVerifying, exactly as published on the bus. Unknown extra fields are ignored. */
export const Wire = z.object({
  runId: z.string().min(1),
  identifier: z.string().min(1),
  kind: z.enum(['instance', 'cluster']),
  /** The copy's own identifier (informational: logged). */
  copyIdentifier: z.string().min(1).optional(),
  endpoint: z.object({
    address: z.string().min(1),
    port: z.coerce.number().int().min(1).max(65535),
  }),
  // Any string: an engine this hook does not speak is answered ok:false by name, not as a schema error.
  engine: z.string().min(1),
  snapshotIdentifier: z.string().min(1),
  hooks: z.array(z.string().min(1)).min(1),
  // ISO 8601 with an offset ("2026-12-01T03:30:00Z") or epoch milliseconds.
  deadline: z.union([z.iso.datetime({ offset: true }), z.number().int().positive()]),
});

/** What the hook works on, whatever the wire names are. */
export interface VerifyRequest {
  runId: string;
  identifier: string;
  kind: 'instance' | 'cluster';
  copyIdentifier?: string;
  host: string;
  port: number;
  engine: string;
  snapshotIdentifier: string;
  hooks: string[];
  deadline: Date;
}

const toRequest = (w: z.infer<typeof Wire>): VerifyRequest => ({
  runId: w.runId,
  identifier: w.identifier,
  kind: w.kind,
  copyIdentifier: w.copyIdentifier,
  host: w.endpoint.address,
  port: w.endpoint.port,
  engine: w.engine,
  snapshotIdentifier: w.snapshotIdentifier,
  hooks: w.hooks,
  deadline: new Date(w.deadline),
});

/** The EventBridge event a rule delivers to the Lambda (envelope fields we do not use are not checked). */
export const RestoreVerifyingEvent = z.object({
  source: z.literal(SOURCE),
  'detail-type': z.literal(VERIFYING),
  detail: Wire.transform(toRequest),
});

/** Just enough of a malformed event to address an answer: its run id and whether it asked for this hook. */
export const Addressable = z.object({ detail: Wire.pick({ runId: true, hooks: true }) });

/** A hook's name as Trapheus accepts it in `verify.hooks` and in an answer. */
export const HookName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, - or _');

/** The answer, one per hook per run (Trapheus takes the first; it refuses extra fields). */
export const RestoreVerifiedDetail = z.strictObject({
  runId: z.string().min(1).max(128),
  hook: HookName,
  ok: z.boolean(),
  message: z.string().max(1000),
});
export type RestoreVerifiedDetail = z.infer<typeof RestoreVerifiedDetail>;
