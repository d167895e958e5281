#!/usr/bin/env python3
"""bench/day.py: Twilio's side of a call-center day, played against mod_minicc.

Run by bench/day (which starts the servers and writes their configuration);
`bench/day.py --help` lists the options.  Standard library only.

What it plays, reproducibly from --seed:
  - callers arriving by a Poisson process whose rate has a morning and an
    afternoon peak; each hears the menu and presses a queue's key, the
    information key, or nothing; waits with a patience of its own (then
    hangs up: abandoned), may ask for a call-back when it is offered,
    and, outside the opening hours, leaves a voicemail;
  - operators who call in at their shift's start, take callers and
    call-backs through the loop's <Dial>, wrap up (pressing # early or
    letting the time run out), take one break with a reason (* from an
    idle Dial, the menu's 2, a reason key, later 1), and log out (9) at
    the shift's end;
  - Twilio's queues: first in, first out; an operator's <Dial><Queue>
    takes the longest-waiting caller of the queue it names, fetches the
    Queue's url for the caller, and bridges them.
Every request is what Twilio sends for it (the parameters of its
reference), signed with --token, and stamped with the moment of the day
it stands for (X-MiniCC-Test-Clock: the server's MiniCCTestClock header):
the day runs --speed times faster than the clock and every stored time is
the day's.

It keeps its own truth (each call's fate, wait, talk, each operator's
states) and at the end compares the report's JSON for the day, and every
table's rows (--sql, once per database node), with it.  Exit status 0 only
when every figure and every row is as the truth says.
"""

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import math
import random
import shlex
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

# ---- durations of what Twilio plays (the day's seconds) ---------------------
SAY = 3.0           # one <Say>
MUSIC = 30.0        # one <Play> of the hold music
THINK = 0.2         # Twilio's own time between a document and its next request
IDLE = 2.0          # real seconds a connection is kept idle for another request


def length(el):
    """Seconds a verb plays: a Say, the hold music, a Pause; else 0."""
    if el.tag == 'Pause':
        return float(el.get('length', 1))
    return {'Say': SAY, 'Play': MUSIC}.get(el.tag, 0.0)


def inside(el):
    """Seconds what a Gather says and plays lasts."""
    return sum(length(c) for c in el)


# ---- the day's clock ----------------------------------------------------------
class Clock:
    """The day's time: starts at `start` (seconds since 1970, UTC) and runs
    `speed` times faster than the loop's clock."""

    def __init__(self, start, speed):
        self.start = start
        self.speed = speed
        self.real0 = None

    def begin(self):
        self.real0 = asyncio.get_running_loop().time()

    def now(self):
        return self.start + (asyncio.get_running_loop().time() - self.real0) * self.speed

    async def until(self, t):
        d = (t - self.now()) / self.speed
        if d > 0:
            await asyncio.sleep(d)



def stamp(t):
    """X-MiniCC-Test-Clock: YYYY-MM-DD HH:MM:SS.ffffffZ (UTC)."""
    return datetime.fromtimestamp(t, timezone.utc).strftime('%Y-%m-%d %H:%M:%S.%fZ')


def target(url):
    """The last part of a URL's path: the webhook it names."""
    return urllib.parse.urlsplit(url or '').path.rsplit('/', 1)[-1]


def query_arg(url, name):
    """A URL's query argument name ('' without one)."""
    return (urllib.parse.parse_qs(urllib.parse.urlsplit(url or '').query).get(name) or [''])[0]


def local_hour(t):
    return datetime.fromtimestamp(t).strftime('%Y-%m-%dT%H')


# ---- HTTP/1.1 over a few kept-alive connections --------------------------------
class Http:
    def __init__(self, host, port, conns):
        self.host, self.port = host, port
        self.idle = []
        self.slots = asyncio.Semaphore(conns)

    async def _open(self):
        return await asyncio.open_connection(self.host, self.port)

    async def request(self, method, target, body=b'', headers=None):
        """One request on a kept-alive connection (idle for at most
        IDLE, within any server's KeepAliveTimeout), or on a new one; a
        kept-alive connection the server closed before answering is
        tried once more on a new one, as browsers and Twilio do."""
        async with self.slots:
            now = time.monotonic()
            rw = None
            while self.idle and rw is None:
                rw, since = self.idle.pop()
                if now - since > IDLE:
                    rw[1].close()
                    rw = None
            for fresh in ((False, True) if rw else (True,)):
                if fresh:
                    rw = await self._open()
                reader, writer = rw
                head = [f'{method} {target} HTTP/1.1', f'Host: {self.host}:{self.port}',
                        f'Content-Length: {len(body)}']
                for k, v in (headers or {}).items():
                    head.append(f'{k}: {v}')
                try:
                    writer.write(('\r\n'.join(head) + '\r\n\r\n').encode() + body)
                    await writer.drain()
                    status, hdrs, data = await self._read(reader, method)
                except (ConnectionError, asyncio.IncompleteReadError, OSError):
                    writer.close()
                    if fresh:
                        raise
                    continue
                if hdrs.get('connection', '').lower() == 'close':
                    writer.close()
                else:
                    self.idle.append((rw, time.monotonic()))
                return status, hdrs, data

    @staticmethod
    async def _read(reader, method):
        line = await reader.readuntil(b'\r\n')
        status = int(line.split()[1])
        hdrs = {}
        while True:
            line = await reader.readuntil(b'\r\n')
            if line == b'\r\n':
                break
            k, _, v = line.decode('latin-1').partition(':')
            hdrs[k.strip().lower()] = v.strip()
        if method == 'HEAD':
            return status, hdrs, b''
        if 'content-length' in hdrs:
            data = await reader.readexactly(int(hdrs['content-length']))
        elif hdrs.get('transfer-encoding', '').lower() == 'chunked':
            data = b''
            while True:
                size = int((await reader.readuntil(b'\r\n')).split(b';')[0], 16)
                if size == 0:
                    await reader.readuntil(b'\r\n')
                    break
                data += await reader.readexactly(size)
                await reader.readuntil(b'\r\n')
        else:
            data = await reader.read()
            hdrs['connection'] = 'close'
        return status, hdrs, data


# ---- Twilio's side ------------------------------------------------------------
class Twilio:
    """Signs and sends webhooks as Twilio does, and reads their TwiML."""

    def __init__(self, args, clock, http):
        self.base = args.url.rstrip('/') + '/'
        self.public = args.public_url.rstrip('/') + '/' if args.public_url else self.base
        self.token = args.token
        self.clock = clock
        self.http = http
        self.account = 'AC' + 'd' * 32
        self.errors = []
        self.times = {}         # handler (the URL's last part) -> [seconds]

    def resolve(self, url):
        """A URL of a document, resolved as Twilio does against the one
        that wrote it (always below the day's Location here)."""
        return urllib.parse.urljoin(self.base, url)

    def sign(self, url, params):
        data = url + ''.join(k + v for k, v in sorted(params.items()))
        mac = hmac.new(self.token.encode(), data.encode(), hashlib.sha1)
        return base64.b64encode(mac.digest()).decode()

    async def post(self, url, params, t, what):
        """POSTs params to url at the day's moment t; the TwiML's root, or
        None (counted as an error) when the answer was not a 200 TwiML."""
        url = self.resolve(url)
        params = {k: str(v) for k, v in params.items() if v is not None}
        params.setdefault('AccountSid', self.account)
        params.setdefault('ApiVersion', '2010-04-01')
        body = urllib.parse.urlencode(params).encode()
        u = urllib.parse.urlsplit(url)
        target = u.path + ('?' + u.query if u.query else '')
        headers = {'Content-Type': 'application/x-www-form-urlencoded',
                   'X-MiniCC-Test-Clock': stamp(t),
                   'User-Agent': 'TwilioProxy/1.1 (bench/day)'}
        if self.token:
            # the URL as the server knows itself (MiniCCPublicURL)
            signed = self.public + url[len(self.base):] if url.startswith(self.base) else url
            headers['X-Twilio-Signature'] = self.sign(signed, params)
        await self.clock.until(t)
        began = time.monotonic()
        try:
            status, _, data = await self.http.request('POST', target, body, headers)
        except Exception as e:  # noqa: BLE001 - every failure is one error
            self.errors.append(f'{what}: {e!r}')
            return None
        name = u.path.rsplit('/', 1)[-1]
        self.times.setdefault(name, []).append(time.monotonic() - began)
        if status != 200:
            self.errors.append(f'{what}: status {status}: {data[:200]!r}')
            return None
        try:
            root = ET.fromstring(data)
        except ET.ParseError as e:
            self.errors.append(f'{what}: not XML ({e}): {data[:200]!r}')
            return None
        if root.tag != 'Response':
            self.errors.append(f'{what}: not a <Response>: {data[:200]!r}')
            return None
        return root


def sid(prefix, rng, digits=32):
    return prefix + ''.join(rng.choice('0123456789abcdef') for _ in range(digits))


# ---- the queues ---------------------------------------------------------------
class Queue:
    def __init__(self, name):
        self.name = name
        self.sid = 'QU' + hashlib.md5(name.encode()).hexdigest()
        self.callers = []       # (joined, seq, Caller), oldest first
        self.agents = []        # operators whose Dial waits: (since, seq, Operator)
        self.waits = []         # QueueTimes of callers that left, for AvgQueueTime

    def avg(self):
        return int(sum(self.waits[-50:]) / len(self.waits[-50:])) if self.waits else 0


# ---- the truth ----------------------------------------------------------------
class Truth:
    def __init__(self):
        self.calls = {}         # CallSid -> dict of what became of it
        self.operators = {}     # telnum -> dict
        self.callbacks = {}     # CallSid -> dict
        self.status = {}        # CallSid -> (CallStatus, CallDuration)
        self.sessions = set()   # operator CallSids
        self.turned_away = set()
        self.voicemails = set()
        self.surveys = {}       # CallSid -> (score, operator, queue)
        self.recordings = set() # RecordingSid

    def op(self, telnum):
        return self.operators.setdefault(telnum, {
            'answered': 0, 'talk': 0.0, 'wrapup': 0.0, 'break': 0.0,
            'logged_in': 0.0, 'ready': 0.0, 'breaks': {}, 'states': []})


class Day:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.truth = Truth()
        self.queues = {}
        self.seq = 0

    def queue(self, name):
        if name not in self.queues:
            self.queues[name] = Queue(name)
        return self.queues[name]

    def next_seq(self):
        self.seq += 1
        return self.seq

    def call_sid(self, rng):
        """CA, the run's 8 hex digits, 24 more: every row of the run is found
        by its prefix."""
        return sid('CA' + self.run_id, rng, 24)

    # -- Twilio's queues: matching callers and operators -----------------------
    def take(self, q, op, t, url):
        """An operator's Dial on q at t: the longest-waiting caller, put
        through."""
        while q.callers:
            joined, _, caller = q.callers.pop(0)
            if caller.bridged.done():
                continue
            at = max(t, joined, caller.t) + 0.5
            caller.bridged.set_result((at, op, url))
            op.t = at
            return caller
        return None

    def offer(self, q, t):
        """A caller joined q at t: an operator whose Dial waits takes them."""
        while q.agents and q.callers:
            _, _, op, url = q.agents.pop(0)
            if op.waiting is None or op.waiting.done():
                continue
            caller = self.take(q, op, t, url)
            if caller is not None:
                op.waiting.set_result(caller)

    # -- arrivals ---------------------------------------------------------------
    def rate(self, t):
        """Relative arrival rate at the day's moment t: a base, a morning
        peak at 10:30 and a smaller one at 14:30 (local)."""
        lt = datetime.fromtimestamp(t)
        h = lt.hour + lt.minute / 60 + lt.second / 3600
        return 0.4 + 1.2 * math.exp(-((h - 10.5) / 1.0) ** 2) \
            + 0.7 * math.exp(-((h - 14.5) / 1.2) ** 2)

    def arrivals(self, start, end, n):
        """About n arrival times in [start, end) (thinning)."""
        steps = 200
        span = (end - start) / steps
        mean_rate = sum(self.rate(start + (i + 0.5) * span) for i in range(steps)) / steps
        peak = max(self.rate(start + (i + 0.5) * span) for i in range(steps))
        lam = n / (end - start) / mean_rate * peak      # per second, at the peak
        t, out = start, []
        while True:
            t += self.rng.expovariate(lam)
            if t >= end:
                return out
            if self.rng.random() < self.rate(t) / peak:
                out.append(t)


# ---- a call's leg ---------------------------------------------------------------
class Leg:
    """What callers and operators share: Twilio's parameters of the call,
    and a run whose failure is one error."""

    def params(self, **kw):
        p = {'CallSid': self.sid, 'From': self.number, 'To': self.to,
             'Caller': self.number, 'Called': self.to, 'Direction': 'inbound',
             'CallStatus': 'in-progress'}
        p.update(kw)
        return p

    async def run(self):
        try:
            await self._run()
        except Exception as e:  # noqa: BLE001 - every failure is one error
            self.tw.errors.append(f'{type(self).__name__.lower()} {self.sid}: {e!r}')

    async def follow(self, doc):
        """Plays each document the last one led to, until the call ends."""
        while doc is not None:
            doc = await self.play(doc)


# ---- a caller ------------------------------------------------------------------
class Caller(Leg):
    def __init__(self, day, tw, clock, t, i):
        a = day.args
        # a caller's own draws: the same caller for a seed, whatever the
        # order the day's events happen to run in
        rng = self.rng = random.Random(f'{a.seed} caller {i}')
        self.day, self.tw, self.clock = day, tw, clock
        self.sid = day.call_sid(rng)
        self.start = t
        self.t = t
        self.number = '+8190%08d' % rng.randrange(10 ** 8)
        self.to = a.number
        r = rng.random()
        keys = a.menu_keys
        # the menu: a queue's key mostly, information sometimes, no key
        self.key = (rng.choice(keys) if r < 0.85 else ('2' if r < 0.92 else None))
        self.key_after = rng.uniform(1.0, 6.0)
        self.patience = rng.expovariate(1 / a.patience)
        self.wants_callback = rng.random() < a.callback_share
        self.callback_after = rng.uniform(30, 120)
        self.answers_callback = [rng.random() < 0.75 for _ in range(20)]
        self.talk = max(20.0, rng.lognormvariate(math.log(a.handle), 0.5))
        self.vm_length = rng.randrange(4, 60)
        self.score = rng.choice((1, 2, 3, 4, 4, 5, 5, 5)) if rng.random() < 0.7 else None
        self.bridged = None     # a Future: (moment, operator, Queue url) once put through
        self.queue = None
        self.joined = None
        self.record = day.truth.calls.setdefault(self.sid, {'from': self.number})

    async def _run(self):
        if not self.day.opens <= self.t < self.day.closes:
            self.day.truth.turned_away.add(self.sid)
        await self.follow(await self.tw.post(
            'incoming', self.params(CallStatus='ringing'), self.t, 'incoming'))
        await self.hang_up()

    async def hang_up(self):
        t = self.t + THINK
        dur = int(t - self.start)
        self.day.truth.status[self.sid] = ('completed', dur)
        await self.tw.post(self.day.args.status_url, self.params(
            CallStatus='completed', CallDuration=dur, Duration=max(1, math.ceil(dur / 60))),
            t, 'status')

    async def play(self, doc):
        """Plays a document; the next one, or None when the call ends."""
        for el in list(doc):
            self.t += THINK + length(el)
            if el.tag == 'Gather':
                # the menu's key, or the score (seven callers in ten give
                # one); none: the Gather's timeout, then the verbs after it
                survey = target(el.get('action')) == 'survey'
                key = self.score if survey else self.key
                self.t += inside(el)
                if key is None:
                    self.t += float(el.get('timeout', 5))
                    continue
                self.t += self.key_after
                if survey:
                    self.day.truth.surveys[self.sid] = (
                        key, self.record['operator'], self.record['queue'])
                return await self.tw.post(el.get('action'), self.params(Digits=key),
                                          self.t, 'survey' if survey else 'menu')
            if el.tag == 'Redirect':
                return await self.tw.post(el.text.strip(), self.params(), self.t, 'redirect')
            if el.tag == 'Enqueue':
                return await self.enqueue(el)
            if el.tag == 'Record':
                return await self.voicemail(el)
            if el.tag in ('Hangup', 'Leave'):
                return None
        return None

    async def voicemail(self, el):
        rsid = sid('RE', self.rng)
        self.t += self.vm_length
        rec = {'RecordingSid': rsid, 'RecordingDuration': self.vm_length,
               'RecordingUrl': f'https://api.twilio.com/2010-04-01/Accounts/'
                               f'{self.tw.account}/Recordings/{rsid}'}
        self.day.truth.voicemails.add(self.sid)
        # the Record's action (the caller has hung up: its answer unheard),
        # then the recording's status callback
        await self.tw.post(el.get('action'), self.params(Digits='hangup', **rec),
                           self.t, 'voicemail')
        await self.tw.post(el.get('recordingStatusCallback'), self.params(
            RecordingStatus='completed', RecordingChannels=1, RecordingSource='RecordVerb',
            CallStatus='completed', **rec), self.t + 1, 'voicemail status')
        return None

    async def enqueue(self, el):
        """<Enqueue>: waits (the waitUrl's documents, one after another)
        until an operator takes the caller, the caller hangs up, or leaves
        for a call-back; then the action."""
        q = self.day.queue(el.text.strip())
        a = self.day.args
        want = a.menu_map.get(self.key) or a.menu_map[a.menu_keys[0]]
        if q.name != want:
            self.tw.errors.append(f'caller {self.sid}: key {self.key} put in queue '
                                  f'{q.name}, not {want}')
        self.queue = q
        self.joined = self.t
        self.record.update(queue=q.name, joined=self.t)
        loop = asyncio.get_running_loop()
        self.bridged = loop.create_future()
        q.callers.append((self.t, self.day.next_seq(), self))
        q.callers.sort(key=lambda x: (x[0], x[1]))
        self.day.offer(q, self.t)
        wait_url = el.get('waitUrl')
        give_up = self.joined + self.patience
        result = None
        while result is None:
            if self.bridged.done():
                result = 'bridged'
                break
            if self.t >= give_up:
                result = 'hangup'
                break
            pos = 1 + [c for _, _, c in q.callers].index(self)
            qt = int(self.t - self.joined)
            doc = await self.tw.post(wait_url, self.params(
                QueueSid=q.sid, QueuePosition=pos, QueueTime=qt,
                AvgQueueTime=q.avg(), CurrentQueueSize=len(q.callers)), self.t, 'wait')
            if doc is None:
                # Twilio would play its error and poll again after it
                self.t += SAY
                continue
            result = await self.wait_doc(doc, give_up)
        if result == 'bridged':
            return await self.talk_to(el)
        self.leave_line()
        if result == 'hangup':
            self.t = max(self.t, give_up)
            if self.bridged.done():     # put through at the very moment
                return await self.talk_to(el)
            self.bridged.cancel()
        qt = int(self.t - self.joined)
        q.waits.append(qt)
        self.record.update(result=result, queue_time=qt, exit=self.t)
        d = await self.tw.post(el.get('action'), self.params(
            QueueResult=result, QueueSid=q.sid, QueueTime=qt,
            CallStatus='completed' if result == 'hangup' else 'in-progress'),
            self.t, 'exit')
        return None if result == 'hangup' else d

    def leave_line(self):
        q = self.queue
        q.callers = [x for x in q.callers if x[2] is not self]

    async def wait_doc(self, doc, give_up):
        """Plays one wait document while watching for an operator and the
        caller's patience; 'bridged', 'hangup', 'leave' or None (poll
        again)."""
        for el in list(doc):
            if el.tag == 'Leave':
                return 'leave'
            if el.tag == 'Gather':
                if (self.wants_callback and self.t - self.joined >= self.callback_after
                        and el.get('action')):
                    # presses the call-back key while the offer is said
                    end = self.t + SAY * 2 + 1
                    r = await self.pause_until(end, give_up)
                    if r:
                        return r
                    # out of Twilio's line before the key reaches the
                    # server, so that no operator takes them meanwhile
                    self.leave_line()
                    d = await self.tw.post(el.get('action'), self.params(
                        Digits=self.day.args.callback_key), self.t, 'callback')
                    if d is not None and any(c.tag == 'Leave' for c in d):
                        self.day.truth.callbacks[self.sid] = {
                            'asked': self.t, 'queue': self.queue.name,
                            'from': self.number, 'to': self.to,
                            'joined': self.joined,
                            'status': 'pending', 'attempts': 0,
                            'answers': self.answers_callback}
                        return 'leave'
                    self.tw.errors.append(f'caller {self.sid}: the call-back key '
                                          f'did not make them leave')
                    return 'leave'
                r = await self.pause_until(
                    self.t + inside(el) + float(el.get('timeout', 5)), give_up)
                if r:
                    return r
                continue
            r = await self.pause_until(self.t + length(el), give_up)
            if r:
                return r
        self.t += THINK
        return None

    async def pause_until(self, end, give_up):
        """Waits until the day's moment end; 'bridged' or 'hangup' when that
        came first."""
        stop = min(end, give_up)
        try:
            await asyncio.wait_for(asyncio.shield(self.bridged),
                                   max(0.0, (stop - self.clock.now()) / self.clock.speed))
        except asyncio.TimeoutError:
            pass
        if self.bridged.done():
            return 'bridged'
        self.t = stop
        return 'hangup' if stop >= give_up else None

    async def talk_to(self, el):
        """Put through: the Queue's url for the caller, the conversation,
        then the Enqueue's action and what it says."""
        at, op, url = self.bridged.result()
        q = self.queue
        self.t = at
        qt = int(at - self.joined)
        q.waits.append(qt)
        self.record.update(result='bridged', queue_time=qt, answered_at=at,
                           operator=op.telnum, exit=None)
        doc = await self.tw.post(url, self.params(
            QueueSid=q.sid, QueueTime=qt, DequeingCallSid=op.sid,
            QueueResult='bridged'), at, 'guidance')
        self.t = at + THINK + (inside(doc) if doc is not None else 0)
        end = self.t + self.talk
        op.conversation_ends(end)
        self.t = end
        self.record.update(exit=end)
        # who hangs up first: the operator now and then, the caller
        # staying on the line (and asked for a score, MiniCCSurvey)
        stays = self.rng.random() < 0.3
        d = await self.tw.post(el.get('action'), self.params(
            QueueResult='bridged', QueueSid=q.sid, QueueTime=qt,
            CallStatus='in-progress' if stays else 'completed'), end, 'exit')
        return d if stays else None     # a caller who hung up hears nothing


# ---- an operator ---------------------------------------------------------------
class Operator(Leg):
    def __init__(self, day, tw, clock, telnum, shift_start, shift_end):
        rng = random.Random(f'{day.args.seed} operator {telnum}')
        self.day, self.tw, self.clock = day, tw, clock
        self.telnum = self.number = telnum
        self.to = day.args.number
        self.sid = day.call_sid(rng)
        self.start, self.end = shift_start, shift_end
        self.t = shift_start
        self.break_at = rng.uniform(shift_start + (shift_end - shift_start) * 0.3,
                                    shift_start + (shift_end - shift_start) * 0.6)
        self.break_length = rng.uniform(300, 1200)
        reasons = day.args.reasons
        self.break_key = rng.choice(sorted(reasons)) if reasons else None
        self.took_break = False
        self.break_started = None
        self.truth = day.truth.op(telnum)
        self.state = self.reason = self.since = None
        self.waiting = None     # a Future while the Dial waits: the caller
        self.ended = None       # a Future while talking: the end
        self.rng = rng

    # the states as the module is to record them (doc/contract.txt 13)
    def enter(self, state, t, reason=None):
        if self.state == state and (state != 'break' or self.reason == reason):
            return
        if self.state is not None and self.state != 'offline':
            secs = t - self.since
            key = {'talking': 'talk', 'wrap-up': 'wrapup', 'break': 'break',
                   'ready': 'ready'}[self.state]
            self.truth[key] += secs
            self.truth['logged_in'] += secs
            self.truth['n_' + key] = self.truth.get('n_' + key, 0) + 1
            if self.state == 'break':
                self.truth['breaks'][self.reason][1] += secs
        if state == 'break':
            self.truth['breaks'].setdefault(reason, [0, 0.0])[0] += 1
        self.state, self.reason, self.since = state, reason, t
        self.truth['states'].append((t, state, reason))

    async def _run(self):
        self.day.truth.sessions.add(self.sid)
        await self.follow(await self.tw.post(
            'incoming', self.params(CallStatus='ringing'), self.t, 'operator incoming'))
        self.t += THINK
        dur = int(self.t - self.start)
        self.day.truth.status[self.sid] = ('completed', dur)
        self.enter('offline', self.t)
        await self.tw.post(self.day.args.status_url, self.params(
            CallStatus='completed', CallDuration=dur,
            Duration=max(1, math.ceil(dur / 60))), self.t, 'operator status')

    async def play(self, doc):
        """Plays a document; the next one, or None when the call ends."""
        asked = self.t          # the moment of the request that got it
        self.asked = asked
        for el in doc:
            if el.tag == 'Dial':
                if el.find('Number') is not None:
                    self.enter('talking', asked)       # dialling a call-back
                else:
                    self.enter('ready', asked)
        for el in list(doc):
            self.t += THINK + length(el)
            if el.tag == 'Redirect':
                return await self.post(el.text.strip(), {}, 'operator redirect')
            elif el.tag == 'Gather':
                r = await self.gather(el)
                if r != 'next':
                    return r
            elif el.tag == 'Dial':
                return await self.dial(el)
            elif el.tag == 'Hangup':
                return None
        return None

    async def post(self, url, kw, what):
        return await self.tw.post(url, self.params(**kw), self.t, what)

    async def gather(self, el):
        """The operators' menus, answered as the operator means to go on;
        'next' when no key is pressed (the document goes on)."""
        action = el.get('action')
        menu = query_arg(action, 'menu')
        self.t += inside(el)
        timeout = float(el.get('timeout', 5))
        digits = None
        if menu == 'wrapup':
            if self.rng.random() < 0.5:
                self.t += self.rng.uniform(1, timeout)
                digits = '#'
            else:
                self.t += timeout
        elif menu == 'main':
            self.t += 1.5
            if self.t >= self.end:
                digits = '9'
            elif not self.took_break and self.t >= self.break_at:
                digits = '2'
            else:
                digits = '1'
        elif menu == 'reason':
            self.t += 1.5
            digits = self.break_key
        elif menu == 'break':
            ends = self.break_started + self.break_length
            if self.t + timeout >= ends:
                self.t = max(self.t + 1, ends)
                digits = '1' if self.t < self.end else '9'
            else:
                self.t += timeout
        else:
            self.tw.errors.append(f'operator {self.telnum}: an unknown Gather: {action}')
            return None
        if digits is None:
            return 'next'
        if digits == '9':
            self.enter('offline', self.t)
        asked = self.t
        d = await self.post(action, {'Digits': digits}, 'operator menu')
        if d is not None and menu in ('reason', 'break') and digits not in ('1', '9'):
            self.took_break = True
            self.break_started = asked
            self.enter('break', asked, self.day.args.reasons.get(digits))
        elif d is not None and any(
                c.tag == 'Gather' and 'menu=break' in (c.get('action') or '') for c in d):
            self.took_break = True
            if self.break_started is None or self.state != 'break':
                self.break_started = asked
            self.enter('break', asked, self.day.args.reasons.get(digits))
        return d

    async def dial(self, el):
        action = el.get('action')
        if not action:
            self.tw.errors.append(f'operator {self.telnum}: a Dial without action')
            return None
        number, qel = el.find('Number'), el.find('Queue')
        if number is not None:
            return await self.call_back(el, number)
        if qel is None:
            self.tw.errors.append(f'operator {self.telnum}: a Dial without Queue or Number')
            return None
        q = self.day.queue(qel.text.strip())
        url = qel.get('url')
        deadline = self.t + float(el.get('timeout', 30))
        leave_at = self.end if self.took_break else min(self.end, self.break_at)
        caller = None
        if self.t < leave_at:
            caller = self.day.take(q, self, self.t, url)
            if caller is None:
                self.waiting = asyncio.get_running_loop().create_future()
                entry = (self.t, self.day.next_seq(), self, url)
                q.agents.append(entry)
                stop = min(deadline, leave_at)
                try:
                    await asyncio.wait_for(asyncio.shield(self.waiting), max(
                        0.0, (stop - self.clock.now()) / self.clock.speed))
                except asyncio.TimeoutError:
                    pass
                if entry in q.agents:
                    q.agents.remove(entry)
                if self.waiting.done():
                    caller = self.waiting.result()
                else:
                    self.waiting.cancel()
                    self.t = max(self.t, stop)
        if caller is None:
            if self.t >= leave_at:      # * while no caller was put through
                return await self.post(action, {
                    'DialCallStatus': 'completed', 'DialBridged': 'false',
                    'DialCallDuration': 0}, 'operator dial')
            return await self.post(action, {
                'DialCallStatus': 'no-answer', 'DialBridged': 'false'}, 'operator dial')
        # put through at self.t (Day.take set it): talking from the guidance
        # request, which the caller's side posts at that moment
        at = self.t
        self.truth['answered'] += 1
        self.enter('talking', at)
        self.ended = asyncio.get_running_loop().create_future()
        self.t = await self.ended
        return await self.after_talk(action, {
            'DialCallStatus': 'completed', 'DialBridged': 'true',
            'DialCallSid': caller.sid, 'DialCallDuration': int(self.t - at)}, el)

    async def after_talk(self, action, kw, dial=None):
        asked = self.t
        d = await self.post(action, kw, 'operator dial')
        if d is not None and any(c.tag == 'Gather' for c in d):
            self.enter('wrap-up', asked)
        if dial is not None and dial.get('recordingStatusCallback') \
                and kw.get('DialBridged') == 'true':
            # the recording's status callback, a few seconds after
            rsid = sid('RE', self.rng)
            self.day.truth.recordings.add(rsid)
            await self.tw.post(dial.get('recordingStatusCallback'), self.params(
                RecordingSid=rsid, RecordingStatus='completed',
                RecordingDuration=kw['DialCallDuration'], RecordingChannels=2,
                RecordingSource='DialVerb', RecordingUrl=f'https://api.twilio.com/'
                f'2010-04-01/Accounts/{self.tw.account}/Recordings/{rsid}'),
                asked + self.rng.uniform(2, 8), 'recording')
        return d

    def conversation_ends(self, end):
        if self.ended is not None and not self.ended.done():
            self.ended.set_result(end)

    async def call_back(self, el, number):
        """A call-back: the loop's Dial of the caller's number."""
        action = el.get('action')
        cb_sid = query_arg(action, 'callback')
        cb = self.day.truth.callbacks.get(cb_sid)
        claimed = self.asked
        if cb is None:
            self.tw.errors.append(f'operator {self.telnum}: a call-back not asked for: {cb_sid}')
            return None
        cb['attempts'] += 1
        cb.setdefault('claims', []).append(claimed)
        if cb['answers'][min(cb['attempts'] - 1, len(cb['answers']) - 1)]:
            self.t += self.rng.uniform(3, 12)
            leg = self.day.call_sid(self.rng)
            await self.tw.post(number.get('url'), {
                'CallSid': leg, 'ParentCallSid': self.sid, 'From': el.get('callerId'),
                'To': number.text.strip(), 'Direction': 'outbound-dial',
                'CallStatus': 'in-progress'}, self.t, 'callback answer')
            talk = max(20.0, self.rng.lognormvariate(math.log(self.day.args.handle), 0.5))
            dur = int(SAY + talk)
            self.t += dur
            cb.update(status='completed', completed_claim=claimed)
            return await self.after_talk(action, {
                'DialCallStatus': 'completed', 'DialBridged': 'true',
                'DialCallSid': leg, 'DialCallDuration': dur}, el)
        self.t += float(el.get('timeout', 30))
        cb['status'] = 'failed' if cb['attempts'] >= self.day.args.callback_attempts \
            else 'pending'
        return await self.after_talk(action, {
            'DialCallStatus': 'no-answer', 'DialBridged': 'false'})




# ---- the day ------------------------------------------------------------------
def local_moment(date, hhmm):
    return datetime.strptime(f'{date} {hhmm}', '%Y-%m-%d %H:%M').timestamp()


async def play_day(args, day):
    u = urllib.parse.urlsplit(args.url)
    start = local_moment(args.date, args.start)
    end = local_moment(args.date, args.end)
    clock = Clock(start, args.speed)
    http = Http(u.hostname, u.port or 80, args.connections)
    tw = Twilio(args, clock, http)
    day.tw = tw
    ops = []
    n = args.operators
    shifts = args.shifts
    # shifts of a share of the day each, their starts spread from the day's
    # first moment to the last that still lets a shift end with the day
    length = min(end - start, (end - start) / shifts * args.shift_share)
    for i in range(n):
        k = i % shifts
        s0 = start + (k * (end - start - length) / (shifts - 1) if shifts > 1 else 0) \
            + day.rng.uniform(0, 300)
        s1 = min(end - 60, s0 + length)
        ops.append(Operator(day, tw, clock, '+8150%08d' % (i + 1), s0, s1))
    times = day.arrivals(start + 60, end - 600, args.calls)
    clock.begin()
    day.ops = ops
    tasks = [asyncio.create_task(o.run()) for o in ops]

    async def caller_at(caller):
        await clock.until(caller.t)
        await caller.run()

    callers = [Caller(day, tw, clock, t, i) for i, t in enumerate(times)]
    tasks += [asyncio.create_task(caller_at(c)) for c in callers]

    async def midday(cmd):
        # the fault of the day, at its middle (bench/day --cluster: a node
        # killed and started again), while the calls go on
        await clock.until((start + end) / 2)
        t0 = time.monotonic()
        print(f'bench/day: {datetime.fromtimestamp(clock.now()).strftime("%H:%M")} '
              f'midday: {cmd}', flush=True)
        proc = await asyncio.create_subprocess_shell(
            cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await proc.communicate()
        day.midday_rc = proc.returncode
        print(f'bench/day: midday: exit {proc.returncode} after {time.monotonic() - t0:.0f} s'
              + (f': {out.decode(errors="replace")[-500:]}' if proc.returncode else ''),
              flush=True)

    if args.midday:
        tasks.append(asyncio.create_task(midday(args.midday)))
    began = time.monotonic()
    last = 0.0
    pending = set(tasks)
    while pending:
        done, pending = await asyncio.wait(pending, timeout=1.0)
        if time.monotonic() - last >= args.progress:
            last = time.monotonic()
            waiting = sum(len(q.callers) for q in day.queues.values())
            print(f'bench/day: {datetime.fromtimestamp(clock.now()).strftime("%H:%M")} '
                  f'{len(tasks) - len(pending)}/{len(tasks)} calls over, '
                  f'{waiting} waiting, {len(tw.errors)} errors', flush=True)
    return tw, time.monotonic() - began, len(times)


# ---- the truth against the report and the rows ------------------------------
class Compare:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def eq(self, what, got, want, tol=0.0):
        ok = (got == want) if tol == 0 else (
            got is not None and want is not None and abs(float(got) - float(want)) <= tol + 1e-9)
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f'bench/day: MISMATCH {what}: report/rows {got!r}, truth {want!r}'
                  + (f' (within {tol})' if tol else ''))
        return ok


def rate(n, d):
    return round(n / d, 4) if d else 0


def mean1(xs):
    return round(sum(xs) / len(xs), 1) if xs else 0


def truth_figures(day, rep):
    """The report's figures as the truth makes them (doc/contract.txt 5, 8,
    13, 15), with the report's own thresholds."""
    calls = [c for c in day.truth.calls.values() if 'result' in c]
    short = rep['short_abandon_seconds']
    sl = rep['service_level_seconds']
    f = {}
    bridged = [c for c in calls if c['result'] == 'bridged']
    hung = [c for c in calls if c['result'] == 'hangup']
    f['offered'] = len(calls)
    f['answered'] = len(bridged)
    f['abandoned'] = sum(1 for c in hung if c['queue_time'] >= short)
    f['short_abandoned'] = sum(1 for c in hung if c['queue_time'] < short)
    f['abandon_rate'] = rate(f['abandoned'], f['answered'] + f['abandoned'])
    f['asa_seconds'] = mean1([c['queue_time'] for c in bridged])
    f['service_level'] = rate(sum(1 for c in bridged if c['queue_time'] <= sl), len(bridged))
    f['longest_wait_seconds'] = max([c['queue_time'] for c in calls] or [0])
    f['avg_call_seconds'] = mean1([d for s, d in day.truth.status.values() if s == 'completed'])
    f['closed_calls'] = len(day.truth.turned_away)
    f['voicemails'] = len(day.truth.voicemails)
    f['overflowed'] = 0
    cbs = day.truth.callbacks.values()
    f['callbacks'] = {
        'requested': len(day.truth.callbacks),
        'completed': sum(1 for c in cbs if c['status'] == 'completed'),
        'failed': sum(1 for c in cbs if c['status'] == 'failed'),
        'pending': sum(1 for c in cbs if c['status'] == 'pending'),
        'mean_seconds': mean1([c['completed_claim'] - c['asked'] for c in cbs
                               if c['status'] == 'completed'])}
    hours = {}
    for c in calls:
        h = hours.setdefault(local_hour(c['exit']), [0, 0, 0])
        h[0] += 1
        h[1] += c['result'] == 'bridged'
        h[2] += c['result'] == 'hangup' and c['queue_time'] >= short
    f['by_hour'] = hours
    queues = {}
    for c in calls:
        q = queues.setdefault(c['queue'], {'offered': 0, 'answered': 0, 'abandoned': 0,
                                           'waits': []})
        q['offered'] += 1
        if c['result'] == 'bridged':
            q['answered'] += 1
            q['waits'].append(c['queue_time'])
        q['abandoned'] += c['result'] == 'hangup' and c['queue_time'] >= short
    f['queues'] = queues
    return f


def compare_report(day, rep, cmp):
    f = truth_figures(day, rep)
    for k in ('offered', 'answered', 'abandoned', 'short_abandoned', 'longest_wait_seconds',
              'closed_calls', 'voicemails', 'overflowed'):
        cmp.eq(k, rep.get(k), f[k])
    cmp.eq('abandon_rate', rep.get('abandon_rate'), f['abandon_rate'], 0.0001)
    cmp.eq('service_level', rep.get('service_level'), f['service_level'], 0.0001)
    cmp.eq('asa_seconds', rep.get('asa_seconds'), f['asa_seconds'], 0.1)
    cmp.eq('avg_call_seconds', rep.get('avg_call_seconds'), f['avg_call_seconds'], 0.1)
    for k in ('requested', 'completed', 'failed', 'pending'):
        cmp.eq(f'callbacks.{k}', rep['callbacks'].get(k), f['callbacks'][k])
    cmp.eq('callbacks.mean_seconds', rep['callbacks'].get('mean_seconds'),
           f['callbacks']['mean_seconds'], 1.0)
    got_hours = {h['hour']: [h['offered'], h['answered'], h['abandoned']]
                 for h in rep['by_hour'] if h['offered'] or h['answered'] or h['abandoned']}
    cmp.eq('by_hour (offered, answered, abandoned)', got_hours, f['by_hour'])
    sl = {q['queue']: q['service_level_seconds'] for q in rep.get('queues', [])}
    for name, q in sorted(f['queues'].items()):
        got = next((x for x in rep.get('queues', []) if x['queue'] == name), None)
        if not cmp.eq(f'queues[{name}] listed', got is not None, True):
            continue
        for k in ('offered', 'answered', 'abandoned'):
            cmp.eq(f'queues[{name}].{k}', got[k], q[k])
        cmp.eq(f'queues[{name}].asa_seconds', got['asa_seconds'], mean1(q['waits']), 0.1)
        cmp.eq(f'queues[{name}].service_level', got['service_level'],
               rate(sum(1 for w in q['waits'] if w <= sl[name]), len(q['waits'])), 0.0001)
    surveys = day.truth.surveys.values()

    def csat(rows):
        return {'mean': round(sum(r[0] for r in rows) / len(rows), 2) if rows else 0,
                'responses': len(rows)}

    c = csat(list(surveys))
    cmp.eq('csat.responses', rep['csat']['responses'], c['responses'])
    cmp.eq('csat.mean', rep['csat']['mean'], c['mean'], 0.01)
    for key, idx, name in (('csat_operators', 1, 'telnum'), ('csat_queues', 2, 'queue')):
        want = {}
        for r in surveys:
            want.setdefault(r[idx], []).append(r)
        got = {x[name]: (x['mean'], x['responses']) for x in rep.get(key, [])}
        for k, rows in sorted(want.items()):
            c = csat(rows)
            g = got.get(k, (None, None))
            cmp.eq(f'{key}[{k}].responses', g[1], c['responses'])
            cmp.eq(f'{key}[{k}].mean', g[0], c['mean'], 0.01)
        cmp.eq(f'{key}: no other', sorted(set(got) - set(want)), [])
    cmp.eq('recording_list', len(rep.get('recording_list', [])),
           min(1000, len(day.truth.recordings)))
    ops = {o['telnum']: o for o in rep.get('operators', [])}
    for telnum, t in sorted(day.truth.operators.items()):
        o = ops.get(telnum)
        if not cmp.eq(f'operators[{telnum}] listed', o is not None, True):
            continue
        cmp.eq(f'operators[{telnum}].answered', o['answered'], t['answered'])
        # each state's seconds are whole seconds of the moments the module
        # stored: at most a second apart per time the state was entered
        for k, key in (('talk_seconds', 'talk'), ('wrapup_seconds', 'wrapup'),
                       ('break_seconds', 'break'), ('logged_in_seconds', 'logged_in')):
            n = t.get('n_' + key, 0) if key != 'logged_in' else len(t['states'])
            cmp.eq(f'operators[{telnum}].{k}', o[k], t[key], max(1, n))
        got_breaks = {b['reason']: b['breaks'] for b in o.get('breaks', [])}
        cmp.eq(f'operators[{telnum}].breaks', got_breaks,
               {r: b[0] for r, b in t['breaks'].items()})


def sql_sets(cmd, run_id):
    """CallSids of the run in each table, as the node's client prints them."""
    tables = ('enqueue_data', 'queue_data', 'statuscallback_data', 'operator_sessions',
              'turned_away', 'voicemails', 'callbacks')
    q = ' UNION ALL '.join(
        f"SELECT '{t}', CallSid FROM {t} WHERE CallSid LIKE 'CA{run_id}%'" for t in tables)
    q += (f" UNION ALL SELECT 'surveys', CallSid FROM surveys WHERE CallSid LIKE 'CA{run_id}%'"
          f" UNION ALL SELECT 'recordings', RecordingSid FROM recordings"
          f" WHERE CallSid LIKE 'CA{run_id}%'")
    q += (f" UNION ALL SELECT 'operator_states', CONCAT(CallSid, ' ', COUNT(*)) "
          f"FROM operator_states WHERE CallSid LIKE 'CA{run_id}%' GROUP BY CallSid")
    out = subprocess.run(shlex.split(cmd) + ['-N', '-e', q], check=True,
                         capture_output=True, text=True).stdout
    sets = {t: set() for t in tables + ('operator_states', 'surveys', 'recordings')}
    for line in out.splitlines():
        t, _, v = line.partition('\t')
        sets[t].add(v)
    return sets


def truth_sets(day):
    calls = day.truth.calls
    st = {}
    for op in day.ops:
        st[op.sid] = len(op.truth['states'])
    return {
        'enqueue_data': {k for k, c in calls.items() if 'result' in c},
        'queue_data': {k for k, c in calls.items() if c.get('result') == 'bridged'},
        'statuscallback_data': set(day.truth.status),
        'operator_sessions': set(day.truth.sessions),
        'turned_away': set(day.truth.turned_away),
        'voicemails': set(day.truth.voicemails),
        'callbacks': set(day.truth.callbacks),
        'operator_states': {f'{k} {n}' for k, n in st.items()},
        'surveys': set(day.truth.surveys),
        'recordings': set(day.truth.recordings),
    }


def compare_rows(day, cmd, cmp, node, settle):
    """Every table's rows of the run on a node against the truth; rows
    still in a spool (a node was down) are waited for up to settle s."""
    want = truth_sets(day)
    until = time.monotonic() + settle
    while True:
        got = sql_sets(cmd, day.run_id)
        if all(got[t] == want[t] for t in want) or time.monotonic() >= until:
            break
        time.sleep(3)
    for t in sorted(want):
        missing = want[t] - got[t]
        extra = got[t] - want[t]
        ok = cmp.eq(f'{node}: {t} rows', len(got[t]), len(want[t]))
        if not ok or missing or extra:
            if ok:
                cmp.eq(f'{node}: {t} the same rows', False, True)
            print(f'bench/day: {node}: {t}: {len(missing)} missing '
                  f'{sorted(missing)[:3]}, {len(extra)} not in the truth {sorted(extra)[:3]}')


def p99(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(math.ceil(len(xs) * 0.99)) - 1)] if xs else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--url', required=True, help='the day Location, e.g. http://127.0.0.1:8080/day/')
    ap.add_argument('--public-url', help='the URL Twilio signs (MiniCCPublicURL), default --url')
    ap.add_argument('--report', required=True, help='minicc-report URL')
    ap.add_argument('--token', default='', help="the Location's MiniCCAuthToken")
    ap.add_argument('--sql', action='append', default=[],
                    help='a MariaDB client command for a node (repeat per node)')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--date', required=True, help='the day played, YYYY-MM-DD (local)')
    ap.add_argument('--start', default='07:30', help='first moment played (local HH:MM)')
    ap.add_argument('--end', default='18:30', help='last moment played')
    ap.add_argument('--open', default='08:00', help="MiniCCHours' opening (HH:MM)")
    ap.add_argument('--close', default='18:00', help="MiniCCHours' closing (HH:MM)")
    ap.add_argument('--calls', type=int, default=10000)
    ap.add_argument('--operators', type=int, default=50)
    ap.add_argument('--shifts', type=int, default=2)
    ap.add_argument('--shift-share', type=float, default=1.6,
                    help='a shift as a share of the day / shifts (overlap above 1)')
    ap.add_argument('--speed', type=float, default=72.0)
    ap.add_argument('--handle', type=float, default=100.0, help='median talk seconds')
    ap.add_argument('--patience', type=float, default=240.0, help='mean patience seconds')
    ap.add_argument('--callback-share', type=float, default=0.15)
    ap.add_argument('--callback-key', default='1')
    ap.add_argument('--callback-attempts', type=int, default=3)
    ap.add_argument('--menu', default='1=general,3=billing',
                    help="the menu's queue keys, KEY=QUEUE,...")
    ap.add_argument('--reasons', default='1=Lunch,2=Coffee', help='MiniCCBreakReasons, K=Name,...')
    ap.add_argument('--number', default='+81312345678', help='the Twilio number called')
    ap.add_argument('--status-url', default='status')
    ap.add_argument('--connections', type=int, default=32)
    ap.add_argument('--progress', type=float, default=30.0, help='seconds between progress lines')
    ap.add_argument('--run-id', default=None, help='8 hex digits in every CallSid')
    ap.add_argument('--midday', help='a shell command run at the middle of the day')
    ap.add_argument('--settle', type=float, default=120.0,
                    help='seconds the rows may take to reach a node (spools replaying)')
    args = ap.parse_args()
    args.menu_map = dict(kv.split('=', 1) for kv in args.menu.split(','))
    args.menu_keys = sorted(args.menu_map)
    args.reasons = dict(kv.split('=', 1) for kv in args.reasons.split(',')) if args.reasons else {}
    day = Day(args)
    day.run_id = args.run_id or '%08x' % random.Random(args.seed * 7919).getrandbits(32)
    day.opens = local_moment(args.date, args.open)
    day.closes = local_moment(args.date, args.close)
    real0 = time.monotonic()
    tw, secs, ncalls = asyncio.run(play_day(args, day))
    print(f'bench/day: played {args.date} {args.start}-{args.end}: {ncalls} callers, '
          f'{args.operators} operators, {sum(len(v) for v in tw.times.values())} requests '
          f'in {secs:.0f} s (x{args.speed:g}); {len(tw.errors)} errors')
    for e in tw.errors[:20]:
        print(f'bench/day: error: {e}')
    for name, xs in sorted(tw.times.items()):
        print(f'bench/day: p99 {name:16s} {p99(xs) * 1000:7.1f} ms over {len(xs)} requests')
    cmp = Compare()
    cmp.eq('webhook errors', len(tw.errors), 0)
    if args.midday:
        cmp.eq('the midday command', getattr(day, 'midday_rc', None), 0)
    # the rows first (on a cluster the spools may still be replaying),
    # then the report of the day, which counts them
    for i, cmd in enumerate(args.sql):
        compare_rows(day, cmd, cmp, f'node {i + 1}', args.settle)
    rep_url = f'{args.report}?from={args.date}&to={args.date}&format=json'
    with urllib.request.urlopen(rep_url, timeout=120) as r:
        rep = json.load(r)
    f = truth_figures(day, rep)
    print(f"bench/day: the day's truth: offered {f['offered']}, answered {f['answered']}, "
          f"abandoned {f['abandoned']} (+{f['short_abandoned']} short), "
          f"ASA {f['asa_seconds']} s, service level {f['service_level']}, "
          f"longest wait {f['longest_wait_seconds']} s, closed {f['closed_calls']}, "
          f"voicemails {f['voicemails']}, call-backs {f['callbacks']['requested']} "
          f"({f['callbacks']['completed']} completed, {f['callbacks']['failed']} failed, "
          f"{f['callbacks']['pending']} pending), scores {len(day.truth.surveys)}, "
          f"recordings {len(day.truth.recordings)}")
    compare_report(day, rep, cmp)
    print(f'bench/day: the report and the rows against the truth: '
          f'{cmp.passed} equal, {cmp.failed} not ({time.monotonic() - real0:.0f} s in all)')
    print(f'{cmp.passed} passed, {cmp.failed} failed')
    sys.exit(1 if cmp.failed else 0)


if __name__ == '__main__':
    main()
