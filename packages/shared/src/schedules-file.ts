/**
 * Reads `trapheus.config.yml`. Kept out of the package index (`@trapheus/shared/schedules-file`): the YAML parser
 * is for the CLI, the local stack and packaging, never for a Lambda bundle.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { parse, YAMLParseError } from 'yaml';
import {
  parseSchedulesConfig,
  SCHEDULES_CONFIG_FILE,
  type ScheduleEntry,
  SchedulesConfigError,
} from './schedules';

/** The config file of a repository root. */
export const schedulesFileIn = (root: string): string => join(root, SCHEDULES_CONFIG_FILE);

/**
 * The validated schedules of a config file; none when the file is absent or empty.
 *
 * @throws SchedulesConfigError naming the file and each bad entry (or the YAML error's line)
 */
export const loadSchedulesFile = (file: string): ScheduleEntry[] => {
  if (!existsSync(file)) return [];
  const rel = relative(process.cwd(), file);
  const shown = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    if (err instanceof YAMLParseError)
      throw new SchedulesConfigError(shown, [`not valid YAML: ${err.message}`]);
    throw err;
  }
  return parseSchedulesConfig(raw, shown);
};
