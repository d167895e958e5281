// The operator's page (minicc-agent, doc/contract.txt 14): the browser is
// the operator's phone through Twilio's Voice SDK; the state buttons post
// to agent-state, beside the page.  Every failure is shown, none thrown.
(function () {
  'use strict';
  var conf = JSON.parse(document.getElementById('minicc-conf').textContent);
  var L = conf.labels;
  var device = null;
  var registered = false;
  var call = null;
  var now = { state: 'offline', reason: null, since: Date.now() };
  var byId = function (id) { return document.getElementById(id); };

  function status(text, bad) {
    var s = byId('status');
    s.textContent = text;
    s.className = bad ? 'bad' : '';
  }

  function why(e) {
    return e && (e.code ? e.code + ' ' : '') + (e.message || e) || '';
  }

  function buttons() {
    var st = now.state;
    byId('connect').disabled = !registered || !!call;
    byId('hangup').disabled = !call || st !== 'talking';
    byId('ready').disabled = st !== 'break' && st !== 'wrap-up';
    byId('break').disabled = st === 'offline' || st === 'talking';
    byId('reason').disabled = byId('break').disabled;
    byId('offline').disabled = (st === 'offline' && !call) || st === 'talking';
  }

  function tick() {
    var s = Math.max(0, Math.round((Date.now() - now.since) / 1000));
    var m = Math.floor(s / 60);
    byId('since').textContent = m + ':' + (s % 60 < 10 ? '0' : '') + (s % 60);
  }

  function render(j) {
    var changed = j.state !== now.state || j.reason !== now.reason;
    now.state = j.state;
    now.reason = j.reason;
    if (changed || Math.abs(Date.now() - j.since_seconds * 1000 - now.since) > 2000) {
      now.since = Date.now() - j.since_seconds * 1000;
    }
    byId('state').textContent = (L.states[j.state] || j.state)
      + (j.reason ? ' (' + j.reason + ')' : '');
    byId('caller').hidden = j.state !== 'talking' || !j.caller;
    byId('caller-number').textContent = j.caller || '';
    byId('caller-queue').textContent = j.caller_queue || j.queue || '';
    tick();
    buttons();
  }

  function asJson(r) {
    return r.json().catch(function () { return {}; }).then(function (j) {
      if (!r.ok) {
        throw new Error(j.error || (L.failed + ' (' + r.status + ')'));
      }
      return j;
    });
  }

  function refresh() {
    return fetch(conf.state, { credentials: 'same-origin', cache: 'no-store' })
      .then(asJson).then(render)
      .catch(function (e) { status(why(e), true); });
  }

  // the keys the keypad would press, so that Twilio asks the loop now
  function nudge(was, to) {
    if (!call) {
      return;
    }
    if (to === 'offline') {
      call.disconnect();
    } else if (was === 'ready') {
      call.sendDigits('*');
    } else {
      call.sendDigits(to === 'ready' ? '1' : '2');
    }
  }

  function post(to) {
    var was = now.state;
    var body = new URLSearchParams();
    body.set('state', to);
    if (to === 'break' && byId('reason').value) {
      body.set('reason', byId('reason').value);
    }
    return fetch(conf.state, { method: 'POST', credentials: 'same-origin',
                               body: body })
      .then(asJson).then(function (j) {
        render(j);
        nudge(was, to);
      })
      .catch(function (e) {
        status(why(e), true);
        // a log-out ends this page's call whatever the server knew of it
        if (to === 'offline' && call) {
          call.disconnect();
        }
      });
  }

  function token() {
    return fetch(conf.token, { credentials: 'same-origin', cache: 'no-store' })
      .then(asJson);
  }

  function ended() {
    call = null;
    buttons();
    refresh();
  }

  function connect() {
    if (!device || call) {
      return;
    }
    device.connect({}).then(function (c) {
      call = c;
      c.on('accept', function () { status(L.connected, false); refresh(); });
      c.on('disconnect', ended);
      c.on('cancel', ended);
      c.on('reject', ended);
      c.on('error', function (e) { status(L.unreachable + ': ' + why(e), true); });
      buttons();
    }).catch(function (e) {
      status(L.unreachable + ': ' + why(e), true);
    });
  }

  function setup() {
    if (typeof Twilio === 'undefined' || !Twilio.Device) {
      status(L.no_sdk, true);
      return;
    }
    token().then(function (t) {
      device = new Twilio.Device(t.token, { closeProtection: true,
                                            logLevel: 'silent' });
      device.on('error', function (e) {
        status(L.unreachable + ': ' + why(e), true);
      });
      device.on('registered', function () {
        registered = true;
        status(L.reachable, false);
        buttons();
      });
      device.on('unregistered', function () {
        registered = false;
        buttons();
      });
      device.on('tokenWillExpire', function () {
        token().then(function (n) { device.updateToken(n.token); })
          .catch(function (e) { status(why(e), true); });
      });
      buttons();
      return device.register();
    }).catch(function (e) {
      status(L.unreachable + ': ' + why(e), true);
    });
  }

  byId('connect').addEventListener('click', connect);
  byId('hangup').addEventListener('click', function () {
    if (call) {
      call.sendDigits('*');
    }
  });
  byId('ready').addEventListener('click', function () { post('ready'); });
  byId('break').addEventListener('click', function () { post('break'); });
  byId('offline').addEventListener('click', function () { post('offline'); });
  status(L.loading, false);
  buttons();
  refresh();
  setup();
  setInterval(refresh, 3000);
  setInterval(tick, 1000);
}());
