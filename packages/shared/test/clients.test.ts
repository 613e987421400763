import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { createAwsClients, endpointFor, lazyClient } from '../src/clients';

describe('endpointFor', () => {
  it('uses the service-specific AWS_ENDPOINT_URL_<SERVICE>', () => {
    const env = { AWS_ENDPOINT_URL_RDS: 'http://127.0.0.1:4599', AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' };

    expect(endpointFor('RDS', env)).toBe('http://127.0.0.1:4599');
  });

  it('upper-cases the service name', () => {
    expect(endpointFor('dynamodb', { AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:4567' })).toBe(
      'http://127.0.0.1:4567',
    );
  });

  it('falls back to AWS_ENDPOINT_URL', () => {
    expect(endpointFor('SQS', { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' })).toBe('http://127.0.0.1:4566');
  });

  it('falls back to AWS_ENDPOINT_URL when the service variable is empty', () => {
    expect(endpointFor('SQS', { AWS_ENDPOINT_URL_SQS: '', AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' })).toBe(
      'http://127.0.0.1:4566',
    );
  });

  it('returns undefined (AWS itself) when no endpoint is set', () => {
    expect(endpointFor('RDS', {})).toBeUndefined();
  });
});

describe('createAwsClients', () => {
  const endpointOf = async (client: { config: { endpoint?: unknown } }) => {
    const provider = client.config.endpoint as (() => Promise<unknown>) | undefined;
    return provider ? await provider() : undefined;
  };

  it('points each client at its own local endpoint', async () => {
    // Prepare
    const env = {
      AWS_ENDPOINT_URL_RDS: 'http://127.0.0.1:4599',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:4567',
      AWS_ENDPOINT_URL_EVENTBRIDGE: 'http://127.0.0.1:4580',
      AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9324',
    };

    // Act
    const clients = createAwsClients({ region: 'eu-west-1', env });

    // Assess
    expect(await endpointOf(clients.rds)).toMatchObject({
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 4599,
    });
    expect(await endpointOf(clients.dynamo)).toMatchObject({ hostname: '127.0.0.1', port: 4567 });
    expect(await endpointOf(clients.eventBridge)).toMatchObject({ hostname: '127.0.0.1', port: 4580 });
    expect(await endpointOf(clients.sqs)).toMatchObject({ hostname: '127.0.0.1', port: 9324 });
    expect(await clients.rds.config.region()).toBe('eu-west-1');
    expect(await clients.rds.config.maxAttempts()).toBe(4);
  });

  it('uses the shared AWS_ENDPOINT_URL for every client', async () => {
    const clients = createAwsClients({
      region: 'us-east-1',
      env: { AWS_ENDPOINT_URL: 'http://localhost:4566' },
    });

    for (const client of [clients.rds, clients.dynamo, clients.eventBridge, clients.sqs]) {
      expect(await endpointOf(client)).toMatchObject({ hostname: 'localhost', port: 4566 });
    }
  });

  it('sets no endpoint when none is configured, leaving AWS resolution to the SDK', async () => {
    const clients = createAwsClients({ region: 'us-east-1', env: {} });

    expect(clients.rds.config.endpoint).toBeUndefined();
    expect(clients.sqs.config.endpoint).toBeUndefined();
    expect(await clients.dynamo.config.region()).toBe('us-east-1');
  });

  it('drops undefined attributes when the document client marshalls', () => {
    const clients = createAwsClients({ region: 'us-east-1', env: {} });

    expect(clients.dynamo.config.translateConfig?.marshallOptions).toEqual({ removeUndefinedValues: true });
  });
});

describe('lazyClient', () => {
  it('builds the client on first use, once, and forwards to it', () => {
    // Prepare
    const build = jest.fn(() => ({
      calls: 0,
      name: 'real',
      ping() {
        this.calls += 1;
        return this.calls;
      },
    }));

    // Act
    const client = lazyClient(build);

    // Assess
    expect(build).not.toHaveBeenCalled();
    expect(client.ping()).toBe(1);
    expect(client.ping()).toBe(2);
    expect(client.name).toBe('real');
    expect(build).toHaveBeenCalledTimes(1);
  });

  it('forwards writes, deletes and checks to the real client', () => {
    const real: Record<string, unknown> = { a: 1 };
    const client = lazyClient(() => real);

    client.b = 2;
    delete client.a;

    expect(real).toEqual({ b: 2 });
    expect('b' in client).toBe(true);
    expect(Object.keys(client)).toEqual(['b']);
    expect(Object.getOwnPropertyDescriptor(client, 'b')?.value).toBe(2);
  });
});

describe('createAwsClients, lazily built', () => {
  it('keeps the run trace middleware on the RDS client', () => {
    const clients = createAwsClients({ region: 'us-east-1', env: {} });

    expect(clients.rds.middlewareStack.identify()).toEqual(
      expect.arrayContaining([expect.stringContaining('trapheusRunCalls')]),
    );
  });

  it('returns the same client on every read', async () => {
    const clients = createAwsClients({ region: 'us-east-1', env: {} });

    expect(clients.sqs).toBe(clients.sqs);
    expect(clients.sqs.config).toBe(clients.sqs.config);
  });

  it('sends through a client mocked by class (aws-sdk-client-mock)', async () => {
    // Prepare
    const rdsMock = mockClient(RDSClient);
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: 'orders-db' }] });
    const clients = createAwsClients({ region: 'us-east-1', env: {} });

    try {
      // Act
      const out = await clients.rds.send(
        new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders-db' }),
      );

      // Assess
      expect(out.DBInstances?.[0]?.DBInstanceIdentifier).toBe('orders-db');
      expect(rdsMock.commandCalls(DescribeDBInstancesCommand)).toHaveLength(1);
    } finally {
      rdsMock.restore();
    }
  });

  it('sends through a client mocked as an instance (aws-sdk-client-mock)', async () => {
    // Prepare
    const clients = createAwsClients({ region: 'us-east-1', env: {} });
    const sqsMock = mockClient(clients.sqs);
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });

    // Act
    const out = await clients.sqs.send(new SendMessageCommand({ QueueUrl: 'http://q', MessageBody: '{}' }));
    sqsMock.restore();

    // Assess
    expect(out.MessageId).toBe('m-1');
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(1);
    expect(clients.sqs).toBeInstanceOf(SQSClient);
    expect(Object.hasOwn(clients.sqs, 'send')).toBe(false);
  });
});
