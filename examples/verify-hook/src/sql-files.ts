import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineFamily } from './db';

export interface SqlFile {
  /** As named in messages: `postgres/01-mask.sql`. */
  name: string;
  text: string;
}

/** The `.sql` files of `<root>/<family>/`, in name order (so `01-…`, `02-…`); empty files are skipped. */
export const loadSqlFiles = (root: string, family: EngineFamily): SqlFile[] => {
  const dir = join(root, family);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.sql'))
    .map((e) => e.name)
    .sort()
    .map((name) => ({ name: `${family}/${name}`, text: readFileSync(join(dir, name), 'utf8') }))
    .filter((f) => f.text.trim() !== '');
};
