/**
 * The room rules, enforced by Biome's noRestrictedImports (biome.json overrides): a service's code imports only
 * @trapheus/shared's public entry and never another service; the shared package imports no service, local stack
 * or CLI. Each case writes a probe file where the rule applies and asserts that `biome lint` refuses it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const BIOME = join(ROOT, 'node_modules', '.bin', 'biome');

const lint = (relPath: string, source: string) => {
  const file = join(ROOT, relPath);
  writeFileSync(file, source);
  try {
    const out = spawnSync(BIOME, ['lint', '--max-diagnostics=50', file], { cwd: ROOT, encoding: 'utf8' });
    return { status: out.status, text: `${out.stdout}${out.stderr}` };
  } finally {
    rmSync(file, { force: true });
  }
};

const probe = (name: string) => `zz-room-probe-${process.pid}-${name}.ts`;

describe('room rules (lint)', () => {
  it.each([
    [
      'the local stack',
      "import { startLocalStack } from '@trapheus/local';\nexport const x = startLocalStack;\n",
    ],
    [
      'another service',
      "import { buildCleanupSteps } from '../../cleanup/src/steps';\nexport const x = buildCleanupSteps;\n",
    ],
    [
      'a deep path into shared',
      "import { buildEngine } from '@trapheus/shared/src/engine';\nexport const x = buildEngine;\n",
    ],
  ])('a service may not import %s', (_what, source) => {
    const result = lint(`services/restore/src/${probe('svc')}`, source);

    expect(result.status).not.toBe(0);
    expect(result.text).toContain('lint/style/noRestrictedImports');
  });

  it('the shared package may not import a service', () => {
    const result = lint(
      `packages/shared/src/${probe('shared')}`,
      "import { buildRestoreSteps } from '../../../services/restore/src/steps';\nexport const x = buildRestoreSteps;\n",
    );

    expect(result.status).not.toBe(0);
    expect(result.text).toContain('The shared package imports no service');
  });

  it('a service importing the public shared entry is fine', () => {
    const result = lint(
      `services/restore/src/${probe('ok')}`,
      "import { buildEngine } from '@trapheus/shared';\nexport const x = buildEngine;\n",
    );

    expect(result.text).not.toContain('noRestrictedImports');
  });
});

describe('typed run state', () => {
  // Every `src` folder of the packages and services: a double cast hides a type the code should state.
  const srcFiles = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? srcFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
    );

  it('no `as unknown as` in any src folder', () => {
    const roots = ['packages', 'services'].flatMap((top) =>
      readdirSync(join(ROOT, top)).map((name) => join(ROOT, top, name, 'src')),
    );
    const files = roots.filter((d) => existsSync(d)).flatMap(srcFiles);
    const offenders = files.filter((f) => readFileSync(f, 'utf8').includes('as unknown as'));

    expect(files.length).toBeGreaterThan(50);
    expect(offenders.map((f) => f.slice(ROOT.length + 1))).toEqual([]);
  });
});
