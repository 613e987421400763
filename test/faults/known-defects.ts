/**
 * Fault scenarios whose invariant violations are real pipeline defects the lead is fixing (not harness
 * problems): scenario name → the defect. They are reported, not counted as violations; once one passes, the
 * suite says so and it must be removed from here. Never weaken an invariant instead.
 */
export const KNOWN: Record<string, string> = {};
