/**
 * Prints the fault suite's and the soak's figures after jest's summary, from .tmp/faults/summary.json; the last
 * line is always `faults: N scenarios, N passed, N invariant violations`.
 */
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

class FaultsReporter {
  constructor(globalConfig) {
    this.file = join(globalConfig.rootDir, '.tmp', 'faults', 'summary.json');
  }
  onRunComplete() {
    let s = {};
    try {
      s = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch {
      // nothing ran
    }
    const out = [];
    if (s.faults) {
      for (const k of s.faults.knownFailures) {
        out.push(`known pipeline defect (lead to fix): ${k.name}: ${k.defect}`);
        for (const v of k.violations.slice(0, 2)) out.push(`    ${v}`);
      }
      for (const f of s.faults.fixedKnownFailures)
        out.push(`known failure now passes (remove it from KNOWN): ${f}`);
      for (const f of s.faults.failures) {
        out.push(`VIOLATION ${f.name}`);
        for (const v of f.violations) out.push(`    ${v}`);
      }
    }
    if (s.soak) {
      for (const v of s.soak.violations.slice(0, 20)) out.push(`soak violation: ${v}`);
      out.push(
        `soak: ${s.soak.correct}/${s.soak.runs} correct (seed ${s.soak.seed}, outcomes ${JSON.stringify(s.soak.byStep)})`,
      );
      out.push(
        `soak wall time: ${(s.soak.wallMs / 1000).toFixed(1)} s, peak RSS of the local stack process: ${s.soak.peakRssMb} MB`,
      );
    }
    if (s.faults) {
      out.push(
        `faults: ${s.faults.scenarios} scenarios, ${s.faults.passed} passed, ${s.faults.violations} invariant violations`,
      );
    }
    // After jest's own summary, so that the faults line is the last one printed.
    if (out.length) process.once('exit', () => process.stdout.write(`${out.join('\n')}\n`));
  }
}

module.exports = FaultsReporter;
