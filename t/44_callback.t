# Call-backs (doc/contract.txt, 8): the offer in the wait loop, minicc-callback
# recording the request once and leaving the queue, minicc-exit confirming it,
# the operators' loop sending an operator to the oldest call-back that is due
# (its place in line, both ways), the outcomes and attempts, a claim whose
# outcome never comes, the queue a call-back belongs to, and the report's
# figures.  Real Apache, module and MariaDB; TwiML parsed.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use File::Temp qw(tempdir);
use JSON::PP ();
use MiniCCTest;

sub Leave  { [ 'Leave', {} ] }
sub Number { my ($n, %a) = @_; [ 'Number', \%a, $n ] }
sub Gather1 { my ($action, @k) = @_; Gather({ numDigits => '1', timeout => '1', action => $action, method => 'POST' }, @k) }

my %MSG = (
    offer => 'To be called back instead of waiting, keeping your place in line, press 1.',
    confirm => 'Thank you. We will call you back when it is your turn. Goodbye.',
    operator => 'Calling back a customer who asked for a call-back.',
    greeting => 'Hello, this is the call-back you asked for. Connecting you to an operator.',
);

my @bad = (
    ['MiniCCCallbackKey 12', 'MiniCCCallbackKey'], ['MiniCCCallbackKey #', 'MiniCCCallbackKey'],
    ['MiniCCCallbackKey x', 'MiniCCCallbackKey'], ['MiniCCCallbackAttempts 0', 'MiniCCCallbackAttempts'],
    ['MiniCCCallbackAttempts 21', 'MiniCCCallbackAttempts'], ['MiniCCCallbackIdle 4', 'MiniCCCallbackIdle'],
    ['MiniCCCallbackIdle 601', 'MiniCCCallbackIdle'], ['MiniCCCallback maybe', 'MiniCCCallback'],
    ['MiniCCURL callback ftp://x/cb', 'MiniCCURL'], ['MiniCCMessage callback-nope "x"', 'MiniCCMessage'],
);

# twiml_ok: 4 tests each
plan tests => @bad * 2 + 111 + 1 + 4 + 2 + 8 * 5 + 4 * 2 + 3;

my $tmp = tempdir('minicc-cb-XXXXXX', TMPDIR => 1, CLEANUP => 1);
configtest_rejects($tmp, \@bad);

db_wait_up();
# The report counts the call-backs of every queue: none but this file's.
db_do('DELETE FROM callbacks');
callers_changed();
my $row = sub { dbh()->selectrow_hashref('SELECT *, CAST(`Time` AS CHAR) AS t, CAST(Joined AS CHAR) AS j, '
                                         . 'TIMESTAMPDIFF(SECOND, Joined, `Time`) AS waited FROM callbacks WHERE CallSid = ?',
                                         undef, $_[0]) // {} };
my $play = Play(DEFAULT_HOLD);
my $loop = Response(Say(DEFAULT_MSG('operator')),
                    [ 'Dial', { timeout => '20', action => 'operator', method => 'POST' },
                      Queue('cbq', url => 'guidance', method => 'POST') ],
                    Redirect('operator', method => 'POST'));
# A call-back that did not get through waits a minute before it is dialled
# again: the test moves its last claim back instead of waiting.
my $minute_later = sub { db_do('UPDATE callbacks SET Claimed = Claimed - INTERVAL 61 SECOND WHERE CallSid = ?', $_[0]) };
my $abandoned_before = JSON::PP::decode_json(GET('/cb-report?format=json')->content)->{abandoned};
# The Dial's action names the call-back, so that its outcome closes it.
sub cb_of { scalar dbh()->selectrow_array('SELECT CallSid FROM callbacks WHERE `From` = ?', undef, $_[0]) // 'none' }
sub dial_back {
    my ($to, $from) = @_;
    return Response(Say($MSG{operator}),
                    [ 'Dial', { callerId => $to, timeout => '30', action => 'operator?callback=' . cb_of($from),
                                method => 'POST' },
                      Number($from, url => 'callback-answer', method => 'POST') ]);
}

# ---- the wait loop offers it ---------------------------------------------------------
# Twilio posts QueueTime to the waitUrl, not to the Gather's action: the
# wait loop writes when the caller joined the line into the action's URL.
my $wait_res = post('/cb/wait', [CallSid => sid(), QueuePosition => 3, QueueTime => 20]);
my ($joined) = $wait_res->content =~ /action="callback\?joined=(\d+)"/;
twiml_ok($wait_res,
         Response(Pause(length => '3'),
                  Gather1('callback?joined=' . ($joined // 'none'), Say(DEFAULT_MSG('wait') =~ s/\{position\}/3/r),
                          Say($MSG{offer}), $play)),
         'wait with call-backs on: the position, the offer and the music inside a Gather of one key');
ok(defined $joined && abs($joined - (time - 20)) <= 2,
   "... whose action carries when the caller joined: the poll's time minus QueueTime (joined=" . ($joined // 'none') . ')');
twiml_ok(post('/cb2/wait', [CallSid => sid()]),
         Response(Pause(length => '3'),
                  Gather1('https://cc.example.com/cb2/callback?joined=', Say(DEFAULT_MSG('wait-general')),
                          Say('Press 5 for a call-back (5).'), $play)),
         'another key: {key} in the offer is MiniCCCallbackKey; MiniCCURL callback');

# ---- minicc-callback: the key, once ----------------------------------------------------
my %c1 = (CallSid => sid(), From => '+15554440001', To => '+15559990044');
twiml_ok(post('/cb/callback', [%c1, Digits => '2', QueueTime => 30]), Response(),
         'another key: the empty document (Twilio goes on with the wait loop)');
twiml_ok(post('/cb/callback', [%c1, Digits => '1', QueueTime => 30]), Response(Leave()),
         'the call-back key: <Leave/>');
my $r1 = $row->($c1{CallSid});
is(join(' ', map { $_ // 'NULL' } @$r1{qw(From To Queue Status Attempts waited)}),
   '+15554440001 +15559990044 cbq pending 0 30',
   'one callbacks row: the number, the number called, the queue, pending, joined the line QueueTime before asking');
my $t1 = $r1->{t};
twiml_ok(post('/cb/callback', [%c1, Digits => '1', QueueTime => 45]), Response(Leave()),
         'the same request again (Twilio retries): <Leave/>');
my $r1b = $row->($c1{CallSid});
is(join(' ', map { $_ // 'NULL' } @$r1b{qw(t waited)}), "$t1 30", '... and the row is unchanged');
is(scalar dbh()->selectrow_array('SELECT COUNT(*) FROM callbacks WHERE CallSid = ?', undef, $c1{CallSid}), 1, '... one row');
twiml_ok(post('/cb/callback', [CallSid => sid(), Digits => '1']), Response(),
         'no From: no number to call back; the caller goes on waiting');

# The place in line from the wait poll: the action as the wait loop wrote
# it, and no QueueTime in the Gather's request (as Twilio sends it).
{
    my %c = (CallSid => sid(), From => '+15554440011', To => '+15559990044');
    twiml_ok(post("/cb/callback?joined=$joined", [%c, Digits => '1']), Response(Leave()),
             'the key at the URL the wait loop wrote, without QueueTime: <Leave/>');
    my $r = $row->($c{CallSid});
    ok(defined $r->{waited} && $r->{waited} >= 20 && $r->{waited} <= 23,
       "... joined the line when the wait poll said (waited $r->{waited} s: QueueTime 20 at the poll)")
        or diag(explain($r));
    my %d = (CallSid => sid(), From => '+15554440012', To => '+15559990044');
    my $mark = error_log_size();
    post('/cb/callback?joined=99999999999', [%d, Digits => '1', QueueTime => 500]);
    my $rd = $row->($d{CallSid});
    ok(defined $rd->{waited} && $rd->{waited} == 0 && join('', error_log_since($mark)) =~ /AH30904/,
       'a joined that is not a time of the last 4 hours: the place in line is when they asked, logged (AH30904)')
        or diag(explain($rd));
    db_do('DELETE FROM callbacks WHERE CallSid IN (?, ?)', $c{CallSid}, $d{CallSid});
}

# SPEC 17: a call-back only to a number that can be called; the others
# are told so and stay in line (an empty document after the message).
for my $from ('anonymous', '+266696687', '+86282452253', '+7378742833', 'sip:alice@example.com',
              'client:alice', '+1234567', '81312345678') {
    my $cs = sid();
    twiml_ok(post("/cb/callback?joined=$joined", [CallSid => $cs, From => $from, To => '+15559990044', Digits => '1']),
             Response(Say(DEFAULT_MSG('callback-impossible'))),
             "From $from: told the call-back is not possible, and goes on waiting");
    ok(!defined $row->($cs)->{CallSid}, "... no callbacks row for $from");
}
is(post('/cb/callback', [CallSid => 'nope', From => '+15554440009', Digits => '1'])->code, 400,
   'the key with a CallSid that is not a SID: 400');
ok(!eval { dbh()->selectrow_array(q{SELECT 1 FROM callbacks WHERE CallSid = 'nope'}) }, '... nothing recorded');

# ---- minicc-exit confirms it ---------------------------------------------------------------------
twiml_ok(post('/cb/exit', [%c1, QueueResult => 'leave', QueueTime => 31]),
         Response(Say($MSG{confirm}), Hangup()), 'exit after the call-back key: the confirmation and a hang-up');
twiml_ok(post('/cb/exit', [CallSid => sid(), From => '+15554440002', QueueResult => 'leave', QueueTime => 5]),
         Response(Hangup()), 'a leave without a call-back asked for: as before (no voicemail here: a hang-up)');
twiml_ok(post('/cb/callback-answer', [CallSid => sid(), From => '+15559990044', To => '+15554440001']),
         Response(Say($MSG{greeting})), 'minicc-callback-answer: the greeting the customer hears');

# ---- the operators' loop -------------------------------------------------------------------------
# Operator A calls in: no loop before, so nothing is due yet.
my $A = sid();
my $B = sid();
twiml_ok(post('/cb/operator', [CallSid => $A, From => '+15550044001']), $loop,
         "operator A's first loop: the queue, with the Dial's timeout (MiniCCCallbackIdle) and action");
callers_changed();
# A's Dial took no caller: the call-back is due
twiml_ok(post('/cb/operator', [CallSid => $A, From => '+15550044001', DialCallStatus => 'no-answer']),
         dial_back('+15559990044', '+15554440001'),
         "A's Dial took no caller: A is sent to the call-back (caller ID: the number the customer called)");
$r1 = $row->($c1{CallSid});
is(join(' ', map { $_ // 'NULL' } @$r1{qw(Status Operator Attempts)}), "dialling $A 0", '... claimed for A');
twiml_ok(post('/cb/operator', [CallSid => $B, From => '+15550044002']), $loop, 'B meanwhile: the queue');

# busy: back in line, an attempt counted, not dialled again for a minute;
# then B (idle since its loop) takes it
twiml_ok(post("/cb/operator?callback=$c1{CallSid}", [CallSid => $A, From => '+15550044001', DialCallStatus => 'busy']), $loop,
         'A: the customer was busy: back to the queue (the call-back waits a minute)')
    or diag(explain($row->($c1{CallSid})));
$r1 = $row->($c1{CallSid});
is(join(' ', map { $_ // 'NULL' } @$r1{qw(Status Attempts Outcome)}), 'pending 1 busy', '... back in line, one attempt');
twiml_ok(post('/cb/operator', [CallSid => $B, From => '+15550044002', DialCallStatus => 'no-answer']), $loop,
         'B, idle within that minute: the queue');
$minute_later->($c1{CallSid});
twiml_ok(post('/cb/operator', [CallSid => $B, From => '+15550044002', DialCallStatus => 'no-answer']),
         dial_back('+15559990044', '+15554440001'), 'B, idle a minute later: sent to it');
my $busy_b = post("/cb/operator?callback=$c1{CallSid}", [CallSid => $B, From => '+15550044002', DialCallStatus => 'completed']);
$r1 = $row->($c1{CallSid});
is(join(' ', map { $_ // 'NULL' } @$r1{qw(Status Attempts Outcome)}), 'completed 1 completed',
   'B: completed: the call-back is done') or diag($busy_b->content);
ok(defined $r1->{Closed}, '... with the time it closed');

# attempts run out: MiniCCCallbackAttempts 3
my %c2 = (CallSid => sid(), From => '+15554440003', To => '+15559990044');
post('/cb/callback', [%c2, Digits => '1', QueueTime => 10]);
callers_changed();
my @outcomes;
for my $status (qw(no-answer failed canceled)) {
    $minute_later->($c2{CallSid});
    my $res = post('/cb/operator', [CallSid => $A, From => '+15550044001', DialCallStatus => 'no-answer']);
    push @outcomes, same(twiml($res), dial_back('+15559990044', '+15554440003')) ? 'dial' : 'loop';
    post("/cb/operator?callback=$c2{CallSid}", [CallSid => $A, From => '+15550044001', DialCallStatus => $status]);
}
my $r2 = $row->($c2{CallSid});
is(join(' ', @outcomes, map { $_ // 'NULL' } @$r2{qw(Status Attempts Outcome)}), 'dial dial dial failed 3 canceled',
   'three attempts (no-answer, failed, canceled): then failed');
twiml_ok(post('/cb/operator', [CallSid => $A, From => '+15550044001', DialCallStatus => 'no-answer']), $loop,
         'a failed call-back is not dialled again');

# ---- the claim and the outcome belong to one call-back (SPEC 17) -----------------------------------------
# A loop request that claims nothing is not sent to a call-back it claimed
# before (the SELECT follows its UPDATE only when that claimed a row).
{
    my %c = (CallSid => sid(), From => '+15554440021', To => '+15559990044');
    my $H = sid();
    post('/cb/callback', [%c, Digits => '1', QueueTime => 5]);
    post('/cb/operator', [CallSid => $H, From => '+15550044021']);
    callers_changed();
    twiml_ok(post('/cb/operator', [CallSid => $H, From => '+15550044021', DialCallStatus => 'no-answer']),
             dial_back('+15559990044', '+15554440021'), 'H, idle: sent to the call-back');
    twiml_ok(post('/cb/operator', [CallSid => $H, From => '+15550044021']), $loop,
             'H again with no outcome (its Dial did not come back): the queue, not the same customer dialled again');
    my $r = $row->($c{CallSid});
    is(join(' ', map { $_ // 'NULL' } @$r{qw(Status Operator Attempts)}), "dialling $H 0", '... the claim is left as it was');
    # the outcome is recorded whatever the child's copy says: here it
    # says no call-back waits in cbq (the row is moved to another queue)
    db_do(q{UPDATE callbacks SET Queue = 'cbq-elsewhere' WHERE CallSid = ?}, $c{CallSid});
    callers_changed();
    post("/cb/operator?callback=$c{CallSid}", [CallSid => $H, From => '+15550044021', DialCallStatus => 'busy']);
    $r = $row->($c{CallSid});
    is(join(' ', map { $_ // 'NULL' } @$r{qw(Status Attempts Outcome)}), 'pending 1 busy',
       "busy at the URL that names the call-back, while the copy says none waits: recorded, back in line");
    post("/cb/operator?callback=$c{CallSid}", [CallSid => sid(), From => '+15550044022', DialCallStatus => 'completed']);
    is($row->($c{CallSid})->{Status}, 'pending', "another operator call's outcome for it changes nothing");
    db_do('DELETE FROM callbacks WHERE CallSid = ?', $c{CallSid});
    callers_changed();
}

# ---- the place in line, both ways ----------------------------------------------------------------------
# C took a caller who had waited 60 s; a call-back that joined 300 s ago is older: due.
my $C = sid();
post('/cb/operator', [CallSid => $C, From => '+15550044003']);
my %c3 = (CallSid => sid(), From => '+15554440004', To => '+15559990044');
post('/cb/callback', [%c3, Digits => '1', QueueTime => 300]);
post('/cb/guidance', [CallSid => sid(), From => '+15554449001', QueueSid => sid('QU'), QueueTime => 60,
                      DequeingCallSid => $C]);
callers_changed();
twiml_ok(post('/cb/operator', [CallSid => $C, From => '+15550044003', DialCallStatus => 'completed']),
         dial_back('+15559990044', '+15554440004'),
         'C took a caller who joined after the call-back: C is sent to the call-back next');
post("/cb/operator?callback=$c3{CallSid}", [CallSid => $C, From => '+15550044003', DialCallStatus => 'completed']);
# ... and the other way: the caller C takes had waited 600 s, the call-back joined 10 s ago
my %c4 = (CallSid => sid(), From => '+15554440005', To => '+15559990044');
post('/cb/callback', [%c4, Digits => '1', QueueTime => 10]);
post('/cb/guidance', [CallSid => sid(), From => '+15554449002', QueueSid => sid('QU'), QueueTime => 600,
                      DequeingCallSid => $C]);
callers_changed();
twiml_ok(post('/cb/operator', [CallSid => $C, From => '+15550044003', DialCallStatus => 'completed']), $loop,
         'C took a caller who joined before the call-back: C goes on with the queue');
is($row->($c4{CallSid})->{Status}, 'pending', '... the call-back keeps waiting');

# ---- a claim whose outcome never comes returns to the line after 10 minutes ------------------------------
my $D = sid();
post('/cb/operator', [CallSid => $D, From => '+15550044004']);
post('/cb/operator', [CallSid => $D, From => '+15550044004', DialCallStatus => 'no-answer']);   # claims c4
is($row->($c4{CallSid})->{Operator}, $D, 'D, idle, claimed the call-back');
my $E = sid();
post('/cb/operator', [CallSid => $E, From => '+15550044005']);
twiml_ok(post('/cb/operator', [CallSid => $E, From => '+15550044005', DialCallStatus => 'no-answer']), $loop,
         'E, idle a moment later: the call-back is D\'s');
db_do('UPDATE callbacks SET Claimed = Claimed - INTERVAL 11 MINUTE WHERE CallSid = ?', $c4{CallSid});
twiml_ok(post('/cb/operator', [CallSid => $E, From => '+15550044005', DialCallStatus => 'no-answer']), $loop,
         '11 minutes later, D\'s call still on (a call-back conversation may last): still D\'s');
post('/minicc/status', [CallSid => $D, CallStatus => 'completed', CallDuration => 700]);
my $res = post('/cb/operator', [CallSid => $E, From => '+15550044005', DialCallStatus => 'no-answer']);
ok(same(twiml($res), dial_back('+15559990044', '+15554440005')) && $row->($c4{CallSid})->{Operator} eq $E,
   '... D\'s call ended (its status callback) with no outcome: back in line, and E is sent to it') or diag($res->content);
post("/cb/operator?callback=$c4{CallSid}", [CallSid => $E, From => '+15550044005', DialCallStatus => 'completed']);

# ---- a call-back belongs to its queue ----------------------------------------------------------------------
my %c5 = (CallSid => sid(), From => '+15554440006', To => '+15559990045');
post('/cb2/callback', [%c5, Digits => '5', QueueTime => 100]);
is($row->($c5{CallSid})->{Queue}, 'cbq2', 'a call-back asked at /cb2/ is for its queue, cbq2');
callers_changed();
my $F = sid();
post('/cb/operator', [CallSid => $F, From => '+15550044006']);
twiml_ok(post('/cb/operator', [CallSid => $F, From => '+15550044006', DialCallStatus => 'no-answer']), $loop,
         'an idle operator of cbq is not sent to a call-back of cbq2');
my $G = sid();
post('/cb2/operator', [CallSid => $G, From => '+15550044007']);
twiml_ok(post('/cb2/operator', [CallSid => $G, From => '+15550044007', DialCallStatus => 'no-answer']),
         Response(Say('A call-back.'),
                  [ 'Dial', { callerId => '+15559990045', timeout => '30', action => "operator?callback=$c5{CallSid}",
                              method => 'POST' },
                    Number('+15554440006', url => 'https://cc.example.com/cb2/callback-answer', method => 'POST') ]),
         'an idle operator of cbq2 is');
# MiniCCCallbackAttempts 2 there
post("/cb2/operator?callback=$c5{CallSid}", [CallSid => $G, From => '+15550044007', DialCallStatus => 'busy']);
$minute_later->($c5{CallSid});
post('/cb2/operator', [CallSid => $G, From => '+15550044007', DialCallStatus => 'no-answer']);
post("/cb2/operator?callback=$c5{CallSid}", [CallSid => $G, From => '+15550044007', DialCallStatus => 'busy']);
is(join(' ', map { $_ // 'NULL' } @{ $row->($c5{CallSid}) }{qw(Status Attempts)}), 'failed 2',
   'MiniCCCallbackAttempts 2: failed after the second');

# ---- the report ---------------------------------------------------------------------------------------------
# This file's call-backs, known by hand: c1, c3, c4 completed; c2 (three
# attempts) and c5 (cbq2, two) failed; the others deleted or never recorded.
# The completed ones' claims are set 30, 60 and 90 s after the asking: the
# mean time to call back is 60 s.
db_do('UPDATE callbacks SET Claimed = `Time` + INTERVAL ? SECOND WHERE CallSid = ?', @$_)
    for [30, $c1{CallSid}], [60, $c3{CallSid}], [90, $c4{CallSid}];
my $json = JSON::PP::decode_json(GET('/cb-report?format=json')->content);
my $cb = $json->{callbacks} // {};
is(join(' ', map { $_ // 'none' } @$cb{qw(requested completed failed pending)}), '5 3 2 0',
   "the report's callbacks: 5 asked for, 3 completed, 2 failed, none in line");
is(defined $cb->{mean_seconds} ? sprintf('%.1f', $cb->{mean_seconds}) : 'none', '60.0',
   '... and the mean time to call back: (30 + 60 + 90) / 3 s');
is(scalar @{ $json->{callback_list} // [] }, 2, '... and the list: the 2 not completed');
my %list = map { $_->{from} => $_ } @{ $json->{callback_list} // [] };
is(join(' ', map { ($list{$_} // {})->{status} // 'none' } '+15554440003', '+15554440006', '+15554440001'),
   'failed failed none', 'callback_list: the failed ones, not the completed');
my $html = GET('/cb-report')->content;
like($html, qr{<table id="callback_list">.*<a href="tel:(?:%2b|\+)15554440003">\+15554440003</a>}is, 'the HTML list: a tel: link to call');
like($html, qr{id="callbacks_requested"}, '... and a tile of the requests');
my $csv = GET('/cb-report?format=csv&table=callbacks');
ok($csv->code == 200 && $csv->content =~ /\Afrom,time,status,attempts,outcome\r\n/ && $csv->content =~ /"'\+15554440003",[^\r]*,failed,3,canceled\r\n/,
   'CSV table=callbacks') or diag($csv->content);
is(($json->{abandoned} // -1) - $abandoned_before, 0, 'a caller who asked for a call-back (and left) is not an abandoned call');
