/**
 * The smallest database client the hook needs: connect over TLS, run one SQL file as one multi-statement query,
 * close. PostgreSQL through `pg`, MySQL and MariaDB through `mysql2`.
 */
import { readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import pg from 'pg';

export type EngineFamily = 'postgres' | 'mysql';

/** The RDS `Engine` value → the client to use; undefined for an engine this hook does not speak. */
export const engineFamily = (engine: string): EngineFamily | undefined => {
  switch (engine.toLowerCase()) {
    case 'postgres':
    case 'aurora-postgresql':
      return 'postgres';
    case 'mysql':
    case 'mariadb':
    case 'aurora-mysql':
      return 'mysql';
    default:
      return undefined;
  }
};

export type TlsMode = 'verify-full' | 'require-no-verify';

/**
 * verify-full: encrypted, and the server must present a certificate for this host name signed by a CA in
 * `caFile` (the RDS CA bundle): the password is only ever sent to the real endpoint.
 * require-no-verify: encrypted but the server is not authenticated (a fallback, see the README).
 */
export interface Tls {
  ca?: string;
  rejectUnauthorized: boolean;
  /** mysql2 checks the certificate's host name only when asked (pg always does, through Node's TLS). */
  verifyIdentity?: boolean;
}

export const tlsOptions = (mode: TlsMode, caFile: string): Tls => {
  if (mode === 'require-no-verify') return { rejectUnauthorized: false, verifyIdentity: false };
  let ca: string;
  try {
    ca = readFileSync(caFile, 'utf8');
  } catch {
    throw new Error(
      `TLS verify-full needs the RDS CA bundle at ${caFile}, which is missing: download it before deploying (see the README)`,
    );
  }
  return { ca, rejectUnauthorized: true, verifyIdentity: true };
};

export interface DbTarget {
  family: EngineFamily;
  host: string;
  port: number;
  user: string;
  password: string;
  /** PostgreSQL: the database to connect to (default postgres). MySQL: the default schema, if any. */
  database?: string;
  ssl: Tls;
  /** Upper bound for any one statement, enforced by the server where the engine can (PostgreSQL). */
  statementTimeoutMs: number;
  applicationName: string;
}

export interface Db {
  /** Runs one SQL text (several statements allowed); rejects with the database's error. */
  run(sql: string): Promise<void>;
  close(): Promise<void>;
}

const CONNECT_TIMEOUT_MS = 10_000;

export const openDb = async (t: DbTarget): Promise<Db> => {
  if (t.family === 'postgres') {
    const client = new pg.Client({
      host: t.host,
      port: t.port,
      user: t.user,
      password: t.password,
      database: t.database || 'postgres',
      ssl: { ca: t.ssl.ca, rejectUnauthorized: t.ssl.rejectUnauthorized },
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      statement_timeout: Math.max(1, Math.floor(t.statementTimeoutMs)),
      application_name: t.applicationName,
    });
    // A connection error between queries is emitted, not thrown: without a listener it would crash the process.
    client.on('error', () => {});
    await client.connect();
    // Without parameters pg uses the simple query protocol: several statements in one text run as one implicit
    // transaction (unless the file has its own BEGIN/COMMIT).
    return { run: async (sql) => void (await client.query(sql)), close: () => client.end() };
  }
  const conn = await mysql.createConnection({
    host: t.host,
    port: t.port,
    user: t.user,
    password: t.password,
    database: t.database || undefined,
    ssl: t.ssl,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // Only the SQL files bundled with the hook are ever sent: no user input reaches these queries.
    multipleStatements: true,
  });
  conn.on('error', () => {});
  return { run: async (sql) => void (await conn.query(sql)), close: () => conn.end() };
};
