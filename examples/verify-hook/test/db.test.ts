import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineFamily, tlsOptions } from '../src/db';
import { loadSqlFiles } from '../src/sql-files';

describe('engineFamily', () => {
  it.each([
    ['postgres', 'postgres'],
    ['aurora-postgresql', 'postgres'],
    ['mysql', 'mysql'],
    ['aurora-mysql', 'mysql'],
    ['mariadb', 'mysql'],
    ['oracle-ee', undefined],
    ['sqlserver-se', undefined],
    ['db2-se', undefined],
  ])('%s → %s', (engine, family) => {
    expect(engineFamily(engine)).toBe(family);
  });
});

describe('tlsOptions', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'verify-hook-tls-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('verify-full: the CA bundle, chain and host name checked', () => {
    writeFileSync(join(dir, 'ca.pem'), 'PEM');
    expect(tlsOptions('verify-full', join(dir, 'ca.pem'))).toEqual({
      ca: 'PEM',
      rejectUnauthorized: true,
      verifyIdentity: true,
    });
  });

  it('verify-full without the bundle is an error that says what to do', () => {
    expect(() => tlsOptions('verify-full', join(dir, 'nope.pem'))).toThrow(/download it before deploying/);
  });

  it('require-no-verify: encrypted, server not checked', () => {
    expect(tlsOptions('require-no-verify', join(dir, 'nope.pem'))).toEqual({
      rejectUnauthorized: false,
      verifyIdentity: false,
    });
  });
});

describe('the bundled SQL files', () => {
  it.each(['postgres', 'mysql'] as const)('%s: 01-mask then 02-smoke', (family) => {
    expect(loadSqlFiles(join(__dirname, '..', 'sql'), family).map((f) => f.name)).toEqual([
      `${family}/01-mask.sql`,
      `${family}/02-smoke.sql`,
    ]);
  });

  it('a missing folder is no files', () => {
    expect(loadSqlFiles(join(__dirname, 'nowhere'), 'postgres')).toEqual([]);
  });
});
