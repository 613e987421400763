import { createHash, randomUUID } from 'node:crypto';

/**
 * In-memory SQS (standard queues) with scaled timings, and the Lambda event-source mapping that drains a queue
 * into a function. SQS durations (DelaySeconds, VisibilityTimeout, MessageRetentionPeriod, maximumBatchingWindow)
 * are divided by `timeScale`; WaitTimeSeconds (a client wait) is not. Timers only, no polling loops.
 *
 * Event-source mapping and scaled visibility: a batch's messages stay in flight while its invocation runs, even
 * if their (scaled) visibility timeout expires meanwhile; they then become visible when the invocation ends
 * (handler time is real time, and real deployments set the visibility timeout above the function timeout).
 */

export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  /** base64 on the wire; kept as base64 here */
  BinaryValue?: string;
}

export interface QueueDefinition {
  name: string;
  delaySeconds?: number;
  visibilityTimeout?: number;
  messageRetentionPeriod?: number;
  receiveMessageWaitTimeSeconds?: number;
  redrivePolicy?: { deadLetterTargetArn: string; maxReceiveCount: number };
}

export interface Message {
  messageId: string;
  body: string;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  messageAttributes: Record<string, MessageAttributeValue>;
  sentTimestamp: number;
  senderId: string;
  receiveCount: number;
  firstReceiveTimestamp?: number;
  /** set while in flight */
  receiptHandle?: string;
  state: 'delayed' | 'visible' | 'inflight';
  /** for messages moved to a DLQ: the source queue ARN */
  deadLetterQueueSourceArn?: string;
  /** received by an event-source mapping whose invocation is still running */
  held?: boolean;
  /** the visibility timeout expired while held: visible as soon as the invocation ends */
  expiredWhileHeld?: boolean;
}

export interface QueueStats {
  name: string;
  url: string;
  arn: string;
  visible: number;
  inFlight: number;
  delayed: number;
  /** the dead-letter queue name when a RedrivePolicy is set */
  dlq?: string;
  /** messages currently in that dead-letter queue */
  dlqMessages?: number;
}

export class SqsError extends Error {
  constructor(
    readonly code: string,
    readonly queryCode: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export const md5Hex = (data: string | Buffer): string => createHash('md5').update(data).digest('hex');

/** MD5 of message attributes, as SQS computes it (names sorted; lengths as 4-byte big-endian). */
export function md5OfMessageAttributes(attrs: Record<string, MessageAttributeValue>): string | undefined {
  const names = Object.keys(attrs).sort();
  if (names.length === 0) return undefined;
  const chunks: Buffer[] = [];
  const lengthPrefixed = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    chunks.push(len, b);
  };
  const entries = Object.entries(attrs).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  for (const [name, a] of entries) {
    lengthPrefixed(Buffer.from(name, 'utf8'));
    lengthPrefixed(Buffer.from(a.DataType, 'utf8'));
    if (a.BinaryValue !== undefined && a.StringValue === undefined) {
      chunks.push(Buffer.from([2]));
      lengthPrefixed(Buffer.from(a.BinaryValue, 'base64'));
    } else {
      chunks.push(Buffer.from([1]));
      lengthPrefixed(Buffer.from(a.StringValue ?? '', 'utf8'));
    }
  }
  return md5Hex(Buffer.concat(chunks));
}

/** Tracks every timer so that stop() can clear them all. */
export class Timers {
  private readonly handles = new Set<NodeJS.Timeout>();
  private stopped = false;

  set(fn: () => void, ms: number): NodeJS.Timeout | undefined {
    if (this.stopped) return undefined;
    const h = setTimeout(
      () => {
        this.handles.delete(h);
        fn();
      },
      Math.max(0, ms),
    );
    this.handles.add(h);
    return h;
  }

  clear(h: NodeJS.Timeout | undefined): void {
    if (!h) return;
    clearTimeout(h);
    this.handles.delete(h);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  stop(): void {
    this.stopped = true;
    for (const h of this.handles) clearTimeout(h);
    this.handles.clear();
  }
}

export class Queue {
  readonly messages = new Map<string, Message>();
  /** visible message ids, oldest first */
  private readonly visibleIds = new Set<string>();
  /**
   * receipt handle → message id, for the most recent receive of each message only. It outlives the visibility
   * timeout: DeleteMessage with the ReceiptHandle of the most recent receive deletes the message; an older handle
   * "succeeds, but the message might not be deleted" (SQS API reference, DeleteMessage). Here an older one never does.
   */
  private readonly byReceipt = new Map<string, string>();
  /** message id → its most recent receipt handle (the one byReceipt still maps) */
  private readonly latestHandle = new Map<string, string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly listeners = new Set<() => void>();
  /** messages in flight and delayed, kept with every state change: stats() is asked on every bus change */
  private inFlightCount = 0;
  private delayedCount = 0;

  constructor(
    readonly def: QueueDefinition,
    readonly url: string,
    readonly arn: string,
    private readonly broker: SqsBroker,
  ) {}

  get name(): string {
    return this.def.name;
  }

  get visibilityTimeout(): number {
    return this.def.visibilityTimeout ?? 30;
  }

  /** Called whenever a message may have become visible. */
  onVisible(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
    this.broker.changed();
  }

  send(
    body: string,
    opts: {
      delaySeconds?: number;
      messageAttributes?: Record<string, MessageAttributeValue>;
      senderId?: string;
    } = {},
  ): Message {
    if (typeof body !== 'string' || body.length === 0) {
      throw new SqsError(
        'MissingParameter',
        'MissingParameter',
        'The request must contain the parameter MessageBody.',
      );
    }
    const delay = opts.delaySeconds ?? this.def.delaySeconds ?? 0;
    if (!Number.isInteger(delay) || delay < 0 || delay > 900) {
      throw new SqsError(
        'InvalidParameterValue',
        'InvalidParameterValue',
        `Value ${delay} for parameter DelaySeconds is invalid. Reason: must be between 0 and 900.`,
      );
    }
    const messageAttributes = opts.messageAttributes ?? {};
    const msg: Message = {
      messageId: randomUUID(),
      body,
      md5OfBody: md5Hex(body),
      md5OfMessageAttributes: md5OfMessageAttributes(messageAttributes),
      messageAttributes,
      sentTimestamp: Date.now(),
      senderId: opts.senderId ?? 'AIDAIENQZJOLO23YVJ4VO',
      receiveCount: 0,
      state: 'delayed',
    };
    this.messages.set(msg.messageId, msg);
    this.delayedCount += 1;
    if (delay > 0) {
      this.schedule(msg.messageId, delay, () => this.makeVisible(msg));
    } else {
      this.makeVisible(msg);
    }
    return msg;
  }

  /** Puts an existing message (moved from another queue) in this queue, visible at once. */
  adopt(msg: Message): void {
    msg.receiveCount = 0;
    msg.firstReceiveTimestamp = undefined;
    msg.receiptHandle = undefined;
    // Counted here as visible whatever its state was in the queue it comes from.
    msg.state = 'visible';
    this.messages.set(msg.messageId, msg);
    this.makeVisible(msg);
  }

  /** The message leaves its state (in flight, delayed) for another, or leaves the queue. */
  private uncount(msg: Message): void {
    if (msg.state === 'inflight') this.inFlightCount -= 1;
    else if (msg.state === 'delayed') this.delayedCount -= 1;
  }

  private schedule(id: string, seconds: number, fn: () => void): void {
    this.clearTimer(id);
    const h = this.broker.timers.set(() => {
      this.timers.delete(id);
      fn();
    }, this.broker.scaledMs(seconds));
    if (h) this.timers.set(id, h);
  }

  private clearTimer(id: string): void {
    const h = this.timers.get(id);
    if (h) {
      this.broker.timers.clear(h);
      this.timers.delete(id);
    }
  }

  private makeVisible(msg: Message): void {
    if (!this.messages.has(msg.messageId)) return;
    // Visible again: no longer in flight, but its last receipt handle still deletes it until the next receive.
    msg.receiptHandle = undefined;
    msg.held = false;
    this.uncount(msg);
    msg.state = 'visible';
    this.visibleIds.add(msg.messageId);
    this.notify();
  }

  private expired(msg: Message, now: number): boolean {
    const retention = this.def.messageRetentionPeriod;
    return retention !== undefined && now - msg.sentTimestamp > this.broker.scaledMs(retention);
  }

  get visibleCount(): number {
    return this.visibleIds.size;
  }

  /**
   * Receives up to `max` visible messages; they become in flight for `visibilityTimeout` seconds.
   * Messages already received maxReceiveCount times go to the dead-letter queue instead (as SQS does).
   */
  receive(max = 1, visibilityTimeout = this.visibilityTimeout, hold = false): Message[] {
    const now = Date.now();
    const out: Message[] = [];
    // The visible set is walked in place (a copy costs as many steps as messages are waiting, per receive); an id
    // that becomes visible again meanwhile goes to the end and is not taken twice: at most the ids there now.
    let left = this.visibleIds.size;
    for (const id of this.visibleIds) {
      if (out.length >= max || left-- <= 0) break;
      const msg = this.messages.get(id);
      if (!msg) throw new Error(`queue ${this.name}: visible message ${id} is not stored`);
      this.visibleIds.delete(id);
      this.forgetHandle(id);
      if (this.expired(msg, now)) {
        this.messages.delete(id);
        continue;
      }
      const redrive = this.def.redrivePolicy;
      if (redrive && msg.receiveCount >= redrive.maxReceiveCount) {
        const dlq = this.broker.queueByArn(redrive.deadLetterTargetArn);
        if (dlq) {
          this.messages.delete(id);
          msg.deadLetterQueueSourceArn = this.arn;
          dlq.adopt(msg);
          continue;
        }
      }
      msg.receiveCount += 1;
      msg.firstReceiveTimestamp ??= now;
      msg.state = 'inflight';
      this.inFlightCount += 1;
      msg.held = hold;
      msg.expiredWhileHeld = false;
      msg.receiptHandle = Buffer.from(`${id}:${randomUUID()}`).toString('base64');
      this.byReceipt.set(msg.receiptHandle, id);
      this.latestHandle.set(id, msg.receiptHandle);
      this.schedule(id, visibilityTimeout, () => {
        if (msg.held) msg.expiredWhileHeld = true;
        else this.makeVisible(msg);
      });
      out.push({ ...msg, messageAttributes: { ...msg.messageAttributes } });
    }
    return out;
  }

  private forgetHandle(id: string): void {
    const handle = this.latestHandle.get(id);
    if (handle === undefined) return;
    this.byReceipt.delete(handle);
    this.latestHandle.delete(id);
  }

  private byHandle(receiptHandle: string): Message | undefined {
    const id = this.byReceipt.get(receiptHandle);
    return id ? this.messages.get(id) : undefined;
  }

  /**
   * Deletes a message by the receipt handle of its most recent receive, in flight or visible again since. An older
   * handle (the message was received again, or deleted) is ignored, as SQS does.
   */
  delete(receiptHandle: string): void {
    if (typeof receiptHandle !== 'string' || receiptHandle.length === 0) {
      throw new SqsError(
        'ReceiptHandleIsInvalid',
        'ReceiptHandleIsInvalid',
        'The receipt handle is not valid.',
      );
    }
    const msg = this.byHandle(receiptHandle);
    if (!msg) return;
    this.forgetHandle(msg.messageId);
    this.clearTimer(msg.messageId);
    this.uncount(msg);
    this.visibleIds.delete(msg.messageId);
    this.messages.delete(msg.messageId);
    this.broker.changed();
  }

  /**
   * Ends the hold of an event-source mapping on a message it did not delete: if its visibility timeout already
   * expired during the (real-time) invocation, it becomes visible now; otherwise when the timeout expires.
   */
  release(receiptHandle: string): void {
    const msg = this.byHandle(receiptHandle);
    if (!msg?.held) return;
    msg.held = false;
    if (msg.expiredWhileHeld) {
      msg.expiredWhileHeld = false;
      this.makeVisible(msg);
    }
  }

  changeVisibility(receiptHandle: string, seconds: number): void {
    const msg = this.byHandle(receiptHandle);
    if (msg?.state !== 'inflight') {
      throw new SqsError(
        'MessageNotInflight',
        'AWS.SimpleQueueService.MessageNotInflight',
        'The message referred to is not in flight.',
      );
    }
    if (seconds === 0) {
      this.clearTimer(msg.messageId);
      this.makeVisible(msg);
    } else {
      this.schedule(msg.messageId, seconds, () => this.makeVisible(msg));
    }
  }

  purge(): void {
    for (const id of this.timers.keys()) this.clearTimer(id);
    this.messages.clear();
    this.visibleIds.clear();
    this.inFlightCount = 0;
    this.delayedCount = 0;
    this.byReceipt.clear();
    this.latestHandle.clear();
    this.broker.changed();
  }

  stats(): { visible: number; inFlight: number; delayed: number } {
    return { visible: this.visibleIds.size, inFlight: this.inFlightCount, delayed: this.delayedCount };
  }

  /** Snapshot of every message currently held (any state). */
  snapshot(): Message[] {
    return [...this.messages.values()].map((m) => ({ ...m, messageAttributes: { ...m.messageAttributes } }));
  }

  /** Long polling: resolves with messages as soon as some are visible, or [] after waitSeconds (scaled). */
  async receiveWait(
    max: number,
    visibilityTimeout: number | undefined,
    waitSeconds: number,
  ): Promise<Message[]> {
    const first = this.receive(max, visibilityTimeout);
    if (first.length > 0 || waitSeconds <= 0 || this.broker.timers.isStopped) return first;
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const off = this.onVisible(() => {
        const got = this.receive(max, visibilityTimeout);
        if (got.length > 0) {
          off();
          this.broker.timers.clear(timer);
          resolve(got);
        }
      });
      // WaitTimeSeconds is a client-side wait, not a queue timing: it is not scaled.
      timer = this.broker.timers.set(() => {
        off();
        resolve([]);
      }, waitSeconds * 1000);
      if (!timer) {
        off();
        resolve([]);
      }
    });
  }
}

export interface SqsBrokerOptions {
  timeScale?: number;
  region: string;
  accountId: string;
  /** base URL used in queue URLs (`<endpoint>/<accountId>/<queueName>`); may be set after the server starts */
  endpoint?: string;
}

export class SqsBroker {
  readonly timers = new Timers();
  private readonly queues = new Map<string, Queue>();
  endpoint: string;

  constructor(readonly opts: SqsBrokerOptions) {
    this.endpoint = opts.endpoint ?? 'http://127.0.0.1';
  }

  scaledMs(seconds: number): number {
    return (seconds * 1000) / (this.opts.timeScale ?? 1);
  }

  arnFor(name: string): string {
    return `arn:aws:sqs:${this.opts.region}:${this.opts.accountId}:${name}`;
  }

  urlFor(name: string): string {
    return `${this.endpoint}/${this.opts.accountId}/${name}`;
  }

  createQueue(def: QueueDefinition): Queue {
    const existing = this.queues.get(def.name);
    if (existing) return existing;
    const q = new Queue(def, this.urlFor(def.name), this.arnFor(def.name), this);
    this.queues.set(def.name, q);
    return q;
  }

  list(): Queue[] {
    return [...this.queues.values()];
  }

  queueByName(name: string): Queue | undefined {
    return this.queues.get(name);
  }

  queueByArn(arn: string): Queue | undefined {
    const name = arn.split(':').pop() ?? '';
    return arn.startsWith('arn:') ? this.queues.get(name) : undefined;
  }

  /** Accepts a queue URL (any host: only the last path segment counts), an ARN or a name. */
  resolve(ref: string | undefined): Queue {
    if (typeof ref !== 'string' || ref.length === 0) {
      throw new SqsError(
        'MissingParameter',
        'MissingParameter',
        'The request must contain the parameter QueueUrl.',
      );
    }
    const [withoutQuery = ''] = ref.split('?');
    const name = ref.startsWith('arn:')
      ? (ref.split(':').pop() ?? '')
      : (withoutQuery.split('/').pop() ?? '');
    const q = this.queues.get(name);
    if (!q) {
      throw new SqsError(
        'QueueDoesNotExist',
        'AWS.SimpleQueueService.NonExistentQueue',
        'The specified queue does not exist.',
      );
    }
    return q;
  }

  stats(): QueueStats[] {
    return this.list().map((q) => {
      const s = q.stats();
      const out: QueueStats = { name: q.name, url: q.url, arn: q.arn, ...s };
      const redrive = q.def.redrivePolicy;
      if (redrive) {
        const dlq = this.queueByArn(redrive.deadLetterTargetArn);
        out.dlq = dlq?.name ?? redrive.deadLetterTargetArn;
        out.dlqMessages = dlq ? dlq.messages.size : 0;
      }
      return out;
    });
  }

  private readonly changeListeners = new Set<() => void>();

  /** Called after any state change (send, visibility, delete, purge, end of a batch). */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  changed(): void {
    for (const l of [...this.changeListeners]) l();
  }

  stop(): void {
    this.timers.stop();
    this.changeListeners.clear();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Lambda event-source mapping

export interface SqsRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: {
    ApproximateReceiveCount: string;
    SentTimestamp: string;
    SenderId: string;
    ApproximateFirstReceiveTimestamp: string;
    DeadLetterQueueSourceArn?: string;
  };
  messageAttributes: Record<
    string,
    {
      stringValue?: string;
      binaryValue?: string;
      stringListValues: string[];
      binaryListValues: string[];
      dataType: string;
    }
  >;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  eventSource: 'aws:sqs';
  eventSourceARN: string;
  awsRegion: string;
}

export function toSqsRecord(msg: Message, queue: Queue, region: string): SqsRecord {
  const { receiptHandle } = msg;
  if (receiptHandle === undefined) {
    throw new Error(`message ${msg.messageId} of queue ${queue.name} is not in flight (no receipt handle)`);
  }
  const messageAttributes: SqsRecord['messageAttributes'] = {};
  for (const [k, v] of Object.entries(msg.messageAttributes)) {
    messageAttributes[k] = {
      ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}),
      ...(v.BinaryValue !== undefined ? { binaryValue: v.BinaryValue } : {}),
      stringListValues: [],
      binaryListValues: [],
      dataType: v.DataType,
    };
  }
  return {
    messageId: msg.messageId,
    receiptHandle,
    body: msg.body,
    attributes: {
      ApproximateReceiveCount: String(msg.receiveCount),
      SentTimestamp: String(msg.sentTimestamp),
      SenderId: msg.senderId,
      ApproximateFirstReceiveTimestamp: String(msg.firstReceiveTimestamp ?? msg.sentTimestamp),
      ...(msg.deadLetterQueueSourceArn ? { DeadLetterQueueSourceArn: msg.deadLetterQueueSourceArn } : {}),
    },
    messageAttributes,
    md5OfBody: msg.md5OfBody,
    ...(msg.md5OfMessageAttributes ? { md5OfMessageAttributes: msg.md5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queue.arn,
    awsRegion: region,
  };
}

/** What the consumer (the function runner) reports for one batch. */
export type BatchOutcome =
  | { kind: 'ok' }
  | { kind: 'partial'; failedMessageIds: string[] }
  /** the whole batch stays in flight and comes back after the visibility timeout */
  | { kind: 'error' };

/** Shared by every event-source mapping of one function: at most `maxConcurrency` batches at once. */
export class ConcurrencySlot {
  running = 0;
  private readonly waiters = new Set<() => void>();

  constructor(readonly maxConcurrency: number) {}

  get free(): boolean {
    return this.running < this.maxConcurrency;
  }

  onRelease(fn: () => void): void {
    this.waiters.add(fn);
  }

  acquire(): void {
    this.running++;
  }

  release(): void {
    this.running--;
    for (const w of [...this.waiters]) w();
  }
}

export interface EventSourceMappingOptions {
  batchSize?: number;
  /** seconds, scaled by timeScale */
  maximumBatchingWindow?: number;
  reportBatchItemFailures?: boolean;
}

/**
 * Drains a queue into a consumer. Reacts to "message visible" and "slot released" signals; when a batching
 * window is set and fewer than batchSize messages are visible, waits for the window (scaled) first.
 */
export class EventSourceMapping {
  private windowTimer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;
  private stopped = false;
  readonly batchSize: number;

  constructor(
    readonly queue: Queue,
    private readonly broker: SqsBroker,
    private readonly slot: ConcurrencySlot,
    private readonly opts: EventSourceMappingOptions,
    private readonly consume: (messages: Message[]) => Promise<BatchOutcome>,
  ) {
    this.batchSize = opts.batchSize ?? 10;
    this.unsubscribe = queue.onVisible(() => this.poke());
    slot.onRelease(() => this.poke());
    this.poke();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    this.broker.timers.clear(this.windowTimer);
  }

  /** True while a batching window is open (messages wait on purpose). */
  get waiting(): boolean {
    return this.windowTimer !== undefined;
  }

  private poke(): void {
    if (this.stopped || this.broker.timers.isStopped) return;
    // Defer to let a burst of sends (e.g. SendMessageBatch, several rules) land before batching.
    queueMicrotask(() => this.pump());
  }

  private pump(): void {
    while (!this.stopped && this.slot.free && this.queue.visibleCount > 0) {
      const windowSeconds = this.opts.maximumBatchingWindow ?? 0;
      if (windowSeconds > 0 && this.queue.visibleCount < this.batchSize) {
        if (!this.windowTimer) {
          this.windowTimer = this.broker.timers.set(() => {
            this.windowTimer = undefined;
            this.flush();
          }, this.broker.scaledMs(windowSeconds));
        }
        return;
      }
      if (!this.flush()) return;
    }
  }

  /** Receives one batch and hands it to the consumer. Returns false when nothing was sent. */
  private flush(): boolean {
    if (this.stopped || !this.slot.free) return false;
    if (this.windowTimer) {
      this.broker.timers.clear(this.windowTimer);
      this.windowTimer = undefined;
    }
    const batch = this.queue.receive(this.batchSize, this.queue.visibilityTimeout, true);
    if (batch.length === 0) return false;
    this.slot.acquire();
    void this.run(batch);
    return true;
  }

  private async run(batch: Message[]): Promise<void> {
    let outcome: BatchOutcome;
    try {
      outcome = await this.consume(batch);
    } catch {
      outcome = { kind: 'error' };
    }
    if (!this.broker.timers.isStopped) {
      // A message without a receipt handle is no longer in flight: there is nothing to delete or release.
      if (outcome.kind === 'ok') {
        for (const { receiptHandle } of batch) if (receiptHandle) this.queue.delete(receiptHandle);
      } else if (outcome.kind === 'partial') {
        const failed = new Set(outcome.failedMessageIds);
        for (const { messageId, receiptHandle } of batch) {
          if (receiptHandle && !failed.has(messageId)) this.queue.delete(receiptHandle);
        }
      }
      // Failed messages stay in flight until their visibility timeout expires (counted from the receive).
      for (const { receiptHandle } of batch) if (receiptHandle) this.queue.release(receiptHandle);
    }
    this.slot.release();
    this.broker.changed();
  }
}

/**
 * Interprets a handler result for an SQS batch as Lambda does. With ReportBatchItemFailures, a response
 * `{ batchItemFailures: [{ itemIdentifier }] }` fails only those messages; an empty/absent list is success;
 * an invalid identifier (missing, empty, or not in the batch) fails the whole batch.
 */
export function interpretBatchResponse(
  result: unknown,
  batch: Message[],
  reportBatchItemFailures: boolean,
): BatchOutcome {
  if (!reportBatchItemFailures || result === null || typeof result !== 'object') return { kind: 'ok' };
  const failures = (result as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'ok' };
  if (!Array.isArray(failures)) return { kind: 'error' };
  if (failures.length === 0) return { kind: 'ok' };
  const ids = new Set(batch.map((m) => m.messageId));
  const failed: string[] = [];
  for (const f of failures) {
    const id = (f as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id.length === 0 || !ids.has(id)) return { kind: 'error' };
    failed.push(id);
  }
  return { kind: 'partial', failedMessageIds: failed };
}
