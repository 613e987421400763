/** An RDS API error: `code` is the wire code (e.g. `DBInstanceNotFound`), which the SDK maps to its class. */
export class RdsError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, status?: number) {
    super(message);
    this.name = 'RdsError';
    this.code = code;
    this.status = status ?? (/NotFound(Fault)?$/.test(code) ? 404 : 400);
  }
}

export const instanceNotFound = (id: string) =>
  new RdsError('DBInstanceNotFound', `DBInstance ${id} not found.`, 404);
export const snapshotNotFound = (id: string) =>
  new RdsError('DBSnapshotNotFound', `DBSnapshot ${id} not found.`, 404);
export const clusterNotFound = (id: string) =>
  new RdsError('DBClusterNotFoundFault', `DBCluster ${id} not found.`, 404);
export const clusterSnapshotNotFound = (id: string) =>
  new RdsError('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${id} not found.`, 404);

export const invalidParameterValue = (message: string) => new RdsError('InvalidParameterValue', message);
export const invalidParameterCombination = (message: string) =>
  new RdsError('InvalidParameterCombination', message);
export const missingParameter = (name: string) =>
  new RdsError('MissingParameter', `The request must contain the parameter ${name}.`);
