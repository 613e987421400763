import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig, createLogger, lazyClient, loadConfig } from '@trapheus/shared';
import { emailSettings, type NotifyEnv, notifyEnvSchema, type Webhook } from './config';
import { buildDeliveryLedger } from './deliveries';
import type { EmailDeps } from './functions/email/send-email';
import type { SlackFanoutDeps } from './functions/slack-fanout/fan-out';
import type { SlackSendDeps } from './functions/slack-send/send-slack';
import { redactWebhooks } from './redact';
import { buildWebhookSource } from './webhooks';

/**
 * The endpoint of the SES v2 client: `AWS_ENDPOINT_URL_SESV2` (the SDK's own name), then
 * `AWS_ENDPOINT_URL_SES`, then `AWS_ENDPOINT_URL`; undefined means AWS itself.
 *
 * @example
 * sesEndpoint({ AWS_ENDPOINT_URL_SES: 'http://127.0.0.1:8005' }) // 'http://127.0.0.1:8005'
 */
export const sesEndpoint = (env: NodeJS.ProcessEnv): string | undefined =>
  awsClientConfig(SES_ENDPOINT_NAMES, 'us-east-1', env).endpoint;

/** SES v2's own endpoint variable, then the SES one the local stack and older setups use. */
const SES_ENDPOINT_NAMES = ['SESV2', 'SES'] as const;

/**
 * The configuration is read and checked at module load (a bad one fails the cold start, not a message); the SDK
 * clients are built on first use (`lazyClient`), so the cold start pays for none of them.
 */
const base = (env: NodeJS.ProcessEnv) => {
  const config: NotifyEnv = loadConfig(notifyEnvSchema, env);
  const logger = createLogger(env.POWERTOOLS_SERVICE_NAME ?? 'trapheus-notify');
  const sqs = lazyClient(() => new SQSClient(awsClientConfig('SQS', config.AWS_REGION, env)));
  return { config, logger, sqs };
};

const ledgerFor = (config: NotifyEnv, env: NodeJS.ProcessEnv) =>
  buildDeliveryLedger({
    dynamo: lazyClient(() =>
      DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig('DYNAMODB', config.AWS_REGION, env)), {
        marshallOptions: { removeUndefinedValues: true },
      }),
    ),
    tableName: config.DELIVERIES_TABLE,
  });

/** The webhook source, remembering the URLs it loaded so error messages can be cleaned of them. */
const webhooksFor = (config: NotifyEnv, env: NodeJS.ProcessEnv, logger: ReturnType<typeof createLogger>) => {
  // Built at the first read of the parameter, with its SSM client (the provider touches the client as it is made).
  let ssm: SSMProvider | undefined;
  const provider: Pick<SSMProvider, 'get'> = {
    get: (...args) => {
      ssm ??= new SSMProvider({
        awsSdkV3Client: new SSMClient(awsClientConfig('SSM', config.AWS_REGION, env)),
      });
      return ssm.get(...args);
    },
  };
  const source = buildWebhookSource({
    provider,
    parameterName: config.SLACK_WEBHOOKS_PARAMETER,
    maxAgeSeconds: config.SLACK_WEBHOOKS_CACHE_SECONDS,
    logger,
  });
  let known: Webhook[] = [];
  return {
    loadWebhooks: async () => {
      known = await source();
      return known;
    },
    redact: (text: string) => redactWebhooks(text, known),
  };
};

/**
 * The e-mail function's side effects, built once per container from its environment.
 *
 * @example
 * const deps = buildEmailDeps(process.env);
 */
export const buildEmailDeps = (env: NodeJS.ProcessEnv): EmailDeps => {
  const { config, logger, sqs } = base(env);
  const settings = emailSettings(config);
  if (settings.to.length === 0) logger.info('e-mail channel disabled: NOTIFY_EMAIL_TO is empty');
  return {
    logger,
    sqs,
    ses: lazyClient(() => new SESv2Client(awsClientConfig(SES_ENDPOINT_NAMES, config.AWS_REGION, env))),
    ledger: ledgerFor(config, env),
    config: {
      ...settings,
      notifyOnSuccess: config.NOTIFY_ON_SUCCESS,
      deadLetterQueueUrl: config.EMAIL_DLQ_URL,
    },
  };
};

/**
 * The Slack fan-out function's side effects.
 *
 * @example
 * const deps = buildSlackFanoutDeps(process.env);
 */
export const buildSlackFanoutDeps = (
  env: NodeJS.ProcessEnv,
): SlackFanoutDeps & { redact: (t: string) => string } => {
  const { config, logger, sqs } = base(env);
  return {
    logger,
    sqs,
    ...webhooksFor(config, env, logger),
    config: {
      notifyOnSuccess: config.NOTIFY_ON_SUCCESS,
      deliveryQueueUrl: config.SLACK_DELIVERY_QUEUE_URL,
      deadLetterQueueUrl: config.SLACK_DLQ_URL,
    },
  };
};

/**
 * The Slack delivery function's side effects (global fetch for the POSTs).
 *
 * @example
 * const deps = buildSlackSendDeps(process.env);
 */
export const buildSlackSendDeps = (
  env: NodeJS.ProcessEnv,
): SlackSendDeps & { redact: (t: string) => string } => {
  const { config, logger, sqs } = base(env);
  return {
    logger,
    sqs,
    fetch: globalThis.fetch,
    ...webhooksFor(config, env, logger),
    ledger: ledgerFor(config, env),
    config: {
      deliveryQueueUrl: config.SLACK_DELIVERY_QUEUE_URL,
      deadLetterQueueUrl: config.SLACK_DELIVERY_DLQ_URL,
      maxAttempts: config.SLACK_MAX_ATTEMPTS,
      retryBaseSeconds: config.SLACK_RETRY_BASE_SECONDS,
      timeoutMs: config.SLACK_TIMEOUT_MS,
    },
  };
};
