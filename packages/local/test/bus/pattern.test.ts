import { InvalidEventPatternError, matchesPattern, validatePattern } from '../../src/bus/pattern';

// Examples from the EventBridge user guide ("Event patterns", "Content filtering in Amazon EventBridge event
// patterns", "Comparison operators for use in event patterns", "Arrays in event patterns") and aws/event-ruler.

const ec2Event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};

const rulerEvent = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
  },
};

const withDetail = (detail: Record<string, unknown>) => ({ ...rulerEvent, detail });

describe('EventBridge pattern matching: event patterns page', () => {
  it('matches the EC2 termination example on source, detail-type and detail.state', () => {
    const pattern = {
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { state: ['terminated'] },
    };
    expect(matchesPattern(pattern, ec2Event)).toBe(true);
    expect(matchesPattern(pattern, { ...ec2Event, detail: { state: 'running' } })).toBe(false);
    expect(matchesPattern(pattern, { ...ec2Event, source: 'aws.fargate' })).toBe(false);
  });

  it('treats the values of a field as OR', () => {
    const pattern = { source: ['aws.ec2', 'aws.fargate'] };
    expect(matchesPattern(pattern, { source: 'aws.fargate' })).toBe(true);
    expect(matchesPattern(pattern, { source: 'aws.ec2' })).toBe(true);
    expect(matchesPattern(pattern, { source: 'aws.s3' })).toBe(false);
  });

  it('requires every field of the pattern, with the same nesting', () => {
    expect(matchesPattern({ detail: { state: ['terminated'] } }, { state: 'terminated' })).toBe(false);
    expect(matchesPattern({ source: ['aws.ec2'], missing: ['x'] }, ec2Event)).toBe(false);
  });

  it('matches event arrays when the intersection is not empty (resources)', () => {
    const event = {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
      ],
    };
    expect(
      matchesPattern(
        {
          resources: [
            'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
            'arn:aws:ec2:us-east-1:000000000000:instance/i-b188560f',
          ],
        },
        event,
      ),
    ).toBe(true);
    expect(
      matchesPattern({ resources: ['arn:aws:ec2:us-east-1:000000000000:instance/i-b188560f'] }, event),
    ).toBe(false);
  });

  it('matches null and empty string values exactly', () => {
    const event = { detail: { eventVersion: '', responseElements: null } };
    expect(matchesPattern({ detail: { eventVersion: [''] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { responseElements: [null] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { eventVersion: [null] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { responseElements: [''] } }, event)).toBe(false);
  });

  it('compares types strictly (string "5" is not number 5, true is not "true")', () => {
    expect(matchesPattern({ detail: { 'c-count': ['5'] } }, rulerEvent)).toBe(false);
    expect(matchesPattern({ detail: { 'c-count': [5] } }, rulerEvent)).toBe(true);
    expect(matchesPattern({ flag: [true] }, { flag: true })).toBe(true);
    expect(matchesPattern({ flag: ['true'] }, { flag: true })).toBe(false);
  });

  it('accepts patterns as JSON strings and keeps the last of duplicate keys', () => {
    const text = '{"detail":{"location":[{"prefix":"us-"}],"location":[{"anything-but":"us-east"}]}}';
    expect(matchesPattern(text, { detail: { location: 'eu-west' } })).toBe(true);
    expect(matchesPattern(text, { detail: { location: 'us-east' } })).toBe(false);
  });
});

describe('content filtering: prefix and suffix', () => {
  it('prefix on time', () => {
    expect(matchesPattern({ time: [{ prefix: '2017-10-02' }] }, rulerEvent)).toBe(true);
    expect(matchesPattern({ time: [{ prefix: '2017-10-03' }] }, rulerEvent)).toBe(false);
  });

  it('prefix with equals-ignore-case', () => {
    const pattern = { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } };
    for (const service of ['EventBridge', 'EVENTBRIDGE', 'eventbus']) {
      expect(matchesPattern(pattern, { detail: { service } })).toBe(true);
    }
    expect(matchesPattern(pattern, { detail: { service: 'Lambda' } })).toBe(false);
  });

  it('suffix and suffix ignoring case', () => {
    expect(matchesPattern({ FileName: [{ suffix: '.png' }] }, { FileName: 'a/b.png' })).toBe(true);
    expect(matchesPattern({ FileName: [{ suffix: '.png' }] }, { FileName: 'a/b.PNG' })).toBe(false);
    const ignoreCase = { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } };
    expect(matchesPattern(ignoreCase, { detail: { FileName: 'image.PNG' } })).toBe(true);
    expect(matchesPattern(ignoreCase, { detail: { FileName: 'image.jpg' } })).toBe(false);
    expect(
      matchesPattern(
        { service: [{ suffix: { 'equals-ignore-case': 'tbridge' } }] },
        { service: 'EvenTBRIDGE' },
      ),
    ).toBe(true);
  });

  it('prefix and suffix only match strings', () => {
    expect(matchesPattern({ n: [{ prefix: '1' }] }, { n: 12 })).toBe(false);
    expect(matchesPattern({ n: [{ suffix: '2' }] }, { n: 12 })).toBe(false);
  });
});

describe('content filtering: anything-but', () => {
  it('single string and number', () => {
    const s = { detail: { state: [{ 'anything-but': 'initializing' }] } };
    expect(matchesPattern(s, withDetail({ state: 'running' }))).toBe(true);
    expect(matchesPattern(s, withDetail({ state: 'initializing' }))).toBe(false);
    const n = { detail: { 'x-limit': [{ 'anything-but': 123 }] } };
    expect(matchesPattern(n, withDetail({ 'x-limit': 301.8 }))).toBe(true);
    expect(matchesPattern(n, withDetail({ 'x-limit': 123 }))).toBe(false);
  });

  it('lists of strings and of numbers', () => {
    const s = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };
    expect(matchesPattern(s, withDetail({ state: 'running' }))).toBe(true);
    expect(matchesPattern(s, withDetail({ state: 'overloaded' }))).toBe(false);
    const n = { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } };
    expect(matchesPattern(n, withDetail({ 'x-limit': 301.8 }))).toBe(true);
    expect(matchesPattern(n, withDetail({ 'x-limit': 200 }))).toBe(false);
  });

  it('prefix, suffix, equals-ignore-case and wildcard', () => {
    const prefix = { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } };
    expect(matchesPattern(prefix, withDetail({ state: 'running' }))).toBe(true);
    expect(matchesPattern(prefix, withDetail({ state: 'initializing' }))).toBe(false);

    const awsSource = { source: [{ 'anything-but': { prefix: 'aws.' } }] };
    expect(matchesPattern(awsSource, { source: 'trapheus' })).toBe(true);
    expect(matchesPattern(awsSource, { source: 'aws.rds' })).toBe(false);

    const suffix = { FileName: [{ 'anything-but': { suffix: '.png' } }] };
    expect(matchesPattern(suffix, { FileName: 'x.jpg' })).toBe(true);
    expect(matchesPattern(suffix, { FileName: 'x.png' })).toBe(false);

    const ignoreCase = { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] };
    expect(matchesPattern(ignoreCase, { state: 'INITIALIZING' })).toBe(false);
    expect(matchesPattern(ignoreCase, { state: 'running' })).toBe(true);
    const ignoreCaseList = {
      state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OVERLOADED'] } }],
    };
    expect(matchesPattern(ignoreCaseList, { state: 'overloaded' })).toBe(false);
    expect(matchesPattern(ignoreCaseList, { state: 'pending' })).toBe(true);

    const wildcard = { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] };
    expect(matchesPattern(wildcard, { FilePath: '/usr/bin/tool' })).toBe(true);
    expect(matchesPattern(wildcard, { FilePath: '/usr/lib/libc.so' })).toBe(false);
    const wildcardList = { FilePath: [{ 'anything-but': { wildcard: ['*/lib/*', '*/bin/*'] } }] };
    expect(matchesPattern(wildcardList, { FilePath: '/usr/bin/tool' })).toBe(false);
    expect(matchesPattern(wildcardList, { FilePath: '/etc/tool' })).toBe(true);
  });

  it('does not match a missing field', () => {
    expect(matchesPattern({ detail: { state: [{ 'anything-but': 'x' }] } }, withDetail({}))).toBe(false);
  });
});

describe('content filtering: numeric', () => {
  const pattern = {
    detail: {
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ numeric: ['=', 3.018e2] }],
    },
  };

  it('matches only when every field is in range', () => {
    expect(matchesPattern(pattern, rulerEvent)).toBe(true);
    expect(matchesPattern(pattern, withDetail({ 'c-count': 0, 'd-count': 3, 'x-limit': 301.8 }))).toBe(false);
    expect(matchesPattern(pattern, withDetail({ 'c-count': 6, 'd-count': 3, 'x-limit': 301.8 }))).toBe(false);
    expect(matchesPattern(pattern, withDetail({ 'c-count': 1, 'd-count': 10, 'x-limit': 301.8 }))).toBe(
      false,
    );
    expect(
      matchesPattern(pattern, withDetail({ 'c-count': 1, 'd-count': 9.99, 'x-limit': 301.80000001 })),
    ).toBe(true);
  });

  it('only works on JSON numbers', () => {
    expect(matchesPattern(pattern, withDetail({ 'c-count': '3', 'd-count': 3, 'x-limit': 301.8 }))).toBe(
      false,
    );
  });

  it('price examples from the comparison operators page', () => {
    expect(matchesPattern({ Price: [{ numeric: ['=', 100] }] }, { Price: 100 })).toBe(true);
    const range = { Price: [{ numeric: ['>', 10, '<=', 20] }] };
    expect(matchesPattern(range, { Price: 10 })).toBe(false);
    expect(matchesPattern(range, { Price: 20 })).toBe(true);
    expect(matchesPattern(range, { Price: 15.5 })).toBe(true);
    expect(matchesPattern({ n: [{ numeric: ['>=', 10] }] }, { n: 10 })).toBe(true);
  });
});

describe('content filtering: IP address matching', () => {
  it('matches IPv4 CIDR blocks', () => {
    const pattern = { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } };
    expect(matchesPattern(pattern, { detail: { sourceIPAddress: '10.0.0.255' } })).toBe(true);
    expect(matchesPattern(pattern, { detail: { sourceIPAddress: '10.0.0.0' } })).toBe(true);
    expect(matchesPattern(pattern, { detail: { sourceIPAddress: '10.0.1.0' } })).toBe(false);
    expect(matchesPattern(pattern, { detail: { sourceIPAddress: 'not-an-ip' } })).toBe(false);
    expect(matchesPattern({ detail: { 'source-ip': [{ cidr: '10.0.0.0/8' }] } }, rulerEvent)).toBe(true);
  });

  it('matches IPv6 CIDR blocks', () => {
    const pattern = { ip: [{ cidr: '2001:db8::/32' }] };
    expect(matchesPattern(pattern, { ip: '2001:db8:1::1' })).toBe(true);
    expect(matchesPattern(pattern, { ip: '2001:db9::1' })).toBe(false);
    expect(matchesPattern(pattern, { ip: '10.0.0.1' })).toBe(false);
  });
});

describe('content filtering: exists', () => {
  const exists = { detail: { state: [{ exists: true }] } };
  const notExists = { detail: { 'c-count': [{ exists: false }] } };

  it('exists: true matches the documented event and not one without detail.state', () => {
    const event = {
      version: '0',
      id: '7bf73129-1428-4cd3-a780-95db273d1602',
      'detail-type': 'EC2 Instance State-change Notification',
      source: 'aws.ec2',
      account: '123456789012',
      time: '2015-11-11T21:29:54Z',
      region: 'us-east-1',
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
      detail: { 'instance-id': 'i-abcd1111', state: 'pending' },
    };
    expect(matchesPattern(exists, event)).toBe(true);
    const without = {
      'detail-type': ['EC2 Instance State-change Notification'],
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
      detail: { 'c-count': { c1: 100 } },
    };
    expect(matchesPattern(exists, without)).toBe(false);
  });

  it('exists: false matches a missing field and a non-leaf field, not a present leaf', () => {
    expect(matchesPattern(notExists, { detail: { state: ['initializing', 'running'] } })).toBe(true);
    expect(matchesPattern(notExists, { detail: { state: 'x', 'c-count': { c1: 100 } } })).toBe(true);
    expect(matchesPattern(notExists, { detail: { 'c-count': 5 } })).toBe(false);
    expect(matchesPattern({ 'trace-header': [{ exists: false }] }, rulerEvent)).toBe(true);
    expect(matchesPattern({ detail: { missing: [{ exists: false }] } }, { source: 'x' })).toBe(true);
  });

  it('null counts as an existing value', () => {
    expect(matchesPattern({ UserID: [{ exists: true }] }, { UserID: null })).toBe(true);
    expect(matchesPattern({ UserID: [null] }, { UserID: null })).toBe(true);
  });
});

describe('content filtering: equals-ignore-case and wildcard', () => {
  it('equals-ignore-case', () => {
    const pattern = { Name: [{ 'equals-ignore-case': 'alice' }] };
    expect(matchesPattern(pattern, { Name: 'Alice' })).toBe(true);
    expect(matchesPattern(pattern, { Name: 'ALICE' })).toBe(true);
    expect(matchesPattern(pattern, { Name: 'Alicia' })).toBe(false);
    expect(matchesPattern({ source: [{ 'equals-ignore-case': 'EC2' }] }, { source: 'ec2' })).toBe(true);
  });

  it('wildcard with anchoring', () => {
    const pattern = { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] };
    expect(
      matchesPattern(pattern, { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/default' }),
    ).toBe(true);
    expect(
      matchesPattern(pattern, { EventBusArn: 'arn:aws:events:us-west-2:123456789012:event-bus/default' }),
    ).toBe(false);
    const png = { FileName: [{ wildcard: 'dir/*.png' }] };
    expect(matchesPattern(png, { FileName: 'dir/icon.png' })).toBe(true);
    expect(matchesPattern(png, { FileName: 'xdir/icon.png' })).toBe(false);
    expect(matchesPattern(png, { FileName: 'dir/icon.jpg' })).toBe(false);
    expect(
      matchesPattern({ source: [{ wildcard: 'Simple*Service' }] }, { source: 'SimpleQueueService' }),
    ).toBe(true);
  });

  it('wildcard escapes', () => {
    expect(matchesPattern({ f: [{ wildcard: 'a\\*b' }] }, { f: 'a*b' })).toBe(true);
    expect(matchesPattern({ f: [{ wildcard: 'a\\*b' }] }, { f: 'aXb' })).toBe(false);
    expect(matchesPattern({ f: [{ wildcard: '/usr/local\\\\bin/*' }] }, { f: '/usr/local\\bin/tool' })).toBe(
      true,
    );
    expect(matchesPattern({ f: [{ wildcard: 'a.c' }] }, { f: 'abc' })).toBe(false);
  });
});

describe('$or', () => {
  it('or between fields ("Location is New York, or Day is Monday")', () => {
    const pattern = { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] };
    expect(matchesPattern(pattern, { Location: 'New York', Day: 'Sunday' })).toBe(true);
    expect(matchesPattern(pattern, { Location: 'Paris', Day: 'Monday' })).toBe(true);
    expect(matchesPattern(pattern, { Location: 'Paris', Day: 'Sunday' })).toBe(false);
  });

  it('"source" && ("metricName" || ("metricType" && "namespace" && ("metricId" || "spaceId")) || "scope")', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization', 'ReadLatency'] },
        {
          metricType: ['MetricType'],
          namespace: ['AWS/EC2', 'AWS/ES'],
          $or: [{ metricId: [1234] }, { spaceId: [1000] }],
        },
        { scope: ['Service'] },
      ],
    };
    expect(matchesPattern(pattern, { source: 'aws.cloudwatch', metricName: 'ReadLatency' })).toBe(true);
    expect(
      matchesPattern(pattern, {
        source: 'aws.cloudwatch',
        metricType: 'MetricType',
        namespace: 'AWS/ES',
        spaceId: 1000,
      }),
    ).toBe(true);
    expect(
      matchesPattern(pattern, { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/ES' }),
    ).toBe(false);
    expect(matchesPattern(pattern, { source: 'aws.other', metricName: 'ReadLatency' })).toBe(false);
    expect(matchesPattern(pattern, { source: 'aws.cloudwatch', scope: 'Service' })).toBe(true);
  });

  it('parallel $or at several levels', () => {
    const pattern = {
      $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }],
      detail: { $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }] },
    };
    expect(matchesPattern(pattern, { namespace: 'AWS/EC2', detail: { source: 'aws.cloudwatch' } })).toBe(
      true,
    );
    expect(matchesPattern(pattern, { namespace: 'AWS/EC2', detail: { source: 'aws.s3' } })).toBe(false);
  });
});

describe('arrays', () => {
  const employees = {
    employees: [
      { firstName: 'John', lastName: 'Doe' },
      { firstName: 'Anna', lastName: 'Smith' },
      { firstName: 'Peter', lastName: 'Jones' },
    ],
  };

  it('crushes arrays of objects but keeps matches array-consistent', () => {
    expect(matchesPattern({ employees: { firstName: ['Anna'] } }, employees)).toBe(true);
    expect(matchesPattern({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, employees)).toBe(true);
    expect(matchesPattern({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, employees)).toBe(
      false,
    );
    const nested = { employees: [[employees.employees[0]], [employees.employees[2]]] };
    expect(matchesPattern({ employees: { firstName: ['Peter'] } }, nested)).toBe(true);
  });

  it('operators apply to any element of an event array', () => {
    expect(matchesPattern({ tags: [{ prefix: 'env:' }] }, { tags: ['team:a', 'env:prod'] })).toBe(true);
    expect(matchesPattern({ tags: [{ exists: true }] }, { tags: [] })).toBe(false);
    expect(matchesPattern({ tags: [{ exists: false }] }, { tags: [] })).toBe(true);
  });
});

describe('validatePattern', () => {
  const invalid: [string, unknown, RegExp][] = [
    ['a non-object', ['x'], /must be a JSON object/],
    ['an empty pattern', {}, /empty object/],
    ['a scalar leaf', { source: 'aws.ec2' }, /"source" must be an object or an array/],
    ['an empty array', { source: [] }, /empty array at "source"/],
    ['an unknown operator', { source: [{ contains: 'x' }] }, /"contains" at "source": unknown operator/],
    ['a numeric list of odd length', { n: [{ numeric: ['>', 0, '<'] }] }, /"numeric"/],
    ['a numeric with two lower bounds', { n: [{ numeric: ['>', 0, '>=', 5] }] }, /one lower bound/],
    ['an inverted numeric range', { n: [{ numeric: ['>', 5, '<', 1] }] }, /lower bound must be below/],
    ['exists with a string', { n: [{ exists: 'yes' }] }, /true or false/],
    ['a bad cidr', { ip: [{ cidr: '10.0.0.0/33' }] }, /invalid CIDR/],
    ['consecutive wildcards', { f: [{ wildcard: 'a**b' }] }, /consecutive wildcard/],
    ['a bad wildcard escape', { f: [{ wildcard: 'a\\b' }] }, /backslash may only escape/],
    ['a mixed anything-but list', { f: [{ 'anything-but': ['a', 1] }] }, /only strings or only numbers/],
    ['anything-but prefix list', { f: [{ 'anything-but': { prefix: ['a', 'b'] } }] }, /single string/],
    ['two operators in one object', { f: [{ prefix: 'a', suffix: 'b' }] }, /exactly one key/],
    ['a non-JSON string', '{source', /not valid JSON/],
  ];

  it.each(invalid)('rejects %s', (_name, pattern, message) => {
    expect(() => validatePattern(pattern)).toThrow(InvalidEventPatternError);
    expect(() => validatePattern(pattern)).toThrow(message);
  });

  it('accepts every documented operator', () => {
    const pattern = {
      time: [{ prefix: '2017' }],
      source: [{ suffix: 'ec2' }, { 'equals-ignore-case': 'EC2' }, { wildcard: 'aws.*' }],
      detail: {
        state: [{ 'anything-but': { 'equals-ignore-case': ['a', 'b'] } }],
        n: [{ numeric: ['>=', -5e9, '<', 5e9] }],
        ip: [{ cidr: '10.0.0.0/8' }],
        gone: [{ exists: false }],
      },
      $or: [{ a: ['x'] }, { b: [1, null, true] }],
    };
    expect(() => validatePattern(pattern)).not.toThrow();
    expect(
      matchesPattern(pattern, {
        time: '2017-01-01',
        source: 'aws.ec2',
        detail: { state: 'c', n: 1, ip: '10.1.2.3' },
        b: null,
      }),
    ).toBe(true);
  });
});
