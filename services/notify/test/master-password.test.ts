import { renderEmail } from '../src/render-email';
import { renderSlack } from '../src/render-slack';
import { summarize } from '../src/summary';
import { succeededOutcome } from './fixtures';

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0f3a9c21-AbC123';

describe('the alert says where the copy’s managed master password is', () => {
  it('names the new secret in what answers under the name, in the e-mail and on Slack', () => {
    const s = summarize({ ...succeededOutcome(), masterUserSecretArn: SECRET });
    expect(s.databaseNow).toContain(`its master password is in a new Secrets Manager secret, ${SECRET}`);
    expect(renderEmail(s).text).toContain(SECRET);
    expect(JSON.stringify(renderSlack(s))).toContain(SECRET);
  });

  it('says nothing about a secret when the copy has none of its own', () => {
    expect(summarize(succeededOutcome()).databaseNow).not.toContain('Secrets Manager');
  });
});
