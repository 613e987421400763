import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { RDSClient } from '@aws-sdk/client-rds';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { traceRdsCalls } from './run-trace';

export interface AwsClients {
  rds: RDSClient;
  dynamo: DynamoDBDocumentClient;
  eventBridge: EventBridgeClient;
  sqs: SQSClient;
}

/**
 * The endpoint for a service from `AWS_ENDPOINT_URL_<SERVICE>` (then `AWS_ENDPOINT_URL`), or undefined for
 * AWS itself. The SDK reads these too; passing them explicitly keeps the behaviour visible and testable.
 *
 * @example
 * endpointFor('RDS', { AWS_ENDPOINT_URL_RDS: 'http://127.0.0.1:4566' }) // 'http://127.0.0.1:4566'
 */
export const endpointFor = (service: string, env: NodeJS.ProcessEnv = process.env): string | undefined =>
  env[`AWS_ENDPOINT_URL_${service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] ||
  env.AWS_ENDPOINT_URL ||
  undefined;

/**
 * The options every SDK v3 client of the project gets: Region, retries, the endpoint from
 * `AWS_ENDPOINT_URL_<SERVICE>` (the first of `services` that is set) and, for an explicit env, its credentials.
 *
 * @example
 * new SESv2Client(awsClientConfig(['SESV2', 'SES'], 'eu-west-1'))
 */
export const awsClientConfig = (
  services: string | readonly string[],
  region: string,
  env: NodeJS.ProcessEnv = process.env,
) => {
  const names = typeof services === 'string' ? [services] : services;
  const service =
    names.find((n) => endpointFor(n, { ...env, AWS_ENDPOINT_URL: undefined })) ?? names[0] ?? '';
  return common(service, region, env);
};

const common = (service: string, region: string, env: NodeJS.ProcessEnv) => {
  const endpoint = endpointFor(service, env);
  // The SDK's default chain reads process.env; an explicit env (the CLI aiming at the local stack) brings
  // its own keys. In Lambda, env is process.env and the runtime's credentials are used as usual.
  const credentials =
    env !== process.env && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          credentials: {
            accessKeyId: env.AWS_ACCESS_KEY_ID,
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
            ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {};
  return { region, maxAttempts: 4, ...(endpoint ? { endpoint } : {}), ...credentials };
};

/**
 * A stand-in for an SDK client that builds the client the first time anything touches it (a `send`, a read of
 * `config` or `middlewareStack`, a mock installing itself) and forwards everything to it from then on. Building
 * an SDK v3 client resolves its runtime configuration (credential chain, HTTP handler, retry strategy, user
 * agent, endpoint rules): a few milliseconds each, paid at cold start for clients an invocation may never use.
 * The stand-in has the client's type; `instanceof`, own properties and prototype all come from the real client.
 *
 * @example
 * const ses = lazyClient(() => new SESv2Client(awsClientConfig(['SESV2', 'SES'], 'eu-west-1')));
 * await ses.send(new SendEmailCommand(input)); // the client is built here
 */
export const lazyClient = <C extends object>(build: () => C): C => {
  let client: C | undefined;
  const real = (): C => {
    client ??= build();
    return client;
  };
  // The target stays an empty object: every trap answers from the real client.
  return new Proxy({} as C, {
    get: (_target, key) => Reflect.get(real(), key),
    set: (_target, key, value) => Reflect.set(real(), key, value),
    has: (_target, key) => Reflect.has(real(), key),
    deleteProperty: (_target, key) => Reflect.deleteProperty(real(), key),
    defineProperty: (_target, key, descriptor) => Reflect.defineProperty(real(), key, descriptor),
    // Reported configurable: a proxy may not claim a non-configurable property its (empty) target lacks.
    getOwnPropertyDescriptor: (_target, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(real(), key);
      return descriptor && { ...descriptor, configurable: true };
    },
    ownKeys: () => Reflect.ownKeys(real()),
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
  });
};

/**
 * The SDK v3 clients a service needs, created at module scope but each built on first use (`lazyClient`): a
 * worker's cold start pays for none of them, and an invocation only for those it calls.
 *
 * @example
 * const clients = createAwsClients({ region: 'eu-west-1' });
 * await clients.sqs.send(new SendMessageCommand(input)); // builds the SQS client, and only it
 */
export const createAwsClients = ({
  region,
  env = process.env,
}: {
  region: string;
  env?: NodeJS.ProcessEnv;
}): AwsClients => ({
  // Mutating calls made inside a run's reconcile are recorded on the run (run-trace.ts).
  rds: lazyClient(() => traceRdsCalls(new RDSClient(common('RDS', region, env)))),
  dynamo: lazyClient(() =>
    DynamoDBDocumentClient.from(new DynamoDBClient(common('DYNAMODB', region, env)), {
      marshallOptions: { removeUndefinedValues: true },
    }),
  ),
  eventBridge: lazyClient(() => new EventBridgeClient(common('EVENTBRIDGE', region, env))),
  sqs: lazyClient(() => new SQSClient(common('SQS', region, env))),
});
