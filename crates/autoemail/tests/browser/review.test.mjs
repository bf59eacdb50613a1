// The review UI in Debian's Chromium, driven by playwright-core against a real
// AutoEmail server with a seeded store (started by tests/web_browser.rs, which
// passes BASE_URL, ARTIFACTS and UNDO_SECONDS and checks the Maildir after).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

const base = process.env.BASE_URL;
const artifacts = process.env.ARTIFACTS || "browser-artifacts";
const undoSeconds = Number(process.env.UNDO_SECONDS || 6);
mkdirSync(artifacts, { recursive: true });

let browser, page;
const dialogs = [];
const pageErrors = [];
const results = { approved: [], undone: [], rejected: [], regenerated: [] };

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    d.dismiss();
  });
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(base + "/");
  await page.waitForSelector("#queue .item.selected");
});

after(async () => {
  writeFileSync(`${artifacts}/results.json`, JSON.stringify(results, null, 2));
  if (browser) await browser.close();
});

async function api(path) {
  const r = await page.evaluate(async (p) => {
    const res = await fetch(p);
    return { status: res.status, text: await res.text() };
  }, path);
  assert.equal(r.status, 200, `GET ${path}: ${r.text}`);
  return JSON.parse(r.text);
}
const queue = async () => (await api("/api/queue")).drafts;
const draft = (ref) => api("/api/drafts/" + ref);
const selectedRef = () => page.$eval("#queue .item.selected", (e) => e.dataset.ref).catch(() => null);

/** Move the selection with j/k, as a person would, until `ref` is selected and shown. */
async function keyTo(ref) {
  await page.waitForTimeout(500); // let an "advance" after the last action settle
  const refs = await page.$$eval("#queue .item", (els) => els.map((e) => e.dataset.ref));
  const target = refs.indexOf(ref);
  assert.ok(target >= 0, `${ref} is not in the queue list: ${refs}`);
  for (let i = 0; i < refs.length + 2; i++) {
    const cur = await selectedRef();
    if (cur === ref) break;
    const at = refs.indexOf(cur);
    await page.keyboard.press(at < 0 || at < target ? "j" : "k");
    await page.waitForTimeout(60);
  }
  assert.equal(await selectedRef(), ref);
  await page.waitForSelector(`#detail [data-ref="${ref}"]`);
}

async function waitHeld(ref, present) {
  await page.waitForFunction(
    ([r, p]) => !!document.querySelector(`.held-item[data-ref="${r}"]`) === p,
    [ref, present],
    { timeout: 10000 }
  );
}

test("approve with the keyboard", async () => {
  const d = (await queue()).find((x) => x.level !== "routine" && !x.has_placeholder);
  assert.ok(d, "a non-routine draft without placeholders");
  await keyTo(d.ref);
  await page.keyboard.press("a");
  await waitHeld(d.ref, true);
  assert.equal((await draft(d.ref)).state, "approved");
  const countdown = await page.$eval(`.held-item[data-ref="${d.ref}"] .countdown`, (e) => e.textContent);
  assert.match(countdown, /sends in \d+ s|sending/);
  results.approved.push(d.ref);
});

test("edit and approve", async () => {
  const d = (await queue()).find((x) => x.has_placeholder && x.level === "review");
  assert.ok(d, "a draft with a placeholder");
  await keyTo(d.ref);
  // A placeholder blocks approval: the server says so and nothing changes.
  await page.keyboard.press("a");
  await page.waitForSelector("#toast.show.error");
  assert.match(await page.$eval("#toast", (e) => e.textContent), /placeholder/);
  assert.equal((await draft(d.ref)).state, "pending");
  await page.keyboard.press("e");
  assert.equal(await page.evaluate(() => document.activeElement.id), "body");
  const text = "Hi,\n\nYes: we are open 9 to 5 on weekdays over the holidays.\n\nBest regards,\nSam";
  await page.fill("#body", text);
  await page.keyboard.press("Control+Enter");
  await waitHeld(d.ref, true);
  const after = await draft(d.ref);
  assert.equal(after.state, "approved");
  assert.equal(after.body.trim(), text.trim());
  results.approved.push(d.ref);
});

test("reject with a reason", async () => {
  const d = (await queue()).find((x) => x.level === "high" && x.from_email !== "mallory@evil.example");
  await keyTo(d.ref);
  await page.keyboard.press("r");
  assert.equal(await page.evaluate(() => document.activeElement.id), "reject-reason");
  await page.keyboard.type("I will call him instead");
  await page.keyboard.press("Enter");
  await page.waitForFunction((r) => !document.querySelector(`#queue .item[data-ref="${r}"]`), d.ref, { timeout: 10000 });
  const after = await draft(d.ref);
  assert.equal(after.state, "rejected");
  assert.equal(after.reject_reason, "I will call him instead");
  const log = await api("/api/audit?q=" + encodeURIComponent("call him"));
  assert.ok(log.entries.some((e) => e.action === "rejected"), JSON.stringify(log));
  results.rejected.push(d.ref);
});

test("regenerate with an instruction", async () => {
  const d = (await queue()).find((x) => x.category === "scheduling" || x.category === "question");
  await keyTo(d.ref);
  await page.keyboard.press("g");
  await page.keyboard.type("shorter");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#detail .versions");
  const newRef = await page.$eval("#detail article.draft", (e) => e.dataset.ref);
  assert.notEqual(newRef, d.ref);
  const fresh = await draft(newRef);
  assert.equal(fresh.version, 2);
  assert.equal(fresh.versions.length, 2);
  assert.ok((await queue()).some((x) => x.ref === newRef), "the new version waits in the queue");
  assert.ok(!(await queue()).some((x) => x.ref === d.ref), "the old version left the queue");
  results.regenerated.push(newRef);
});

test("undo within the window sends nothing", async () => {
  const d = (await queue()).find((x) => x.level !== "routine" && !x.has_placeholder);
  await keyTo(d.ref);
  await page.keyboard.press("a");
  await waitHeld(d.ref, true);
  await page.keyboard.press("u");
  await waitHeld(d.ref, false);
  assert.equal((await draft(d.ref)).state, "pending");
  const log = await api("/api/audit?q=undone");
  assert.ok(log.entries.some((e) => e.action === "undone"));
  results.undone.push(d.ref);
});

test("snooze with the mouse", async () => {
  const d = (await queue()).find((x) => x.level === "review" && x.has_placeholder);
  await keyTo(d.ref);
  await page.click("#snooze-open");
  await page.selectOption("#snooze-minutes", "60");
  await page.click("#snooze-form button");
  await page.waitForFunction((r) => !document.querySelector(`#queue .item[data-ref="${r}"]`), d.ref, { timeout: 10000 });
  assert.ok(!(await queue()).some((x) => x.ref === d.ref));
});

test("approve a group after seeing it", async () => {
  const groupRef = await page.$eval("#queue .item.group", (e) => e.dataset.ref);
  const members = groupRef.slice("group:".length).split(",");
  assert.ok(members.length >= 3, groupRef);
  await keyTo(groupRef);
  // The group view shows every member and what differs from the usual reply.
  const rows = await page.$$eval("#detail table.members tbody tr", (r) => r.length);
  assert.equal(rows, members.length);
  await page.screenshot({ path: `${artifacts}/group.png` });
  await page.keyboard.press("a");
  for (const m of members) await waitHeld(m, true);
  for (const m of members) assert.equal((await draft(m)).state, "approved");
  results.approved.push(...members);
});

test("hostile HTML runs no script", async () => {
  const d = (await queue()).find((x) => x.from_email === "mallory@evil.example");
  await keyTo(d.ref);
  await page.click("#detail details.html-view summary");
  await page.waitForTimeout(500);
  await page.goto(`${base}/draft/${d.ref}`);
  await page.click("#detail details.html-view summary");
  await page.waitForTimeout(500);
  assert.equal(await page.evaluate(() => window.__pwned), undefined, "a script from the email ran");
  assert.deepEqual(dialogs, []);
  assert.equal(await page.$$eval("#detail script, #detail iframe, #detail [onerror], #detail [onload]", (e) => e.length), 0);
  const hrefs = await page.$$eval("#detail a", (as) => as.map((a) => a.getAttribute("href") || ""));
  assert.ok(!hrefs.some((h) => h.startsWith("javascript:")), hrefs.join(" "));
  await page.goto(base + "/");
  await page.waitForSelector("#queue .item.selected");
});

test("a new message appears without a reload", async () => {
  await page.goto(base + "/");
  await page.waitForSelector("#queue .item.selected");
  writeFileSync(`${artifacts}/deliver-now`, "");
  await page.waitForFunction(() => [...document.querySelectorAll("#queue .item .subject")].some((e) => e.textContent.includes("Live: are you free")), null, {
    timeout: 15000,
  });
});

test("help, and screenshots of the queue and stats", async () => {
  await page.goto(base + "/");
  await page.waitForSelector("#queue .item.selected");
  await page.keyboard.press("?");
  assert.equal(await page.isVisible("#help"), true);
  await page.keyboard.press("Escape");
  assert.equal(await page.isVisible("#help"), false);
  await page.screenshot({ path: `${artifacts}/queue.png` });
  await page.goto(base + "/stats");
  await page.waitForSelector("svg.chart");
  await page.screenshot({ path: `${artifacts}/stats.png`, fullPage: true });
  await page.goto(base + "/audit?q=approved");
  await page.screenshot({ path: `${artifacts}/audit.png` });
  await page.goto(base + "/policy");
  await page.screenshot({ path: `${artifacts}/policy.png` });
  assert.deepEqual(pageErrors, [], "the page's own script raised errors");
});

test("on a phone: the list alone, a tap opens the draft, nothing wider than the screen", async () => {
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
  phone.on("pageerror", (e) => pageErrors.push(e.message));
  const overflow = () => phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  for (const path of ["/stats", "/audit", "/policy"]) {
    await phone.goto(base + path);
    assert.equal(await overflow(), 0, `${path} is wider than a phone`);
  }
  await phone.goto(base + "/");
  await phone.waitForSelector("#queue .item");
  assert.equal(await overflow(), 0, "the queue is wider than a phone");
  assert.equal(await phone.isVisible(".layout > .detail-pane"), false, "the list stands alone");
  await phone.screenshot({ path: `${artifacts}/phone-queue.png` });
  const first = await phone.$eval("#queue .item:not(.group)", (e) => e.dataset.url);
  await phone.click("#queue .item:not(.group)");
  await phone.waitForURL(base + first);
  await phone.waitForSelector("#detail article.draft");
  assert.equal(await overflow(), 0, "a draft's page is wider than a phone");
  await phone.screenshot({ path: `${artifacts}/phone-draft.png`, fullPage: true });
  await phone.close();
  assert.deepEqual(pageErrors, [], "the page's own script raised errors");
});
