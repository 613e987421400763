/**
 * `trapheus ui` in a real browser (headless chromium through puppeteer-core): a local stack in this process, a
 * restore of demo-db to SUCCEEDED, the UI server on a free port against that stack (`--local` in the stack's
 * folder), then the run page (a labelled bar per step, the run id, the final state), the runs list (the run, the
 * state filter), the keyboard path (Tab to the run link, Enter opens it), and the unlock's refusal without its
 * confirmation. Saves docs/run-view.png (1200×800) for the README.
 *
 * `npm run test:browser`; chromium from CHROMIUM_PATH (default /usr/bin/chromium).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalStack } from '@trapheus/local';
import { peekLock, type Run } from '@trapheus/shared';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { EXIT } from '../../packages/cli/src/exit-codes';
import { openUi } from '../../packages/cli/src/ui/register';
import type { UiServer } from '../../packages/cli/src/ui/server';
import { clientsFor, freshStack, ROOT, runRestore } from '../e2e/stack-helpers';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SCREENSHOT = join(ROOT, 'docs', 'run-view.png');

describe('trapheus ui in headless chromium', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'trapheus-ui-browser-'));
  let stack: LocalStack | undefined;
  let ui: UiServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let run: Run;
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `no chromium at ${CHROMIUM}: install it (Debian: apt-get install -y --no-install-recommends chromium) or set CHROMIUM_PATH to a Chrome/Chromium binary`,
      );
    }
    stack = await freshStack(600, { writeInfo: true, infoDir: cwd });
    const restored = await runRestore(stack, { identifier: 'demo-db' });
    expect(restored.code).toBe(EXIT.SUCCEEDED);
    const stored = await clientsFor(stack).runs.get(restored.runId);
    if (!stored) throw new Error(`run ${restored.runId} not stored`);
    run = stored;

    ui = await openUi({ local: true, cwd, port: 0 });
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Root in a container has no user namespace for chromium's sandbox; the page is our own, on 127.0.0.1.
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
      defaultViewport: { width: 1200, height: 800 },
    });
    page = await browser.newPage();
    page.on('pageerror', (err) => problems.push(`page error: ${err}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await ui?.close();
    await stack?.stop();
  });

  it('the run page shows one labelled bar per step of the history, the run id and the final state', async () => {
    const res = await page.goto(`${ui?.url}runs/${run.runId}`, { waitUntil: 'load' });
    expect(res?.status()).toBe(200);

    const bars = await page.$$eval('svg .bar-row', (rows) =>
      rows.map((r) => ({
        step: r.getAttribute('data-step'),
        label: r.querySelector('text.label')?.textContent,
        bar: r.querySelector('rect.bar')?.getAttribute('width'),
        title: r.querySelector('rect.bar title')?.textContent,
      })),
    );
    expect(bars.map((b) => b.label)).toEqual(run.history.map((h) => h.step));
    expect(bars.map((b) => b.step)).toEqual(run.history.map((h) => h.step));
    for (const b of bars) {
      expect(Number(b.bar)).toBeGreaterThan(0);
      expect(b.title).toMatch(new RegExp(`^${b.step}: `));
    }
    expect(run.history.at(-1)?.step).toBe('SUCCEEDED');
    // A finished run has nothing running: its final step is drawn as its end, with the total.
    expect(bars.at(-1)?.title).toMatch(/^SUCCEEDED: end \(total /);
    expect(bars.some((b) => b.title?.includes('running'))).toBe(false);

    expect(await page.$eval('h1 .run-id', (el) => el.textContent)).toBe(run.runId);
    expect(await page.$eval('.summary .state', (el) => el.textContent)).toBe('SUCCEEDED');
    expect(await page.title()).toContain(run.runId);
    expect(await page.$eval('#live', (el) => el.getAttribute('aria-live'))).toBe('polite');
    const visible = await page.$eval('body', (el) => el.textContent ?? '');
    expect(visible).toContain(run.runId);
    expect(visible).toContain('SUCCEEDED');

    await page.screenshot({
      path: SCREENSHOT as `${string}.png`,
      clip: { x: 0, y: 0, width: 1200, height: 800 },
    });
    expect(existsSync(SCREENSHOT)).toBe(true);
  });

  it('the runs list shows the run, and filtering by state works', async () => {
    await page.goto(ui?.url ?? '', { waitUntil: 'load' });
    const row = `tr[data-run-id="${run.runId}"]`;
    expect(await page.$eval(`${row} .state`, (el) => el.textContent)).toBe('SUCCEEDED');
    expect(await page.$eval(`${row} td:nth-child(2)`, (el) => el.textContent)).toBe('demo-db');

    await page.select('#f-state', 'ROLLED_BACK');
    await Promise.all([page.waitForNavigation(), page.click('.filters button[type=submit]')]);
    expect(page.url()).toContain('state=ROLLED_BACK');
    expect(await page.$(row)).toBeNull();
    expect(await page.$eval('table.runs caption', (el) => el.textContent)).toBe('No runs match.');

    await page.select('#f-state', 'SUCCEEDED');
    await Promise.all([page.waitForNavigation(), page.click('.filters button[type=submit]')]);
    expect(await page.$(row)).not.toBeNull();
    const states = await page.$$eval('table.runs tbody .state', (els) => els.map((e) => e.textContent));
    expect(states.length).toBeGreaterThan(0);
    expect(new Set(states)).toEqual(new Set(['SUCCEEDED']));
  });

  it('keyboard: Tab reaches the run link and Enter opens the run', async () => {
    await page.goto(ui?.url ?? '', { waitUntil: 'load' });
    const href = `/runs/${run.runId}`;
    let reached = false;
    for (let i = 0; i < 30 && !reached; i++) {
      await page.keyboard.press('Tab');
      const focused = await page.$eval(':focus', (el) => el.getAttribute('href')).catch(() => null);
      reached = focused === href;
    }
    expect(reached).toBe(true);
    // The focused link is visibly outlined (:focus-visible).
    const outline = await page.$eval(
      ':focus',
      (el) => el.ownerDocument.defaultView?.getComputedStyle(el).outlineStyle,
    );
    expect(outline).not.toBe('none');

    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    expect(new URL(page.url()).pathname).toBe(href);
    expect(await page.$eval('h1 .run-id', (el) => el.textContent)).toBe(run.runId);
  });

  it('the page of a running run redraws itself (no reload) until the run ends', async () => {
    if (!stack) throw new Error('no stack');
    const started = await runRestore(stack, { identifier: 'demo-db', wait: false });
    expect(started.runId).toMatch(/^run-/);
    await page.goto(`${ui?.url}runs/${started.runId}`, { waitUntil: 'load' });
    const pollingAtLoad = await page.$eval('#live', (el) => el.getAttribute('data-poll'));
    await page.$eval('h1', (el) => el.setAttribute('data-loaded-once', 'yes'));

    await page.waitForFunction(`document.querySelector('.summary .state')?.textContent === 'SUCCEEDED'`, {
      timeout: 60_000,
      polling: 200,
    });

    // Redrawn in place (the marker on the heading outside the live region survived), every step drawn.
    expect(await page.$eval('h1', (el) => el.getAttribute('data-loaded-once'))).toBe('yes');
    expect(pollingAtLoad).toBe('true');
    const stored = await clientsFor(stack).runs.get(started.runId);
    expect(await page.$$eval('svg .bar-row', (rows) => rows.map((r) => r.getAttribute('data-step')))).toEqual(
      stored?.history.map((h) => h.step),
    );
  });

  it('the pages ran without script errors, failed requests or CSP violations', () => {
    expect(problems).toEqual([]);
  });

  it('the unlock API refuses a request without its confirmation field', async () => {
    await page.goto(ui?.url ?? '', { waitUntil: 'load' });
    const answer = await page.evaluate(async () => {
      const res = await fetch('/api/unlock', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ identifier: 'demo-db', cluster: false }),
      });
      return { status: res.status, body: await res.json() };
    });
    expect(answer.status).toBe(400);
    expect((answer.body as { error: string }).error).toContain('confirm must repeat the identifier');
  });

  it('a FAILED run that holds its lock: the failure with its advice, and Unlock only after the confirmation', async () => {
    if (!stack) throw new Error('no stack');
    // The restore fails, then the rollback cannot delete the copy: FAILED, and the database stays locked.
    stack.rds.faults.add({
      kind: 'async-failure',
      operation: 'RestoreDBInstanceFromDBSnapshot',
      status: 'incompatible-restore',
    });
    stack.rds.faults.add({
      kind: 'api-error',
      operation: 'DeleteDBInstance',
      code: 'InvalidParameterCombination',
    });
    const failed = await runRestore(stack, { identifier: 'demo-db' });
    expect(failed.code).toBe(EXIT.FAILED);

    await page.goto(`${ui?.url}runs/${failed.runId}`, { waitUntil: 'load' });
    expect(await page.$eval('.summary .state', (el) => el.textContent)).toBe('FAILED');
    const failure = await page.$eval('section.failure', (el) => el.textContent ?? '');
    expect(failure).toContain('incompatible-restore');
    expect(failure).toContain('What to do');

    // Dismissing the confirmation sends nothing.
    page.once('dialog', (d) => void d.dismiss());
    await page.click('button.unlock');
    await page.waitForFunction(`document.querySelector('.unlock-result')?.textContent === 'Not unlocked.'`);
    const { clients } = clientsFor(stack);
    const lock = () => peekLock(clients.dynamo, stack?.runsTable ?? '', 'instance', 'demo-db');
    expect(await lock()).toMatchObject({ free: false, holder: failed.runId, needsPerson: true });

    // Accepting it releases the lock.
    page.once('dialog', (d) => void d.accept());
    await page.click('button.unlock');
    await page.waitForFunction(
      `/unlocked/.test(document.querySelector('.unlock-result')?.textContent ?? '')`,
    );
    expect((await lock()).free).toBe(true);
  });
});
