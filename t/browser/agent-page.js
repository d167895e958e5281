#!/usr/bin/env node
// t/54's browser: the operators' page (minicc-agent) in headless Chromium
// at a phone's width, with the real Voice SDK from npm served by the test
// Apache.  There is no network but loopback: the page must say that
// Twilio cannot be reached, and throw nothing.  Then as an operator would:
// a break with its reason, ready again; the test plays Twilio's pick-up
// of a caller, and the page shows the caller and the queue.
//
// usage: node agent-page.js BASE USER PASSWORD CALLSID SCREENSHOT.png
// prints one JSON line of what it saw; exit 0 when every step was seen,
// 1 when one was not, 2 on a usage or launch error.
'use strict';
const { chromium } = require('playwright-core');

const [base, user, password, callSid, shot] = process.argv.slice(2);
if (!base || !user || !password || !callSid || !shot) {
  console.error('usage: node agent-page.js BASE USER PASSWORD CALLSID SCREENSHOT.png');
  process.exit(2);
}

(async () => {
  const seen = { steps: [], pageErrors: [], csp: [], requests: [] };
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
  });
  let code = 0;
  try {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
      httpCredentials: { username: user, password },
    });
    const page = await context.newPage();
    page.on('pageerror', (e) => seen.pageErrors.push(`${e.name}: ${e.message}`));
    page.on('console', (m) => {
      if (/Content.Security.Policy/i.test(m.text())) seen.csp.push(m.text().slice(0, 300));
    });
    page.on('response', (r) => {
      const u = new URL(r.url());
      if (u.origin === base) {
        seen.requests.push({ method: r.request().method(), path: u.pathname, status: r.status(),
                             origin: r.request().headers().origin || null });
      }
    });
    const text = (sel) => page.$eval(sel, (el) => el.textContent);
    const step = async (name, sel, re) => {
      try {
        await page.waitForFunction(([s, src]) => {
          const el = document.querySelector(s);
          return !!el && new RegExp(src).test(el.textContent || '');
        }, [sel, re.source], { timeout: 15000, polling: 100 });
        seen.steps.push({ name, ok: true, text: await text(sel) });
      } catch (e) {
        seen.steps.push({ name, ok: false, text: await text(sel).catch(() => null) });
        code = 1;
      }
    };
    const live = async () => {
      const r = await page.request.get(`${base}/minicc/live?format=json`);
      const j = await r.json();
      const o = (j.operators || []).find((x) => x.operator === `client:${user}`);
      return o ? o.state + (o.reason ? `(${o.reason})` : '') : 'not on the line';
    };

    await page.goto(`${base}/minicc/agent`, { waitUntil: 'load' });
    await step('Twilio unreachable, said', '#status', /Twilio cannot be reached: 31\d\d\d/);
    await step('ready, from agent-state', '#state', /^Ready$/);
    await page.selectOption('#reason', '1');
    await page.click('#break');
    await step('break (Lunch)', '#state', /^On a break \(Lunch\)$/);
    seen.liveAfterBreak = await live();
    await page.click('#ready');
    await step('ready again', '#state', /^Ready$/);
    seen.liveAfterReady = await live();
    // Twilio's pick-up of a caller by this operator's call
    await page.request.post(`${base}/browser/guidance`, {
      form: { CallSid: 'CA' + 'f'.repeat(24) + Date.now().toString(16).padStart(8, '0').slice(-8),
              From: '+15550004444', QueueTime: '5', DequeingCallSid: callSid },
    });
    await step('talking', '#state', /^Talking$/);
    await step('the caller', '#caller-number', /^\+15550004444$/);
    await step('the queue', '#caller-queue', /^shq$/);
    seen.callerShown = await page.isVisible('#caller');
    seen.buttons = await page.$$eval('button', (bs) => bs.map((b) => `${b.id}:${b.disabled ? 'off' : 'on'}`));
    seen.width = await page.evaluate(() => document.documentElement.scrollWidth);
    await page.screenshot({ path: shot, fullPage: true });
  } catch (e) {
    seen.error = String(e && e.message || e).split('\n')[0];
    code = 1;
  }
  await browser.close();
  if (seen.pageErrors.length || seen.csp.length) code = 1;
  console.log(JSON.stringify(seen));
  process.exit(code);
})().catch((e) => { console.error(e); process.exit(2); });
