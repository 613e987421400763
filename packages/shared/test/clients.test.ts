import { createAwsClients, endpointFor } from '../src/clients';

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
