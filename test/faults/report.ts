/** Where the fault suite and the soak leave their figures for test/faults/reporter.js (printed after jest's own). */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './harness';

export const REPORT_DIR = join(ROOT, '.tmp', 'faults');
const FILE = join(REPORT_DIR, 'summary.json');

export interface Summary {
  faults?: {
    scenarios: number;
    passed: number;
    violations: number;
    knownFailures: { name: string; defect: string; violations: string[] }[];
    fixedKnownFailures: string[];
    failures: { name: string; violations: string[] }[];
    wallMs: number;
    peakRssMb: number;
  };
  soak?: {
    runs: number;
    correct: number;
    violations: string[];
    wallMs: number;
    peakRssMb: number;
    seed: number;
    byStep: Record<string, number>;
    faults: Record<string, number>;
  };
}

export const readSummary = (): Summary => {
  try {
    return JSON.parse(readFileSync(FILE, 'utf8')) as Summary;
  } catch {
    return {};
  }
};

export const writeSummary = (patch: Summary): void => {
  mkdirSync(REPORT_DIR, { recursive: true });
  writeFileSync(FILE, JSON.stringify({ ...readSummary(), ...patch }, null, 2));
};

export const resetSummary = (key: keyof Summary): void => {
  const s = readSummary();
  delete s[key];
  mkdirSync(REPORT_DIR, { recursive: true });
  writeFileSync(FILE, JSON.stringify(s, null, 2));
};
