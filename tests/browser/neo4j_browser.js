// Drives Neo4j Browser in headless chromium for tests/browser/test_neo4j_browser.py: connects with the
// credentials in the environment, pastes stdin into the editor through the clipboard, runs it, and prints
// the result table as JSON ({columns, rows}: cell texts); keeps a screenshot at argv[3].
//   node neo4j_browser.js <node_modules with playwright-core> <screenshot.png> < query.cypher
const { chromium } = require(process.argv[2] + '/playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

(async () => {
  const text = fs.readFileSync(0, 'utf8');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'neo4j-browser-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: FLAGS,
    viewport: { width: 1920, height: 900 },
  });
  const page = context.pages()[0] || await context.newPage();
  try {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.goto(process.env.NEO4J_BROWSER_URL, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('[data-testid="connect"]', { timeout: 90000 });
    await page.selectOption('select', 'bolt://');
    await page.fill('[data-testid="boltaddress"]', process.env.NEO4J_URI.replace(/^[a-z+]+:\/\//, ''));
    await page.fill('[data-testid="username"]', process.env.NEO4J_USER || 'neo4j');
    await page.fill('[data-testid="password"]', process.env.NEO4J_PASSWORD);
    await page.click('[data-testid="connect"]');
    await page.getByText('You are connected as user').waitFor({ timeout: 60000 });
    // Paste as a user does: the text on the clipboard, Ctrl+V into the editor, then Run.
    await page.evaluate(t => navigator.clipboard.writeText(t), text);
    await page.click('[data-testid="activeEditor"] .monaco-editor');
    await page.keyboard.press('Control+V');
    await page.click('[data-testid="editor-Run"]');
    // The query's own frame (the newest is on top, but the start page's frames are there too).
    const command = page.locator('[data-testid="frameCommand"]', { hasText: text.trim().split('\n')[0].slice(0, 40) });
    const frame = page.locator('[data-testid="frame"]', { has: command }).first();
    await frame.locator('table[role="table"], [data-testid="errorBanner"]').first().waitFor({ timeout: 60000 });
    await page.waitForTimeout(500);  // let the table settle before the screenshot
    await page.screenshot({ path: process.argv[3] });
    const columns = await frame.locator('th[role="columnheader"]').allInnerTexts();
    const rows = [];
    for (const row of await frame.locator('tbody tr').all()) {
      rows.push(await row.locator('td[role="cell"]').allInnerTexts());
    }
    const status = await frame.locator('[data-testid="frameStatusbar"]').allInnerTexts();
    console.log(JSON.stringify({ columns, rows, status: status.join(' ') }));
  } catch (error) {
    await page.screenshot({ path: process.argv[3] });  // what the page showed when it failed
    throw error;
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
})().catch(error => { console.error(error.stack || String(error)); process.exit(1); });
