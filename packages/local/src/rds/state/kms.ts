/**
 * KMS keys as far as RDS is concerned: who owns a key, whether it is an account's AWS managed key for RDS (alias
 * `aws/rds`), and which other accounts its key policy lets use it. The simulator has no KMS API: keys are seeded with
 * `seedKmsKey`; a key it has never heard of is a customer managed key of the account in its ARN (the local account for
 * a bare key id or alias name), usable by that account only, as AWS KMS keys are by default.
 */
import { RdsError } from '../errors';
import type { KmsKeyRecord, Store } from './store';

/** The alias of an account's AWS managed key for RDS. */
export const RDS_DEFAULT_KEY_ALIAS = 'alias/aws/rds';

const KMS_ARN = /^arn:aws[\w-]*:kms:([^:]+):([^:]+):(key|alias)\/(.+)$/;
const ACCOUNT_ID = /^\d{12}$/;

/**
 * The fixed key id the simulator gives an alias (KMS authorizes on keys, never on aliases): 32 hex digits of the
 * alias name, as a UUID. The IAM mapping (iam-resources.ts) resolves aliases the same way.
 */
export function aliasKeyId(alias: string): string {
  const hex = Buffer.from(alias).toString('hex').padEnd(32, '0').slice(0, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * An account's AWS managed key for RDS in a Region: the seeded one, else the key every account implicitly has. RDS
 * encrypts with it when no KmsKeyId is given (RDS API reference, CreateDBInstance KmsKeyId: "If StorageEncrypted is
 * enabled, and you do not specify a value for the KmsKeyId parameter, then Amazon RDS uses your default KMS key. …
 * Your Amazon Web Services account has a different default KMS key for each Amazon Web Services Region."). An
 * encrypted database or snapshot whose KmsKeyId is absent is taken to use this key.
 */
export function defaultRdsKey(store: Store, account: string, region = store.region): KmsKeyRecord {
  const seeded = region === store.region ? store.rdsDefaultKeys.get(account) : undefined;
  const rec = seeded ? store.kmsKeys.get(seeded) : undefined;
  if (rec) return rec;
  return {
    arn: `arn:aws:kms:${region}:${account}:key/${aliasKeyId(RDS_DEFAULT_KEY_ALIAS)}`,
    account,
    region,
    awsManagedRdsDefault: true,
    usableBy: [],
  };
}

/**
 * The key a KmsKeyId names, seen from `account` (RDS API reference, CopyDBSnapshot KmsKeyId: "The Amazon Web Services
 * KMS key identifier is the key ARN, key ID, alias ARN, or alias name for the KMS key."): a key id or alias name is a
 * key of `account` in this Region; an absent value is `account`'s AWS managed key for RDS.
 */
export function resolveKmsKey(store: Store, keyId: string | undefined, account: string): KmsKeyRecord {
  if (keyId === undefined || keyId === '') return defaultRdsKey(store, account);
  const m = KMS_ARN.exec(keyId);
  const alias = !m && keyId.startsWith('alias/');
  const region = m?.[1] ?? store.region;
  const owner = m?.[2] ?? account;
  const type = m?.[3] ?? (alias ? 'alias' : 'key');
  const name = m?.[4] ?? (alias ? keyId.slice('alias/'.length) : keyId);
  if (type === 'alias' && `alias/${name}` === RDS_DEFAULT_KEY_ALIAS)
    return defaultRdsKey(store, owner, region);
  const arn = `arn:aws:kms:${region}:${owner}:${type}/${name}`;
  const known = store.kmsKeys.get(arn);
  if (known) return known;
  const fallback = defaultRdsKey(store, owner, region);
  if (fallback.arn === arn) return fallback;
  return { arn, account: owner, region, awsManagedRdsDefault: false, usableBy: [] };
}

/** Whether `account` may use the key from this Region. */
export function kmsKeyUsable(store: Store, key: KmsKeyRecord, account: string): boolean {
  // RDS API reference, CopyDBSnapshot KmsKeyId: "KMS keys are specific to the Amazon Web Services Region that they are
  // created in, and you can't use KMS keys from one Amazon Web Services Region in another Amazon Web Services Region."
  if (key.region !== store.region) return false;
  if (key.account === account) return true;
  // AWS KMS Developer Guide, "Change a key policy" (key-policy-modifying): "you can only change the key policy for a
  // customer managed key. The policies of AWS managed keys are created and managed by the AWS service that created the
  // KMS key in your account." An AWS managed key is usable by its own account only.
  if (key.awsManagedRdsDefault) return false;
  // RDS User Guide, "Sharing a DB snapshot" (USER_ShareSnapshot), "Allowing access to an AWS KMS key": the key policy
  // of the customer managed key must name the other account.
  return key.usableBy.includes(account);
}

/**
 * KMSKeyNotAccessibleFault (RDS API reference: listed by CopyDBSnapshot, CopyDBClusterSnapshot,
 * RestoreDBClusterFromSnapshot and the other restores). The message follows the one RDS is seen to answer
 * (awslabs/aurora-snapshot-tool#25); AWS documents no message.
 */
export function kmsKeyNotAccessible(key: KmsKeyRecord): RdsError {
  return new RdsError(
    'KMSKeyNotAccessibleFault',
    `The specified KMS key [${key.arn}] does not exist, is not enabled or you do not have permissions to access it.`,
  );
}

/** Throws KMSKeyNotAccessibleFault unless the local account may use the key. */
export function assertKmsKeyUsable(store: Store, key: KmsKeyRecord): void {
  if (!kmsKeyUsable(store, key, store.accountId)) throw kmsKeyNotAccessible(key);
}

export interface KmsKeySeed {
  /** The key id (the key ARN is built from it, the account and the simulator's Region); or give `arn`. */
  keyId?: string;
  /** The key ARN (`arn:aws:kms:<region>:<account>:key/<id>`) or an alias ARN. */
  arn?: string;
  /** The owning account (12 digits). */
  account: string;
  /** This key is the account's AWS managed key for RDS (alias `aws/rds`). */
  awsManagedRdsDefault?: boolean;
  /** Other accounts the key policy lets use the key (customer managed keys only). */
  usableBy?: string[];
}

/** Registers a KMS key; returns its ARN. Throws (a plain Error) on a seed AWS could not have. */
export function seedKmsKey(store: Store, seed: KmsKeySeed): string {
  if (!ACCOUNT_ID.test(seed.account))
    throw new Error(`seedKmsKey: account must be 12 digits, not ${seed.account}`);
  const given =
    seed.arn ?? (seed.keyId ? `arn:aws:kms:${store.region}:${seed.account}:key/${seed.keyId}` : '');
  const m = KMS_ARN.exec(given);
  if (!m) throw new Error('seedKmsKey: give keyId or a KMS key ARN');
  const [, region = '', account = '', type = '', name = ''] = m;
  if (account !== seed.account) {
    throw new Error(`seedKmsKey: the ARN ${given} is not a key of account ${seed.account}`);
  }
  const usableBy = [...(seed.usableBy ?? [])];
  if (usableBy.some((a) => !ACCOUNT_ID.test(a)))
    throw new Error('seedKmsKey: usableBy takes 12-digit account ids');
  // AWS KMS Developer Guide, "Change a key policy": only a customer managed key's policy can be changed.
  if (seed.awsManagedRdsDefault && usableBy.length > 0) {
    throw new Error("seedKmsKey: an AWS managed key's key policy can't name other accounts");
  }
  const arn = `arn:aws:kms:${region}:${account}:${type}/${name}`;
  const rec: KmsKeyRecord = {
    arn,
    account,
    region,
    awsManagedRdsDefault: seed.awsManagedRdsDefault ?? false,
    usableBy,
  };
  store.kmsKeys.set(arn, rec);
  if (rec.awsManagedRdsDefault && region === store.region) store.rdsDefaultKeys.set(account, arn);
  return arn;
}
