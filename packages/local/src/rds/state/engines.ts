/** Engine facts the simulator needs: default versions, parameter group families, default option groups. */

const DEFAULT_VERSIONS: Record<string, string> = {
  postgres: '16.4',
  mysql: '8.0.39',
  mariadb: '10.11.9',
  'aurora-postgresql': '16.6',
  'aurora-mysql': '8.0.mysql_aurora.3.08.0',
  'oracle-ee': '19.0.0.0.ru-2024-10.rur-2024-10.r1',
  'oracle-se2': '19.0.0.0.ru-2024-10.rur-2024-10.r1',
  'sqlserver-ee': '15.00.4395.2.v1',
  'sqlserver-se': '15.00.4395.2.v1',
  'sqlserver-ex': '15.00.4395.2.v1',
  'sqlserver-web': '15.00.4395.2.v1',
};

/** A second version per engine, used when the "Region default" would equal the snapshot's version. */
const ALTERNATE_VERSIONS: Record<string, string> = {
  'aurora-postgresql': '15.10',
  'aurora-mysql': '8.0.mysql_aurora.3.05.2',
};

const DEFAULT_PORTS: Record<string, number> = {
  postgres: 5432,
  'aurora-postgresql': 5432,
  oracle: 1521,
  sqlserver: 1433,
};

export function isKnownEngine(engine: string): boolean {
  return engine in DEFAULT_VERSIONS;
}

export function isAurora(engine: string): boolean {
  return engine.startsWith('aurora');
}

export function defaultEngineVersion(engine: string): string {
  return DEFAULT_VERSIONS[engine] ?? '1.0';
}

/** The Region's default version for a cluster restore without EngineVersion: never the snapshot's own. */
export function regionDefaultVersion(engine: string, snapshotVersion: string): string {
  const def = defaultEngineVersion(engine);
  return def !== snapshotVersion ? def : (ALTERNATE_VERSIONS[engine] ?? `${def}-r2`);
}

/** Major version as RDS uses it in family names: `16` for PostgreSQL, `8.0` for MySQL. */
export function majorVersion(engine: string, version: string): string {
  const parts = version.split('.');
  if (engine.includes('postgres') || engine.startsWith('oracle')) return parts[0] ?? version;
  if (engine.startsWith('sqlserver')) return `${Number(parts[0])}.0`;
  return parts.slice(0, 2).join('.');
}

export function parameterGroupFamily(engine: string, version: string): string {
  const major = majorVersion(engine, version);
  if (engine.startsWith('oracle') || engine.startsWith('sqlserver')) return `${engine}-${major}`;
  return `${engine}${major}`;
}

export function defaultParameterGroup(engine: string, version: string): string {
  return `default.${parameterGroupFamily(engine, version)}`;
}

export function defaultOptionGroup(engine: string, version: string): string {
  return `default:${engine}-${majorVersion(engine, version).replace(/\./g, '-')}`;
}

export function defaultPort(engine: string): number {
  for (const [key, port] of Object.entries(DEFAULT_PORTS)) {
    if (engine === key || engine.startsWith(`${key}-`)) return port;
  }
  return 3306;
}

export function defaultLicenseModel(engine: string): string {
  if (engine.includes('postgres')) return 'postgresql-license';
  if (engine.startsWith('oracle') || engine.startsWith('sqlserver')) return 'license-included';
  return 'general-public-license';
}
