/**
 * The packaged handlers' credentials: bundled with the services' esbuild plugins, an SDK client takes the keys Lambda
 * puts in the environment, and the rest of the default chain (with the STS and SSO clients) is not in the bundle.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { parse } from 'yaml';

let dir: string;
let bundle: string;
let inputs: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trapheus-credentials-'));
  const entry = join(dir, 'entry.ts');
  writeFileSync(
    entry,
    [
      "import { RDSClient } from '@aws-sdk/client-rds';",
      "export const resolve = () => new RDSClient({ region: 'us-east-1' }).config.credentials();",
    ].join('\n'),
  );
  bundle = join(dir, 'bundle.js');
  // The restore service's esbuild settings (serverless.yml custom.esbuild; the four services share them), with its
  // plugins file resolved as serverless-esbuild does, from the service's folder.
  const service = join(__dirname, '..', '..', '..', 'services', 'restore');
  const esbuild = parse(readFileSync(join(service, 'serverless.yml'), 'utf8')).custom.esbuild;
  const out = await build({
    entryPoints: [entry],
    outfile: bundle,
    bundle: esbuild.bundle,
    minify: esbuild.minify,
    platform: esbuild.platform,
    target: esbuild.target,
    format: esbuild.format,
    mainFields: esbuild.mainFields,
    external: esbuild.external,
    nodePaths: [join(__dirname, '..', '..', '..', 'node_modules')],
    plugins: require(join(service, esbuild.plugins)),
    metafile: true,
    logLevel: 'silent',
  });
  inputs = Object.keys((out.metafile as Metafile).inputs);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Resolves the client's credentials in a fresh node process with exactly `env`. */
const credentialsIn = (env: Record<string, string>) => {
  const res = spawnSync(
    process.execPath,
    [
      '-e',
      `require(${JSON.stringify(bundle)}).resolve().then(
        (c) => console.log(JSON.stringify(c)),
        (e) => { console.log(JSON.stringify({ error: e.name + ': ' + e.message })); });`,
    ],
    { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' },
  );
  return JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}');
};

describe('packaged handlers: credentials from the Lambda environment', () => {
  it('bundles the environment provider, not the default chain nor the STS and SSO clients', () => {
    expect(inputs.some((i) => i.includes('packages/shared/src/lambda-credentials.ts'))).toBe(true);
    expect(inputs.some((i) => i.includes('@aws-sdk/credential-provider-env/'))).toBe(true);
    for (const gone of [
      '@aws-sdk/credential-provider-node/',
      '@aws-sdk/credential-provider-sso/',
      '@aws-sdk/credential-provider-ini/',
      '@aws-sdk/credential-provider-web-identity/',
      '@aws-sdk/nested-clients/',
      '@smithy/credential-provider-imds/',
    ]) {
      expect(inputs.filter((i) => i.includes(gone))).toEqual([]);
    }
  });

  it("resolves the execution role's keys Lambda sets (access key, secret, session token)", () => {
    const creds = credentialsIn({
      AWS_ACCESS_KEY_ID: 'ASIAEXAMPLEKEY',
      AWS_SECRET_ACCESS_KEY: 'example-secret',
      AWS_SESSION_TOKEN: 'example-token',
    });
    expect(creds).toMatchObject({
      accessKeyId: 'ASIAEXAMPLEKEY',
      secretAccessKey: 'example-secret',
      sessionToken: 'example-token',
    });
  });

  it("fails with the SDK's own error, saying why, when the environment holds no keys (never on Lambda)", () => {
    expect(credentialsIn({ AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' })).toEqual({
      error: expect.stringMatching(
        /^CredentialsProviderError: Unable to find environment variable credentials.* read credentials only from the environment, as Lambda sets them/,
      ),
    });
  });
});
