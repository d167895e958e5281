# Several queues behind one menu, by skill (doc/contract.txt 15): MiniCCMenu's
# keys to queues, the information, a voicemail and another Location's queue;
# each queue's own requests marked queue=NAME and recorded with its name;
# operator_queues and the loop's choice of a queue for each Dial (callers
# waiting as the live view knows them, priority first, then the longest
# wait), heard before the Dial.  Real Apache, module and MariaDB; TwiML
# parsed.
use strict;
use warnings FATAL => 'all';
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use File::Temp qw(tempdir);
use MiniCCTest;
use MiniCCSpoolTest;
use Apache::TestRequest ();
use JSON::PP ();
use LWP::UserAgent ();

my @bad = (
    ['MiniCCMenu # queue sales', 'MiniCCMenu'],
    ['MiniCCMenu 10 queue sales', 'MiniCCMenu'],
    ['MiniCCMenu 1 queue', 'MiniCCMenu'],
    ['MiniCCMenu 1 queue ' . ('q' x 65), 'MiniCCMenu'],
    ['MiniCCMenu 1 sales', 'MiniCCMenu'],
    ['MiniCCMenu 1 information now', 'MiniCCMenu'],
    ['MiniCCMenu 1 ftp://example.com/x', 'MiniCCMenu'],
    ['MiniCCMenu 1', 'MiniCCMenu'],
    ['MiniCCQueueServiceLevel sales 0', 'MiniCCQueueServiceLevel'],
    ['MiniCCQueueServiceLevel sales soon', 'MiniCCQueueServiceLevel'],
    ["MiniCCQueue \"sales\tdesk\"", 'MiniCCQueue'],
    ["MiniCCMenu 3 queue \"sales\tdesk\"", 'MiniCCMenu'],
);

# twiml_ok: 4 tests each
plan tests => @bad * 2 + 3 + 4 * 24 + 7 + 6 + 4 + 2 + 4 * 2 + 2;

my $tmp = tempdir('minicc-queues-XXXXXX', TMPDIR => 1, CLEANUP => 1);
configtest_rejects($tmp, \@bad);
{
    my ($rc, $out) = configtest_location($tmp, join "\n", '    MiniCCMenu 1 queue sales',
                                         '    MiniCCMenu * https://cc.example.com/other/incoming',
                                         '    MiniCCMenu 0 voicemail', '    MiniCCQueueServiceLevel sales 30');
    is($rc, 0, 'a menu of a queue, a URL and a voicemail, a queue\'s service level: configtest passes')
        or diag($out);
    ($rc, $out) = configtest_location($tmp, "    MiniCCMenu 2 information\n    MiniCCMenu 2 queue x");
    like($out, qr/MiniCCMenu: the key 2 is given twice/, 'a key given twice: configtest names it');
    ($rc, $out) = configtest_location($tmp, "    MiniCCQueueServiceLevel sales 20\n    MiniCCQueueServiceLevel sales 30");
    like($out, qr/MiniCCQueueServiceLevel: the queue 'sales' is given twice/,
         'a queue\'s service level given twice: configtest names it');
}

db_wait_up();
my $customer = '+15553330001';
my ($opa, $opb, $opc, $opd) = ('+15558880001', '+15558880002', '+15558880003', '+15558880004');
db_do('DELETE FROM operators WHERE telnum IN (?, ?, ?, ?)', $opa, $opb, $opc, $opd);
db_do('INSERT INTO operators (telnum) VALUES (?), (?), (?), (?)', $opa, $opb, $opc, $opd);
db_do('DELETE FROM operator_queues WHERE telnum IN (?, ?, ?, ?)', $opa, $opb, $opc, $opd);
# opa: sales first, then helpdesk; opb: helpdesk and billing alike; opc:
# billing only; opd: none (the Location's MiniCCQueue, as before)
db_do(q{INSERT INTO operator_queues (telnum, queue, priority) VALUES
        (?, 'sales', 1), (?, 'helpdesk', 2), (?, 'helpdesk', 1), (?, 'billing', 1), (?, 'billing', 3)},
      $opa, $opa, $opb, $opb, $opc);
db_do(q{DELETE FROM live_waiting WHERE Queue IN ('sales', 'helpdesk', 'billing', 'general')});
callers_changed();

# ---- the menu -----------------------------------------------------------------------------
sub enq {
    my ($q, $esc) = @_;
    $esc //= $q;
    return Enqueue($q, waitUrl => "wait?queue=$esc", waitUrlMethod => 'POST', action => "exit?queue=$esc",
                   method => 'POST');
}
my @call = (CallSid => sid(), From => $customer, To => '+15559990051');
twiml_ok(post('/skills/incoming', [@call]),
         Response(Gather({ numDigits => '1', timeout => '10', action => 'incoming', method => 'POST' },
                         Say(DEFAULT_MSG('welcome'))),
                  Say(DEFAULT_MSG('noinput')), enq('sales')),
         'the menu: no key joins the menu\'s first queue (sales), its URLs marked queue=sales');
my $connecting = sub { Response(Say(DEFAULT_MSG('connecting')), enq(@_)) };
twiml_ok(post('/skills/incoming', [@call, Digits => '1']), $connecting->('sales'), 'key 1: the queue sales');
twiml_ok(post('/skills/incoming', [@call, Digits => '2']), $connecting->('helpdesk'), 'key 2: the queue helpdesk');
twiml_ok(post('/skills/incoming', [@call, Digits => '3']), $connecting->('billing'), 'key 3: the queue billing');
twiml_ok(post('/skills/incoming', [@call, Digits => '7']), $connecting->('Après vente', 'Apr%C3%A8s%20vente'),
         'key 7: a queue whose name has a space and UTF-8: its URLs carry it form-encoded');
twiml_ok(post('/skills/incoming', [@call, Digits => '4']), Response(Redirect('information', method => 'POST')),
         'key 4: the information');
twiml_ok(post('/skills/incoming', [@call, Digits => '5']),
         Response(Say(DEFAULT_MSG('voicemail')),
                  [ 'Record', { action => 'voicemail', method => 'POST', maxLength => '120', finishOnKey => '#',
                                playBeep => 'true', recordingStatusCallback => 'voicemail',
                                recordingStatusCallbackMethod => 'POST' } ],
                  Hangup()),
         'key 5: a voicemail');
twiml_ok(post('/skills/incoming', [@call, Digits => '6']),
         Response(Redirect('/billing/incoming?direct=1', method => 'POST')),
         'key 6: another Location\'s URL, marked direct=1');
twiml_ok(post('/skills/incoming', [@call, Digits => '8']),
         Response(Gather({ numDigits => '1', timeout => '10', action => 'incoming', method => 'POST' },
                         Say(DEFAULT_MSG('retry'))),
                  Say(DEFAULT_MSG('noinput')), enq('sales')),
         'a key the menu does not have: the menu again');
twiml_ok(post('/billing/incoming?direct=1', [@call]),
         Response(Say(DEFAULT_MSG('connecting')),
                  Enqueue('billing', waitUrl => 'wait', waitUrlMethod => 'POST', action => 'exit', method => 'POST')),
         'direct=1: straight into that Location\'s queue, no menu');
twiml_ok(post('/billing/incoming?direct=1', [@call, From => $opd]), Response(Redirect('operator', method => 'POST')),
         'direct=1 from an operator: their loop, as always');

# ---- each queue's requests, recorded with its name --------------------------------------
{
    my $c = sid();
    post('/skills/wait?queue=helpdesk', [CallSid => $c, From => $customer, QueueTime => 5, QueuePosition => 1]);
    select undef, undef, undef, 1.5;    # the wait polls are written once a second
    is(db_row('live_waiting', $c)->{Queue}, 'helpdesk',
       'a wait poll of helpdesk: live_waiting says helpdesk');
    twiml_ok(post('/skills/exit?queue=helpdesk', [CallSid => $c, From => $customer, QueueResult => 'hangup',
                                                 QueueTime => 9]),
             Response(), 'its exit');
    is(db_row('enqueue_data', $c)->{Queue}, 'helpdesk',
       'enqueue_data.Queue: helpdesk');
    my $g = sid();
    post('/skills/guidance?queue=Apr%C3%A8s%20vente', [CallSid => $g, From => $customer, QueueTime => 4,
                                                       DequeingCallSid => sid()]);
    is(db_row('queue_data', $g)->{Queue}, 'Après vente',
       'queue_data.Queue: the name as it was, from its form-encoded URL');
    my $x = sid();
    post('/skills/exit', [CallSid => $x, From => $customer, QueueResult => 'hangup', QueueTime => 1]);
    is(db_row('enqueue_data', $x)->{Queue}, 'general',
       'no queue= in the URL: the Location\'s MiniCCQueue');
    my $at = error_log_size();
    my $y = sid();
    post('/skills/exit?queue=%01bad', [CallSid => $y, From => $customer, QueueResult => 'hangup', QueueTime => 1]);
    is(db_row('enqueue_data', $y)->{Queue}, 'general',
       'a queue= that is no queue\'s name (a control character): the Location\'s queue');
    ok((grep { /AH30408/ } error_log_since($at)), '... and a log line (AH30408)');
    my $z = sid();
    post('/skills/exit?queue=rq%09sales', [CallSid => $z, From => $customer, QueueResult => 'hangup', QueueTime => 1]);
    is(db_row('enqueue_data', $z)->{Queue}, 'general', 'a queue= with a tab: the Location\'s queue');
}

# ---- the operators' loop chooses a queue ------------------------------------------------
# Callers waiting as the live view knows them: live_waiting rows (the wait
# polls'), without an exit or a pick-up.
sub waiting {
    my ($queue, $waited) = @_;
    my $c = sid();
    db_do(q{INSERT INTO live_waiting (CallSid, Queue, QueueTime, `Time`) VALUES (?, ?, ?, UTC_TIMESTAMP(6))},
          $c, $queue, $waited);
    return $c;
}
sub loop_for {
    my ($q) = @_;
    return Response(Say("Taking callers of $q."),
                    [ 'Dial', { timeout => '20', action => 'operator', method => 'POST' },
                      Queue($q, url => 'guidance?queue=' . $q, method => 'POST') ],
                    Redirect('operator', method => 'POST'));
}
sub op_post { post('/skills/operator', [CallSid => $_[1] // sid(), From => $_[0], To => '+15559990051']) }

twiml_ok(op_post($opa), loop_for('sales'), 'no one waiting: opa waits on their first queue (sales)');
twiml_ok(op_post($opb), loop_for('billing'),
         'no one waiting: opb\'s queues have priority 1 both: the first by name (billing)');
twiml_ok(op_post($opd),
         Response(Say(DEFAULT_MSG('operator')), Dial(Queue('general', url => 'guidance', method => 'POST')),
                  Redirect('operator', method => 'POST')),
         'an operator without operator_queues: the Location\'s queue, the loop as before');

my $s1 = waiting('helpdesk', 100);
my $b1 = waiting('billing', 200);
callers_changed();
twiml_ok(op_post($opa), loop_for('helpdesk'), 'a caller in helpdesk only: opa takes helpdesk (priority 2)');
twiml_ok(op_post($opb), loop_for('billing'),
         'helpdesk 100 s, billing 200 s, both priority 1 for opb: billing, the longer wait');
twiml_ok(op_post($opc), loop_for('billing'), 'opc: billing');

my $s0 = waiting('sales', 10);
db_do('UPDATE live_waiting SET QueueTime = 300 WHERE CallSid = ?', $s1);
callers_changed();
my $sid = sid();
twiml_ok(op_post($opa, $sid), loop_for('sales'),
         'a sales caller of 10 s beats helpdesk\'s 300 s for opa: priority first');
is(db_row('operator_sessions', $sid)->{Queue}, 'sales',
   'operator_sessions.Queue: the queue the loop chose');
twiml_ok(op_post($opb), loop_for('helpdesk'), 'helpdesk now waits 300 s, billing 200 s: opb takes helpdesk');

# the caller picked up (queue_data) or gone (enqueue_data) no longer waits
post('/skills/guidance?queue=helpdesk', [CallSid => $s1, From => $customer, QueueTime => 301,
                                        DequeingCallSid => sid()]);
post('/skills/exit?queue=sales', [CallSid => $s0, From => $customer, QueueResult => 'hangup', QueueTime => 12]);
callers_changed();
twiml_ok(op_post($opb), loop_for('billing'), 'helpdesk\'s caller picked up: opb back to billing\'s caller');
twiml_ok(op_post($opa), loop_for('sales'), 'sales\' caller gone, helpdesk empty: opa on their first queue');

# call-backs in line count as callers waiting (a wait of their own: -1)
{
    my $cb = sid();
    db_do(q{DELETE FROM live_waiting WHERE CallSid = ?}, $b1);
    db_do(q{INSERT INTO callbacks (CallSid, `From`, Queue, QueueTime, `Time`, Status)
            VALUES (?, ?, 'helpdesk', 30, UTC_TIMESTAMP(6), 'pending')}, $cb, $customer);
    callers_changed();
    twiml_ok(op_post($opb), loop_for('helpdesk'),
             'no caller waiting, a call-back in line in helpdesk: opb takes helpdesk');
    db_do(q{UPDATE callbacks SET Status = 'completed' WHERE CallSid = ?}, $cb);
    db_do(q{INSERT INTO live_waiting (CallSid, Queue, QueueTime, `Time`) VALUES (?, 'billing', 200, UTC_TIMESTAMP(6))},
          $b1);
    callers_changed();
}

# operator_queues changed: seen within a second, without a restart
db_do(q{UPDATE operator_queues SET priority = 1 WHERE telnum = ? AND queue = 'helpdesk'}, $opa);
db_do(q{UPDATE operator_queues SET priority = 4 WHERE telnum = ? AND queue = 'sales'}, $opa);
callers_changed();
twiml_ok(op_post($opa), loop_for('helpdesk'), 'opa\'s priorities changed: helpdesk first now');
# ---- the report per queue, from rows made through the webhooks ---------------------------
# rq-sales (its own service level, 30 s): 3 bridged (waits 10, 25, 40),
# a hang-up after 3 s (short: MiniCCShortAbandon 5) and one after 50 s;
# rq-support (MiniCCServiceLevel, 20 s): 1 bridged (5 s), a hang-up after 60 s.
{
    my $exit = sub {
        my ($q, $result, $wait) = @_;
        post("/skills/exit?queue=$q", [CallSid => sid(), From => $customer, QueueResult => $result,
                                        QueueTime => $wait]);
    };
    my $pick = sub {
        my ($q, $wait) = @_;
        post("/skills/guidance?queue=$q", [CallSid => sid(), From => $customer, QueueTime => $wait,
                                           DequeingCallSid => sid()]);
    };
    for my $w (10, 25, 40) { $pick->('rq-sales', $w); $exit->('rq-sales', 'bridged', $w) }
    $exit->('rq-sales', 'hangup', 3);
    $exit->('rq-sales', 'hangup', 50);
    $pick->('rq-support', 5);
    $exit->('rq-support', 'bridged', 5);
    $exit->('rq-support', 'hangup', 60);
    my $res = LWP::UserAgent->new(timeout => 30)->get(
        'http://' . Apache::TestRequest::hostport() . '/skills/report?format=json');
    is($res->code, 200, 'the report (JSON): 200');
    my $json = eval { JSON::PP->new->utf8->decode($res->content) } // {};
    my %q = map { $_->{queue} => $_ } @{ $json->{queues} // [] };
    is_deeply($q{'rq-sales'}, { queue => 'rq-sales', offered => 5, answered => 3, abandoned => 1,
                                abandon_rate => 0.25, asa_seconds => 25, service_level => 0.6667,
                                service_level_seconds => 30 },
              'queues: rq-sales as computed by hand, with its own service level (30 s)')
        or diag(explain($q{'rq-sales'}));
    is_deeply($q{'rq-support'}, { queue => 'rq-support', offered => 2, answered => 1, abandoned => 1,
                                  abandon_rate => 0.5, asa_seconds => 5, service_level => 1,
                                  service_level_seconds => 20 },
              'queues: rq-support, with MiniCCServiceLevel (20 s)')
        or diag(explain($q{'rq-support'}));
    $res = LWP::UserAgent->new(timeout => 30)->get(
        'http://' . Apache::TestRequest::hostport() . '/skills/report?format=csv&table=queues');
    my ($head, @lines) = split /\r\n/, $res->content;
    is($head, 'queue,offered,answered,abandoned,abandon_rate,asa_seconds,service_level,service_level_seconds',
       'CSV table=queues: its columns');
    ok((grep { $_ eq 'rq-sales,5,3,1,0.2500,25.0,0.6667,30' } @lines), 'CSV table=queues: rq-sales\' row')
        or diag($res->content);
    $res = LWP::UserAgent->new(timeout => 30)->get(
        'http://' . Apache::TestRequest::hostport() . '/skills/report');
    like($res->content, qr/id="queues".*rq-sales.*rq-support/s, 'the HTML page: a table of the queues, a row each');

    # the queue filter: that queue's callers' figures, hours and waits
    $res = LWP::UserAgent->new(timeout => 30)->get(
        'http://' . Apache::TestRequest::hostport() . '/skills/report?format=json&queue=rq-sales');
    $json = eval { JSON::PP->new->utf8->decode($res->content) } // {};
    is_deeply({ map { $_ => $json->{$_} } qw(offered answered abandoned short_abandoned abandon_rate asa_seconds
                                             service_level service_level_seconds longest_wait_seconds) },
              { offered => 5, answered => 3, abandoned => 1, short_abandoned => 1, abandon_rate => 0.25,
                asa_seconds => 25, service_level => 0.6667, service_level_seconds => 30,
                longest_wait_seconds => 50 },
              'queue=rq-sales: the figures of that queue alone, with its service level')
        or diag($res->content);
    my $hours = 0;
    $hours += $_->{offered} for @{ $json->{by_hour} // [] };
    is_deeply([ $hours, [ map { $_->{queue} } @{ $json->{queues} // [] } ] ], [ 5, ['rq-sales'] ],
              'queue=rq-sales: its hours add up to its 5 calls; queues lists it alone');
    $res = LWP::UserAgent->new(timeout => 30)->get(
        'http://' . Apache::TestRequest::hostport() . '/skills/report?queue=rq-sales');
    like($res->content, qr{<p id="queue">Queue: rq-sales</p>.*name="queue" value="rq-sales".*queue=rq-sales&amp;format=json}s,
         'queue=rq-sales, the page: says the queue; the form and the links keep it');
    $res = LWP::UserAgent->new(timeout => 30)->get(
        'http://' . Apache::TestRequest::hostport() . '/skills/report?format=json&queue=%01x');
    is($res->code, 400, 'a queue= that is no queue\'s name: 400');
    $res = LWP::UserAgent->new(timeout => 30)->get(
        'http://' . Apache::TestRequest::hostport() . '/skills/report?format=json&queue=rq%FF');
    is($res->code, 400, 'a queue= that is not UTF-8: 400, as the webhooks\' queue= and MiniCCQueue refuse it');
}
# ---- the live view, and a second server ------------------------------------------------------
{
    # billing's caller ($b1) waits; helpdesk's was picked up, sales' left
    my $res = LWP::UserAgent->new(timeout => 30)->get(
        'http://' . Apache::TestRequest::hostport() . '/minicc/live?format=json');
    my $live = eval { JSON::PP->new->utf8->decode($res->content) } // {};
    my %w = map { $_->{queue} => $_->{waiting} } @{ $live->{queues} // [] };
    is_deeply([ @w{qw(billing sales helpdesk)} ], [ 1, undef, undef ],
              'the live view per queue: billing\'s caller waiting; sales\' and helpdesk\'s gone')
        or diag($res->content);

    my $srv = httpd_start(name => 'queues', mpm => 'event');
    ok($srv, 'a second server (its own children, the same database)');
    SKIP: {
        skip 'no second server', 8 unless $srv;
        twiml_ok(http_post($srv, '/minicc/operator', [CallSid => sid(), From => $opb, To => '+15559990051']),
                 loop_for('billing'), 'the second server: opb\'s loop chooses as this one does (billing)');
        # a helpdesk caller's wait poll on the second server, waiting longest
        my $c = sid();
        http_post($srv, '/minicc/wait?queue=helpdesk', [CallSid => $c, From => $customer, QueueTime => 900,
                                                        QueuePosition => 1]);
        select undef, undef, undef, 2.3;    # written within 1 s, the copy at most 1 s old
        twiml_ok(op_post($opb), loop_for('helpdesk'),
                 'polled on the second server, seen here: opb takes helpdesk\'s caller (900 s)');
        db_do('DELETE FROM live_waiting WHERE CallSid = ?', $c);
        httpd_stop($srv);
    }
}
db_do('DELETE FROM live_waiting WHERE CallSid IN (?, ?, ?)', $s1, $b1, $s0);
db_do('DELETE FROM operator_queues WHERE telnum IN (?, ?, ?, ?)', $opa, $opb, $opc, $opd);
