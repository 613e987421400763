import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { RDSClient } from '@aws-sdk/client-rds';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createAwsClients } from '../src/clients';

/**
 * Each SDK client class, counting the instances built. jest hoists `jest.mock` above the imports, so its
 * factories run before this module's own bindings exist: the list lives on the global object, and the factory
 * is a function declaration (hoisted).
 */
const BUILT = Symbol.for('trapheus.test.builtClients');
const built = (): string[] => {
  const g = globalThis as { [BUILT]?: string[] };
  g[BUILT] ??= [];
  return g[BUILT];
};
function mockCounting(pkg: string, name: string) {
  const actual = jest.requireActual(pkg);
  const Base = actual[name];
  return {
    ...actual,
    [name]: class extends Base {
      constructor(...args: unknown[]) {
        super(...args);
        const g = globalThis as { [key: symbol]: string[] | undefined };
        const key = Symbol.for('trapheus.test.builtClients');
        g[key] ??= [];
        g[key].push(name);
      }
    },
  };
}
jest.mock('@aws-sdk/client-rds', () => mockCounting('@aws-sdk/client-rds', 'RDSClient'));
jest.mock('@aws-sdk/client-dynamodb', () => mockCounting('@aws-sdk/client-dynamodb', 'DynamoDBClient'));
jest.mock('@aws-sdk/client-eventbridge', () =>
  mockCounting('@aws-sdk/client-eventbridge', 'EventBridgeClient'),
);
jest.mock('@aws-sdk/client-sqs', () => mockCounting('@aws-sdk/client-sqs', 'SQSClient'));

describe('createAwsClients builds each client on first use', () => {
  beforeEach(() => {
    built().length = 0;
  });

  it('builds no SDK client when the clients are created and passed around', () => {
    // Act: what a worker does at module scope (worker-deps.ts hands the clients to its builders)
    const clients = createAwsClients({ region: 'eu-west-1', env: {} });
    const { rds, dynamo, eventBridge, sqs } = clients;
    const deps = { ...clients, rds, dynamo, eventBridge, sqs };

    // Assess: handing the stand-ins around touches none of them
    expect(Object.keys(deps).sort()).toEqual(['dynamo', 'eventBridge', 'rds', 'sqs']);
    expect(built()).toEqual([]);
  });

  it('builds only the client that is used, once', async () => {
    // Prepare
    const clients = createAwsClients({ region: 'eu-west-1', env: {} });

    // Act
    const region = await clients.sqs.config.region();
    clients.sqs.middlewareStack.identify();

    // Assess
    expect(region).toBe('eu-west-1');
    expect(built()).toEqual(['SQSClient']);
  });

  it('builds the document client over one DynamoDB client', () => {
    const clients = createAwsClients({ region: 'eu-west-1', env: {} });

    expect(clients.dynamo.config.translateConfig?.marshallOptions).toEqual({ removeUndefinedValues: true });
    expect(built()).toEqual(['DynamoDBClient']);
  });

  it('answers instanceof as the real client does', () => {
    const clients = createAwsClients({ region: 'eu-west-1', env: {} });

    expect(clients.rds).toBeInstanceOf(RDSClient);
    expect(clients.dynamo).not.toBeInstanceOf(DynamoDBClient);
    expect(clients.eventBridge).toBeInstanceOf(EventBridgeClient);
    expect(clients.sqs).toBeInstanceOf(SQSClient);
    expect(built().sort()).toEqual(['DynamoDBClient', 'EventBridgeClient', 'RDSClient', 'SQSClient']);
  });
});
