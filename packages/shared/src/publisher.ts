import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type * as z from 'zod';
import type { EventContract } from './contracts';

/**
 * Publishes Trapheus events on the project's bus. The detail is validated against its contract first, and a
 * rejected entry is an error (so the message goes back to the queue rather than being lost).
 *
 * @example
 * const publish = buildPublisher({ eventBridge, busName: 'trapheus-dev' });
 * await publish(SnapshotReady, { runId, identifier, kind: 'instance', step: 'SNAPSHOT_READY' });
 */
export const buildPublisher =
  ({ eventBridge, busName }: { eventBridge: EventBridgeClient; busName: string }) =>
  async <S extends z.ZodType>(contract: EventContract<S>, detail: z.input<S>, resources: string[] = []) => {
    const valid = contract.schema.parse(detail);
    const out = await eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: busName,
            Source: contract.source,
            DetailType: contract.detailType,
            Detail: JSON.stringify(valid),
            Resources: resources,
          },
        ],
      }),
    );
    if ((out.FailedEntryCount ?? 0) > 0) {
      const entry = out.Entries?.[0];
      throw new Error(
        `PutEvents rejected ${contract.detailType}: ${entry?.ErrorCode} ${entry?.ErrorMessage}`,
      );
    }
  };

export type Publisher = ReturnType<typeof buildPublisher>;
