/**
 * The restored copy's master password from the request's secret (`masterPasswordSecretArn`): read with Secrets
 * Manager GetSecretValue right before the post-restore modify that sets it, checked against the RDS rules, and
 * never kept (not in the run, an event or a log line; errors name the secret, never its content).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  awsClientConfig,
  errorCode,
  MasterPasswordSecretError,
  masterPasswordProblem,
  passwordFromSecretString,
  type Run,
  stepError,
} from '@trapheus/shared';

/** Reads a secret's SecretString (undefined for a binary secret). */
export type SecretReader = (secretArn: string) => Promise<string | undefined>;

let client: SecretsManagerClient | undefined;
/** GetSecretValue (AWSCURRENT) with the function's role; the endpoint from AWS_ENDPOINT_URL_SECRETS_MANAGER. */
export const defaultSecretReader: SecretReader = async (secretArn) => {
  client ??= new SecretsManagerClient(
    awsClientConfig('SECRETS_MANAGER', process.env.AWS_REGION ?? 'us-east-1'),
  );
  const out = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  return out.SecretString;
};

/**
 * Secrets Manager API Reference, GetSecretValue errors that waiting does not fix: the secret is gone or
 * scheduled for deletion (ResourceNotFoundException, InvalidRequestException), the role may not read it or its
 * KMS key (AccessDeniedException, DecryptionFailure). Anything else (throttling, network) goes back to the queue.
 */
const PERMANENT = new Set([
  'ResourceNotFoundException',
  'InvalidRequestException',
  'InvalidParameterException',
  'AccessDeniedException',
  'AccessDenied',
  'DecryptionFailure',
]);

/**
 * The password the copy's master user gets, when the run asks for one and it is not set yet; undefined
 * otherwise. `engine` is the copy's (the RDS length and character rules differ per engine).
 */
export const masterPasswordFor = async (
  run: Run,
  engine: string | undefined,
  read: SecretReader,
): Promise<string | undefined> => {
  const arn = run.masterPasswordSecretArn;
  if (!arn || run.progress.masterPasswordSetAt) return undefined;
  let secretString: string | undefined;
  try {
    secretString = await read(arn);
  } catch (err) {
    const code = errorCode(err);
    if (!PERMANENT.has(code)) throw err;
    throw stepError(
      'MasterPasswordSecretUnreadable',
      `could not read the master password secret ${arn} (masterPasswordSecretArn): ${code}`,
    );
  }
  let password: string;
  try {
    password = passwordFromSecretString(secretString);
  } catch (err) {
    if (!(err instanceof MasterPasswordSecretError)) throw err;
    throw stepError('InvalidMasterPasswordSecret', `master password secret ${arn}: ${err.message}`);
  }
  const problem = masterPasswordProblem(password, engine);
  if (problem) throw stepError('InvalidMasterPasswordSecret', `master password secret ${arn}: ${problem}`);
  return password;
};
