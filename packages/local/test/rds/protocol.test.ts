import { errorXml, parseQuery, successXml, toXml } from '../../src/rds/protocol';

describe('Query protocol', () => {
  it('decodes lists, nested structures and list members of structures', () => {
    const p = parseQuery(
      'Action=X&Tags.Tag.1.Key=a&Tags.Tag.1.Value=1&Tags.Tag.2.Key=b&Tags.Tag.2.Value=&' +
        'VpcSecurityGroupIds.VpcSecurityGroupId.1=sg-1&VpcSecurityGroupIds.VpcSecurityGroupId.2=sg-2&' +
        'CloudwatchLogsExportConfiguration.EnableLogTypes.member.1=postgresql&' +
        'Filters.Filter.1.Name=engine&Filters.Filter.1.Values.Value.1=postgres&TagKeys=',
    );
    expect(p).toEqual({
      Action: 'X',
      Tags: [
        { Key: 'a', Value: '1' },
        { Key: 'b', Value: '' },
      ],
      VpcSecurityGroupIds: ['sg-1', 'sg-2'],
      CloudwatchLogsExportConfiguration: { EnableLogTypes: ['postgresql'] },
      Filters: [{ Name: 'engine', Values: ['postgres'] }],
      TagKeys: '',
    });
  });

  it('serialises lists with the RDS member names and escapes text', () => {
    expect(toXml('TagList', [{ Key: 'a&b', Value: '<x>' }])).toBe(
      '<TagList><Tag><Key>a&amp;b</Key><Value>&lt;x&gt;</Value></Tag></TagList>',
    );
    expect(toXml('EnabledCloudwatchLogsExports', ['error'])).toBe(
      '<EnabledCloudwatchLogsExports><member>error</member></EnabledCloudwatchLogsExports>',
    );
    expect(toXml('Iops', undefined)).toBe('');
  });

  it('wraps results and errors in the RDS envelopes', () => {
    expect(successXml('ListTagsForResource', { TagList: [] }, 'r-1')).toContain(
      '<ListTagsForResourceResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><ListTagsForResourceResult><TagList></TagList>',
    );
    expect(errorXml('DBInstanceNotFound', 'a "b"', 'r-2')).toContain(
      '<Error><Type>Sender</Type><Code>DBInstanceNotFound</Code><Message>a &quot;b&quot;</Message></Error><RequestId>r-2</RequestId>',
    );
  });
});
