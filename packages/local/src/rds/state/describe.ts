import { invalidParameterValue } from '../errors';
import { optInt, optStringList, optStructList, type Params, reqString } from '../protocol';

export function checkMaxRecords(p: Params): number | undefined {
  const max = optInt(p, 'MaxRecords');
  if (max !== undefined && (max < 20 || max > 100))
    throw invalidParameterValue('MaxRecords must be between 20 and 100.');
  return max;
}

/** Applies `Filters` (name → accessor); an unknown filter name is an error, as in RDS. */
export function applyFilters<T>(
  p: Params,
  items: T[],
  accessors: Record<string, (item: T) => string | undefined>,
): T[] {
  let out = items;
  for (const f of optStructList(p, 'Filters') ?? []) {
    const name = reqString(f, 'Name');
    const get = accessors[name];
    if (!get) throw invalidParameterValue(`Unrecognized filter name: ${name}`);
    const values = (optStringList(f, 'Values') ?? []).map((v) => v.toLowerCase());
    out = out.filter((item) => {
      const value = get(item)?.toLowerCase();
      // Identifier filters accept ARNs as well.
      return value !== undefined && values.some((v) => v === value || v.endsWith(`:${value}`));
    });
  }
  return out;
}

/** Accepts an identifier or its ARN (`arn:aws:rds:…:<kind>:<id>`). */
export function idFromArn(idOrArn: string, kind: string): string {
  const marker = `:${kind}:`;
  return idOrArn.startsWith('arn:') && idOrArn.includes(marker)
    ? idOrArn.slice(idOrArn.lastIndexOf(marker) + marker.length)
    : idOrArn;
}
