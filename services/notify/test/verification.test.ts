/** The VERIFYING step in alerts: each hook's answer, in the e-mail and in Slack. */
import { renderEmail } from '../src/render-email';
import { renderSlack } from '../src/render-slack';
import { summarize } from '../src/summary';
import { rolledBackOutcome } from './fixtures';

const verifiedOutcome = () => ({
  ...rolledBackOutcome(),
  failure: {
    step: 'VERIFYING' as const,
    code: 'VerificationFailed',
    message: 'hook health: orders count is 0',
    at: '2026-11-24T10:31:40.000Z',
  },
  verification: {
    hooks: ['masking', 'health', 'smoke'],
    timeoutMinutes: 60,
    answers: {
      masking: { ok: true, message: '12 tables masked', at: '2026-11-24T10:30:00.000Z' },
      health: { ok: false, message: 'orders count is 0', at: '2026-11-24T10:31:40.000Z' },
    },
  },
});

describe('verification in alerts', () => {
  it('lists each hook with its answer (or none)', () => {
    expect(summarize(verifiedOutcome()).verification).toEqual([
      'masking: ok — 12 tables masked (at 2026-11-24T10:30:00.000Z)',
      'health: FAILED — orders count is 0 (at 2026-11-24T10:31:40.000Z)',
      'smoke: no answer',
    ]);
    expect(summarize(rolledBackOutcome()).verification).toEqual([]);
  });

  it('shows them in the e-mail (text and HTML) and in Slack, with the failure naming the hook', () => {
    const s = summarize(verifiedOutcome());
    const email = renderEmail(s);
    expect(email.text).toContain('VERIFICATION (VERIFYING)');
    expect(email.text).toContain('health: FAILED — orders count is 0');
    expect(email.text).toContain('hook health: orders count is 0');
    expect(email.html).toContain('<h3>Verification (VERIFYING)</h3>');
    const slack = JSON.stringify(renderSlack(s).blocks);
    expect(slack).toContain('*Verification* (VERIFYING)');
    expect(slack).toContain('health: FAILED — orders count is 0');
    expect(renderEmail(summarize(rolledBackOutcome())).text).not.toContain('VERIFICATION');
  });
});
