/**
 * Paces the fleet's looks to a budget of Describe calls per second (docs/design.md §4). AWS publishes no request rate for
 * the RDS Describe calls and throttles past an account-wide one it does not state, so Trapheus holds its own
 * looks (one Describe each, mostly) to `budgetPerSecond` across every run of the deploy: a check-back wanting
 * second s takes a slot there if fewer than the budget did, else the next free second.
 *
 * The slots are counters in the runs table: item `PACE#<s mod 3600>` holds the second it counts (`slot`) and how
 * many took it (`n`). A counter of an hour ago is reset by the first check-back of its new second, so the table
 * keeps at most 3,600 such items and needs no TTL. Each reservation is one to three conditional writes per second
 * tried (DynamoDB conditional writes are atomic per item: DynamoDB Developer Guide, "Condition expressions").
 * Pace items have no `step`, so no run query, index or scan filter on runs sees them.
 *
 * Seconds are the stack's clock: `timeScale` is 1 on AWS, the local stack's time scale there (SQS delays are
 * divided by it), so the budget holds in simulated seconds too.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';

export const PACE_PREFIX = 'PACE#';
const SLOTS = 3600;
/** Seconds tried before giving up pacing (the check-back then goes at the last one tried, over the budget). */
const MAX_TRIES = 20;
/** Seconds tried one by one after the wanted one, before the tries spread out. */
const NEAR = 10;

/** Takes `cost` slots (the Describe calls of one look) at second `slot` if it has room for them: true when taken. */
export type SlotTaker = (slot: number, cost?: number) => Promise<boolean>;

/**
 * The second (on the same clock as `wantedSecond`) a check-back may go at: the wanted one if it has room, else
 * the next ones one by one (a short crowd stays compact), then random seconds in a window that doubles with each
 * full one (4, 8, 16 … 512 s past the near ones: a burst of a whole fleet spreads over as many seconds as the
 * budget needs, like jittered backoff), never past `latestSecond` (SQS delays a message 900 s at most, and a wait's
 * deadline comes first). When every second tried is full, the last one tried, over the budget.
 *
 * @example
 * await pacedSecond(1000, takeSlot) // 1000, or 1001 if that second already had its budget
 */
export const pacedSecond = async (
  wantedSecond: number,
  take: SlotTaker,
  random: () => number = Math.random,
  latestSecond = Number.POSITIVE_INFINITY,
): Promise<number> => {
  let second = Math.min(wantedSecond, latestSecond);
  for (let i = 1; ; i++) {
    if ((await take(second)) || i === MAX_TRIES) return second;
    if (i < NEAR) {
      if (second + 1 > latestSecond) return second;
      second += 1;
    } else {
      const span = Math.min(512, 2 ** (i - NEAR + 2), latestSecond - wantedSecond - NEAR + 1);
      if (span <= 0) return second;
      second = wantedSecond + NEAR + Math.floor(random() * span);
    }
  }
};

/** An in-memory slot taker with the same rule (the wait-gap model and unit tests use it). */
export const memorySlots = (budgetPerSecond: number) => {
  const taken = new Map<number, number>();
  const take: SlotTaker = async (slot, cost = 1) => {
    const n = taken.get(slot) ?? 0;
    if (n + Math.min(cost, budgetPerSecond) > budgetPerSecond) return false;
    taken.set(slot, n + cost);
    return true;
  };
  return { take, taken };
};

/** The runs table's slot taker: one or two conditional writes on the slot's counter item. */
export const dynamoSlots =
  ({
    dynamo,
    tableName,
    budgetPerSecond,
  }: {
    dynamo: DynamoDBDocumentClient;
    tableName: string;
    budgetPerSecond: number;
  }): SlotTaker =>
  async (slot, cost = 1) => {
    const Key = { runId: `${PACE_PREFIX}${((slot % SLOTS) + SLOTS) % SLOTS}` };
    // A look costlier than the whole budget gets a second of its own.
    const room = Math.max(0, budgetPerSecond - cost);
    const names = { '#s': 'slot', '#n': 'n' };
    const attempt = async (
      input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'>,
    ) => {
      try {
        await dynamo.send(new UpdateCommand({ TableName: tableName, Key, ...input }));
        return true;
      } catch (err) {
        if (
          err instanceof ConditionalCheckFailedException ||
          (err as Error)?.name === 'ConditionalCheckFailedException'
        )
          return false;
        throw err;
      }
    };
    // The counter already counts this second and has room: `cost` more.
    const increment = () =>
      attempt({
        UpdateExpression: 'SET #n = #n + :cost',
        ConditionExpression: '#s = :slot AND #n <= :room',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':cost': cost, ':slot': slot, ':room': room },
      });
    if (await increment()) return true;
    // The counter counts an older second (or none yet): this second starts at `cost`.
    const started = await attempt({
      UpdateExpression: 'SET #s = :slot, #n = :cost',
      ConditionExpression: 'attribute_not_exists(#s) OR #s < :slot',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':cost': cost, ':slot': slot },
    });
    // Another check-back started this second between the two writes: count on it.
    return started || increment();
  };

/**
 * Paces check-back delays: `delaySeconds` wanted from now → the delay that lands in a second with room.
 *
 * @example
 * const pacer = buildCheckBackPacer({ take: dynamoSlots({ dynamo, tableName, budgetPerSecond: 10 }) });
 * const delay = await pacer.pace(8) // 8, or more when the fleet already looks 10 times in that second
 */
export const buildCheckBackPacer = ({
  take,
  timeScale = 1,
  now = () => new Date(),
  random = Math.random,
}: {
  take: SlotTaker;
  timeScale?: number;
  now?: () => Date;
  random?: () => number;
}) => ({
  /** Takes `cost` slots in the current second if it has room (a look an RDS event asks for now). */
  async takeNow(cost = 1): Promise<boolean> {
    return take(Math.floor((now().getTime() * timeScale) / 1000), cost);
  },

  /**
   * The delay (seconds) that lands a look wanted in `delaySeconds` in a second with room, at most `maxSeconds` (900,
   * the SQS limit, or less: the wait's deadline) from now; the look makes `cost` Describe calls.
   */
  async pace(delaySeconds: number, maxSeconds = 900, cost = 1): Promise<number> {
    const nowSecond = (now().getTime() * timeScale) / 1000;
    const latest = Math.floor(nowSecond + Math.max(1, Math.min(900, maxSeconds)));
    // A look wanted near the bound (the 900-s backoff) may come up to a minute early, so a crowd wanting the same
    // late second still finds room: looking early only ends a wait sooner.
    const wanted = Math.min(
      Math.ceil(nowSecond + delaySeconds),
      delaySeconds > 60 ? Math.max(latest - 60, Math.ceil(nowSecond + 60)) : Number.POSITIVE_INFINITY,
    );
    const second = await pacedSecond(wanted, (s) => take(s, cost), random, latest);
    return Math.max(1, Math.min(900, maxSeconds, Math.ceil(second - nowSecond)));
  },
});

export type CheckBackPacer = ReturnType<typeof buildCheckBackPacer>;
