# Operators' states (doc/contract.txt 13): the loop with * to the menu, the
# wrap-up (ended by # and by its time), breaks with and without reasons,
# log-out, a wrong key, the PIN's three tries, the status callback that
# ends an operator's call, and the rows: operator_sessions' state and
# operator_states, one row per state entered, each ended when the next
# began, also when rows reach the database late (the spool's replay).
# Real Apache, module and MariaDB; TwiML parsed.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use File::Temp qw(tempdir);
use MiniCCTest;
use MiniCCSpoolTest;
use JSON::PP ();
use Apache::TestRequest ();
use LWP::UserAgent ();
use POSIX ();

sub http_get {
    my ($srv, $path) = @_;
    return LWP::UserAgent->new(timeout => 30)->get("http://127.0.0.1:$srv->{port}$path");
}

my %MSG = (
    menu => 'Operator menu. To take callers, press 1. For a break, press 2. To log out, press 9.',
    break => 'You are on a break. To take callers again, press 1.',
    wrapup => 'Wrap-up. Press the pound key when you are ready for the next caller.',
    pin => 'Please enter your PIN, then press the pound key.',
    wrong => 'That PIN is not correct.',
    bye => 'You are logged out. Goodbye.',
);

my @bad = (
    ['MiniCCWrapUp -1', 'MiniCCWrapUp'], ['MiniCCWrapUp 3601', 'MiniCCWrapUp'], ['MiniCCWrapUp soon', 'MiniCCWrapUp'],
    ['MiniCCOperatorPIN maybe', 'MiniCCOperatorPIN'], ['MiniCCOperatorMenu 2', 'MiniCCOperatorMenu'],
    ['MiniCCBreakReasons "0 Lunch"', 'MiniCCBreakReasons'], ['MiniCCBreakReasons "1"', 'MiniCCBreakReasons'],
    ['MiniCCBreakReasons "1Lunch"', 'MiniCCBreakReasons'], ['MiniCCBreakReasons "# Lunch"', 'MiniCCBreakReasons'],
    ['MiniCCBreakReasons "1 Lunch" "1 Coffee"', 'MiniCCBreakReasons'],
    ['MiniCCBreakReasons "1 ' . ('x' x 65) . '"', 'MiniCCBreakReasons'],
    ['MiniCCMessage on-breaks "x"', 'MiniCCMessage'],
);

# twiml_ok: 4 tests each
plan tests => @bad * 2 + 4 * 36 + 44;

my $tmp = tempdir('minicc-states-XXXXXX', TMPDIR => 1, CLEANUP => 1);
configtest_rejects($tmp, \@bad);

db_wait_up();
my ($op1, $op2, $op3, $op4) = ('+15557770001', '+15557770002', '+15557770003', '+15557770004');
my $hash = `htpasswd -nbB x 4711`;
$hash =~ s/\s+\z/\n/;   # as pasted, with a line end: the module trims it
$hash =~ s/\Ax://;
db_do('DELETE FROM operators WHERE telnum IN (?, ?, ?, ?)', $op1, $op2, $op3, $op4);
db_do('INSERT INTO operators (telnum, PIN) VALUES (?, NULL), (?, NULL), (?, ?), (?, NULL)',
      $op1, $op2, $op3, $hash, $op4);
callers_changed();

# what a call's rows say: its state now, and its states in order
sub session { dbh()->selectrow_hashref('SELECT State, Reason FROM operator_sessions WHERE CallSid = ?', undef, $_[0]) // {} }
sub states {
    my ($cs) = @_;
    my $rows = dbh()->selectall_arrayref('SELECT State, Reason, Began, Ended FROM operator_states WHERE CallSid = ? '
                                         . 'ORDER BY Began', undef, $cs);
    return join ' ', map { $_->[0] . ($_->[1] ? "($_->[1])" : '') } @$rows;
}
# every state ended where the next began, the last one open
sub chained {
    my ($cs) = @_;
    my $rows = dbh()->selectall_arrayref('SELECT Began, Ended FROM operator_states WHERE CallSid = ? ORDER BY Began',
                                         undef, $cs);
    for my $i (0 .. $#$rows) {
        my $want = $i < $#$rows ? $rows->[$i + 1][0] : undef;
        return 0 unless ($rows->[$i][1] // 'open') eq ($want // 'open');
    }
    return @$rows > 0;
}

my $dial = sub {
    my ($where, $q) = @_;
    [ 'Dial', { hangupOnStar => 'true', action => 'operator?after=dial', method => 'POST' },
      Queue($q, url => 'guidance', method => 'POST') ];
};
my $loop = Response(Say(DEFAULT_MSG('operator')), $dial->('states', 'stq'), Redirect('operator', method => 'POST'));
sub gather { my ($action, $timeout, @k) = @_; Gather({ numDigits => '1', timeout => $timeout, action => $action, method => 'POST' }, @k) }
my $menu = Response(gather('operator?menu=main', '10', Say($MSG{menu})), Redirect('operator?menu=main', method => 'POST'));
my $reasons = Response(gather('operator?menu=reason', '10', Say('For Lunch, press 1.'), Say('For Training, press 2.')),
                       Redirect('operator?menu=reason', method => 'POST'));
my $lunch = Response(gather('operator?menu=break&reason=1', '30', Say($MSG{break})),
                     Redirect('operator?menu=break&reason=1', method => 'POST'));
my $wrapup = Response(gather('operator?menu=wrapup', '20', Say($MSG{wrapup})),
                      Redirect('operator?menu=wrapup', method => 'POST'));
my $goodbye = Response(Say($MSG{bye}), Hangup());

# ---- a shift at /states: wrap-up 20 s, breaks for lunch and training ------------------
my $a = sid();
my @a = (CallSid => $a, From => $op1, To => '+15559990050');
my $bridged = sub { (DialCallStatus => 'completed', DialBridged => 'true', DialCallDuration => $_[0]) };

twiml_ok(post('/states/operator', [@a]), $loop,
         'the loop: * ends the Dial (hangupOnStar), which comes back after=dial');
is(states($a), 'ready', 'logged in: ready, one operator_states row');
twiml_ok(post('/states/guidance', [CallSid => sid(), From => '+15551110001', DequeingCallSid => $a, QueueTime => 7]),
         Response(Say(DEFAULT_MSG('guidance'))), 'a caller is put through');
is(session($a)->{State}, 'talking', 'the guidance request: talking');
twiml_ok(post('/states/operator?after=dial', [@a, $bridged->(65)]), $wrapup,
         'the conversation ended: the wrap-up, MiniCCWrapUp seconds for a key');
twiml_ok(post('/states/operator?menu=wrapup', [@a, Digits => '#']), $loop, '# in the wrap-up: ready at once');
is(states($a), 'ready talking wrap-up ready', 'ready, talking, wrap-up, ready');

post('/states/guidance', [CallSid => sid(), From => '+15551110002', DequeingCallSid => $a, QueueTime => 3]);
post('/states/operator?after=dial', [@a, $bridged->(40)]);
twiml_ok(post('/states/operator?menu=wrapup', [@a]), $loop,
         'the wrap-up\'s time over (the Redirect after its Gather, no Digits): ready');
twiml_ok(post('/states/operator?after=dial', [@a, DialCallStatus => 'no-answer', DialBridged => 'false']), $loop,
         'an idle Dial\'s timeout: the loop again');
is(states($a), 'ready talking wrap-up ready talking wrap-up ready', '... still ready: no row for the idle timeout');

twiml_ok(post('/states/operator?after=dial', [@a, DialCallStatus => 'completed', DialBridged => 'false']), $menu,
         '* while no caller was put through: the menu');
twiml_ok(post('/states/operator?menu=main', [@a, Digits => '7']), $menu, 'a wrong key: the menu again');
twiml_ok(post('/states/operator?menu=main', [@a, Digits => '2']), $reasons, '2: the break\'s reasons, each with its key');
twiml_ok(post('/states/operator?menu=reason', [@a, Digits => '5']), $reasons, 'a key without a reason: the reasons again');
twiml_ok(post('/states/operator?menu=reason', [@a, Digits => '1']), $lunch, '1: on a break for lunch');
is(join(' ', map { $_ // 'NULL' } @{ session($a) }{qw(State Reason)}), 'break Lunch', '... break, reason Lunch');
twiml_ok(post('/states/operator?menu=break&reason=1', [@a]), $lunch, 'the break goes on (its Redirect, no key)');
twiml_ok(post('/states/operator?menu=break&reason=1', [@a, Digits => '2']), $lunch, '... and with any key but 1 and 9');
twiml_ok(post('/states/operator?menu=break&reason=1', [@a, Digits => '1']), $loop, '1: ready again');
twiml_ok(post('/states/operator?after=dial', [@a, DialCallStatus => 'completed', DialBridged => 'false']), $menu,
         '* again: the menu');
twiml_ok(post('/states/operator?menu=main', [@a]), $loop, 'no key in the menu: back to the callers');
post('/states/operator?after=dial', [@a, DialCallStatus => 'completed', DialBridged => 'false']);
twiml_ok(post('/states/operator?menu=main', [@a, Digits => '9']), $goodbye, '9: logged out, goodbye and Hangup');
is(states($a), 'ready talking wrap-up ready talking wrap-up ready break(Lunch) ready offline',
   'the shift in operator_states: one row per state entered');
ok(chained($a), '... each ended when the next began; offline open');

# The status callback of an operator's call ends it; a customer's does not
# make an operator session.
{
    my $b = sid();
    post('/states/operator', [CallSid => $b, From => $op2]);
    twiml_ok(post('/states/status', [CallSid => $b, From => $op2, CallStatus => 'completed', CallDuration => 300]),
             Response(), 'the status callback of an operator\'s call');
    is(states($b), 'ready offline', '... offline from then on');
    my $c = sid();
    post('/states/status', [CallSid => $c, From => '+15551110009', CallStatus => 'completed', CallDuration => 30]);
    is(db_count('operator_sessions', $c), 0, 'a customer\'s call: no operator session');
}

# ---- the live view and the metrics: each operator's state, the same on two servers ------
my ($op5, $op6, $op7) = ('+15557770005', '+15557770006', '+15557770007');
db_do('INSERT IGNORE INTO operators (telnum) VALUES (?), (?), (?)', $op5, $op6, $op7);
callers_changed();
my ($c5, $c6, $c7) = (sid(), sid(), sid());
post('/states/operator', [CallSid => $c5, From => $op5]);
post('/states/operator', [CallSid => $c6, From => $op6]);
post('/states/guidance', [CallSid => sid(), DequeingCallSid => $c6, QueueTime => 4]);
post('/states/operator', [CallSid => $c7, From => $op7]);
post('/states/operator?menu=reason', [CallSid => $c7, From => $op7, Digits => '2']);
sub live_ops {
    my ($get) = @_;
    my $res = $get->('/minicc/live?format=json');
    my $j = $res && $res->code == 200 ? eval { JSON::PP::decode_json($res->content) } : undef;
    my %by = map { $_->{operator} => $_ } grep { $_->{operator} =~ /\A\+1555777000[567]\z/ } @{ $j->{operators} || [] };
    return ($j, join ' ', map { my $o = $by{$_}; $o ? "$o->{state}/" . ($o->{reason} // '-') . "/$o->{queue}" : 'none' }
                           $op5, $op6, $op7);
}
{
    my ($j, $seen) = live_ops(sub { Apache::TestRequest::GET($_[0]) });
    is($seen, 'ready/-/stq talking/-/stq break/Training/stq',
       'the live view: each operator, their state, reason and queue');
    my @since = grep { !defined $_->{since_seconds} || $_->{since_seconds} !~ /\A\d+\z/ || $_->{since_seconds} > 60 }
                grep { $_->{operator} =~ /\A\+1555777000[567]\z/ } @{ $j->{operators} || [] };
    ok(!@since, '... and the whole seconds in it');
    ok($j && $j->{operators_ready} >= 1 && $j->{operators_talking} >= 1 && $j->{operators_on_break} >= 1
       && defined $j->{operators_wrapup} && $j->{operators_online} == @{ $j->{operators} },
       'operators_ready, _talking, _on_break, _wrapup beside operators_online (the list\'s length)');
    my $m = Apache::TestRequest::GET('/minicc/metrics')->content;
    my %g = $m =~ /^minicc_operators\{state="([\w-]+)"\} (\d+)$/mg;
    ok($m =~ /^# TYPE minicc_operators gauge$/m && keys(%g) == 4 && $g{ready} == $j->{operators_ready}
       && $g{break} == $j->{operators_on_break} && $g{'wrap-up'} == $j->{operators_wrapup},
       'minicc_operators{state} for ready, talking, wrap-up and break, as the live view counts them')
        or diag($m =~ /^(minicc_operators.*)$/mg);
}

# ---- a day of two operators: the report's figures, computed by hand --------------------
# /shift/HHMM answers at 2026-11-02 HH:MM UTC (t/conf/extra.conf.in).
{
    my ($op8, $op9) = ('+15557770008', '+15557770009');
    db_do('INSERT IGNORE INTO operators (telnum) VALUES (?), (?)', $op8, $op9);
    callers_changed();
    my ($ca, $cb) = (sid(), sid());
    my $at = sub { my ($t, $h, $call, $op, @p) = @_; post("/shift/$t/$h", [CallSid => $call, From => $op, @p]) };
    my @idle_star = (DialCallStatus => 'completed', DialBridged => 'false');
    # operator 8: 10:00 ready, 10:10-10:15 talking, 1 min wrap-up ended by #,
    # 10:31-11:31 lunch, 11:40-11:50 talking, 2 min wrap-up to its end,
    # 12:00 the call ends
    $at->('1000', 'operator', $ca, $op8);
    post('/shift/1010/guidance', [CallSid => sid(), DequeingCallSid => $ca, QueueTime => 5]);
    $at->('1015', 'operator?after=dial', $ca, $op8, $bridged->(300));
    $at->('1016', 'operator?menu=wrapup', $ca, $op8, Digits => '#');
    $at->('1030', 'operator?after=dial', $ca, $op8, @idle_star);
    $at->('1030', 'operator?menu=main', $ca, $op8, Digits => '2');
    $at->('1031', 'operator?menu=reason', $ca, $op8, Digits => '1');
    $at->('1131', 'operator?menu=break&reason=1', $ca, $op8, Digits => '1');
    post('/shift/1140/guidance', [CallSid => sid(), DequeingCallSid => $ca, QueueTime => 9]);
    $at->('1150', 'operator?after=dial', $ca, $op8, $bridged->(600));
    $at->('1152', 'operator?menu=wrapup', $ca, $op8);
    $at->('1200', 'status', $ca, $op8, CallStatus => 'completed', CallDuration => 7200);
    # operator 9: 10:00 ready, 10:05-10:35 training, 10:40-11:00 talking,
    # 1 min wrap-up, 11:30 the call ends
    $at->('1000', 'operator', $cb, $op9);
    $at->('1005', 'operator?after=dial', $cb, $op9, @idle_star);
    $at->('1005', 'operator?menu=main', $cb, $op9, Digits => '2');
    $at->('1005', 'operator?menu=reason', $cb, $op9, Digits => '2');
    $at->('1035', 'operator?menu=break&reason=2', $cb, $op9, Digits => '1');
    post('/shift/1040/guidance', [CallSid => sid(), DequeingCallSid => $cb, QueueTime => 12]);
    $at->('1100', 'operator?after=dial', $cb, $op9, $bridged->(1200));
    $at->('1101', 'operator?menu=wrapup', $cb, $op9, Digits => '#');
    $at->('1130', 'status', $cb, $op9, CallStatus => 'completed', CallDuration => 5400);
    is(states($ca) . ' | ' . states($cb),
       'ready talking wrap-up ready break(Lunch) ready talking wrap-up ready offline | '
       . 'ready break(Training) ready talking wrap-up ready offline', 'the two shifts in operator_states');

    my %want = (
        $op8 => { telnum => $op8, answered => 2, talk_seconds => 900, wrapup_seconds => 180, break_seconds => 3600,
                  breaks => [ { reason => 'Lunch', breaks => 1, seconds => 3600 } ],
                  logged_in_seconds => 7200, handle_seconds => 540, occupancy => 0.2632 },
        $op9 => { telnum => $op9, answered => 1, talk_seconds => 1200, wrapup_seconds => 60, break_seconds => 1800,
                  breaks => [ { reason => 'Training', breaks => 1, seconds => 1800 } ],
                  logged_in_seconds => 5400, handle_seconds => 1260, occupancy => 0.339 },
    );
    my @range = (from => '2026-11-01', to => '2026-11-03');
    my $res = Apache::TestRequest::GET('/minicc/report?' . join '&', map { "$range[$_*2]=$range[$_*2+1]" } 0 .. 1);
    my $html = $res->content;
    my $j = eval { JSON::PP::decode_json(Apache::TestRequest::GET('/minicc/report?format=json&from=2026-11-01&to=2026-11-03')->content) };
    my %got = map { $_->{telnum} => { %$_, handle_seconds => 0 + $_->{handle_seconds}, occupancy => 0 + $_->{occupancy} } }
              grep { $_->{telnum} eq $op8 || $_->{telnum} eq $op9 } @{ $j->{operators} || [] };
    is_deeply(\%got, \%want, 'JSON operators: pick-ups, talk, wrap-up, breaks by reason, logged in, handle time, occupancy')
        or diag(explain(\%got));
    my $csv = Apache::TestRequest::GET('/minicc/report?format=csv&table=operators&from=2026-11-01&to=2026-11-03')->content;
    my ($line8) = $csv =~ /^(\Q"'$op8"\E,[^\r]*)\r$/m;
    is($line8, qq{"'$op8",2,900,180,3600,1,7200,540.0,0.2632}, 'CSV table=operators: the same figures');
    my $brk = Apache::TestRequest::GET('/minicc/report?format=csv&table=breaks&from=2026-11-01&to=2026-11-03')->content;
    ok($brk =~ /\Atelnum,reason,breaks,seconds\r\n/ && $brk =~ /^\Q"'$op9"\E,Training,1,1800\r$/m,
       'CSV table=breaks: a row per operator and reason') or diag($brk);
    my ($table) = $html =~ m{(<table id="operators">.*?</table>)}s;
    my $row8 = "<tr><td>$op8</td>" . join('', map { qq{<td class="n">$_</td>} }
                                          2, '900 s', '180 s', '3600 s', 1, '7200 s', '540.0 s', '26.3%') . '</tr>';
    ok(defined $table && index($table, $row8) >= 0,
       'the HTML table of operators: the same figures') or diag($html =~ m{(<table id="operators">.*?</table>)}s);
}

# ---- /menu: the menu without a wrap-up or reasons -----------------------------------
{
    my $m = sid();
    my @m = (CallSid => $m, From => $op2);
    my $mloop = Response(Say(DEFAULT_MSG('operator')), $dial->('menu', 'mnq'), Redirect('operator', method => 'POST'));
    twiml_ok(post('/menu/operator', [@m]), $mloop, 'MiniCCOperatorMenu On: the loop with hangupOnStar');
    post('/menu/guidance', [CallSid => sid(), DequeingCallSid => $m, QueueTime => 1]);
    twiml_ok(post('/menu/operator?after=dial', [@m, $bridged->(30)]),
             Response(gather('operator?menu=main', '3', Say($MSG{menu})), Redirect('operator?menu=main', method => 'POST')),
             'a conversation ended without a wrap-up: the menu for 3 s');
    twiml_ok(post('/menu/operator?menu=main', [@m, Digits => '2']),
             Response(gather('operator?menu=break&reason=', '30', Say($MSG{break})),
                      Redirect('operator?menu=break&reason=', method => 'POST')),
             '2 without reasons: on a break at once');
    is(states($m), 'ready talking wrap-up break', 'ready, talking, wrap-up (the menu after the call), break without a reason');
    twiml_ok(post('/menu/operator?menu=break&reason=', [@m, Digits => '9']), $goodbye, '9 on a break: logged out');
}

# ---- call-backs are claimed by a ready operator only ------------------------------------
{
    db_do("DELETE FROM callbacks WHERE Queue = 'stcbq'");
    my $k = sid();
    post('/stcb/callback', [CallSid => $k, From => '+15552220001', To => '+15559990050', Digits => '1', QueueTime => 300]);
    callers_changed();
    my $op = sid();
    my @op = (CallSid => $op, From => $op1);
    post('/stcb/operator', [@op]);
    post('/stcb/guidance', [CallSid => sid(), DequeingCallSid => $op, QueueTime => 5]);
    twiml_ok(post('/stcb/operator?after=dial', [@op, $bridged->(50)]),
             Response(gather('operator?menu=wrapup', '10', Say($MSG{wrapup})),
                      Redirect('operator?menu=wrapup', method => 'POST')),
             'with a call-back due, an operator whose conversation ended is in wrap-up');
    is(scalar dbh()->selectrow_array('SELECT Status FROM callbacks WHERE CallSid = ?', undef, $k), 'pending',
       '... and the call-back is not claimed');
    twiml_ok(post('/stcb/operator?menu=wrapup', [@op, Digits => '#']),
             Response(Say('Calling back a customer who asked for a call-back.'),
                      [ 'Dial', { callerId => '+15559990050', timeout => '30', action => "operator?after=dial&callback=$k",
                                  method => 'POST' },
                        [ 'Number', { url => 'callback-answer', method => 'POST' }, '+15552220001' ] ]),
             'ready (#): the call-back is claimed and dialled; its outcome comes back after=dial');
    is(join(' ', map { $_ // 'NULL' } dbh()->selectrow_array('SELECT Status, Operator FROM callbacks WHERE CallSid = ?', undef, $k)),
       "dialling $op", '... by this operator');
    is(session($op)->{State}, 'talking', '... who is talking (dialling a call-back)');
}

# ---- /pin: MiniCCOperatorPIN ----------------------------------------------------------
{
    my $p = sid();
    my @p = (CallSid => $p, From => $op3);
    my $ask = sub { my ($n, @before) = @_;
                    Response(@before, Gather({ finishOnKey => '#', timeout => '10', action => "operator?pin=$n", method => 'POST' },
                                             Say($MSG{pin})),
                             Redirect("operator?pin=$n", method => 'POST')) };
    twiml_ok(post('/pin/incoming', [@p]), Response(Redirect('operator', method => 'POST')),
             'an operator calls in: to the loop, as before');
    twiml_ok(post('/pin/operator', [@p]), $ask->(0), 'the loop without the PIN: the PIN is asked for');
    twiml_ok(post('/pin/operator?pin=0', [@p, Digits => '1234']), $ask->(1, Say($MSG{wrong})), 'a wrong PIN: asked again');
    my $mark = error_log_size();
    twiml_ok(post('/pin/operator?pin=1', [@p, Digits => '4711']),
             Response(Say(DEFAULT_MSG('operator')),
                      [ 'Dial', {}, Queue('pnq', url => 'guidance', method => 'POST') ],
                      Redirect('operator?verified=1', method => 'POST')),
             'the right PIN: the loop, whose URLs say the PIN was keyed');
    is(session($p)->{State}, 'ready', '... ready');
    twiml_ok(post('/pin/operator?verified=1', [@p]),
             Response(Say(DEFAULT_MSG('operator')),
                      [ 'Dial', {}, Queue('pnq', url => 'guidance', method => 'POST') ],
                      Redirect('operator?verified=1', method => 'POST')),
             'the loop after the PIN: no PIN again');

    my $q = sid();
    my @q = (CallSid => $q, From => $op3);
    post('/pin/operator?pin=0', [@q, Digits => '1111']);
    post('/pin/operator?pin=1', [@q]);
    twiml_ok(post('/pin/operator?pin=2', [@q, Digits => '2222']), Response(Say($MSG{wrong}), Hangup()),
             'the third wrong PIN (a missing one counts): a message and Hangup');
    my $log = join '', error_log_since($mark);
    ok($log =~ /AH30907.*3 wrong PINs from caller ID \Q$op3\E/ && $log !~ /1111|2222|1234|4711/,
       'one log line with the caller ID, never the digits') or diag($log);
    is(db_count('operator_sessions', $q), 0, '... and the call never became an operator session');

    my $n = sid();
    $mark = error_log_size();
    post('/pin/operator', [CallSid => $n, From => $op4]);
    twiml_ok(post('/pin/operator?pin=0', [CallSid => $n, From => $op4, Digits => '4711']),
             Response(Say(DEFAULT_MSG('trouble')), Hangup()), 'an operator without a PIN: refused');
    ok(join('', error_log_since($mark)) =~ /AH30906.*\Q$op4\E has no PIN.*htpasswd -nbB/,
       '... and the log says what the administrator must do');
}

# ---- a whole shift: a PIN, calls, a wrap-up, lunch, log-out; the live view and the report --
{
    my $op = '+15557770010';
    db_do('INSERT INTO operators (telnum, PIN) VALUES (?, ?) ON DUPLICATE KEY UPDATE PIN = VALUES(PIN)', $op, $hash);
    callers_changed();
    my $f = sid();
    my @f = (CallSid => $f, From => $op);
    my $v = 'operator?verified=1';
    my $live = sub {
        my $j = eval { JSON::PP::decode_json(Apache::TestRequest::GET('/minicc/live?format=json')->content) } || {};
        my ($o) = grep { $_->{operator} eq $op } @{ $j->{operators} || [] };
        return $o ? "$o->{state}" . ($o->{reason} ? "($o->{reason})" : '') . "/$o->{queue}" : 'not on the line';
    };
    my @seen;
    twiml_ok(post('/fullshift/incoming', [@f]), Response(Redirect('operator', method => 'POST')), 'shift: the operator calls in');
    post('/fullshift/operator', [@f]);
    twiml_ok(post('/fullshift/operator?pin=0', [@f, Digits => '4711']),
             Response(Say(DEFAULT_MSG('operator')),
                      [ 'Dial', { hangupOnStar => 'true', action => "$v&after=dial", method => 'POST' },
                        Queue('fsq', url => 'guidance', method => 'POST') ],
                      Redirect($v, method => 'POST')),
             'shift: the PIN, then the loop whose every URL says so');
    push @seen, $live->();
    post('/fullshift/guidance', [CallSid => sid(), DequeingCallSid => $f, QueueTime => 6]);
    push @seen, $live->();
    twiml_ok(post("/fullshift/$v&after=dial", [@f, $bridged->(45)]),
             Response(gather("$v&menu=wrapup", '15', Say($MSG{wrapup})), Redirect("$v&menu=wrapup", method => 'POST')),
             'shift: the call ended: the wrap-up');
    push @seen, $live->();
    post("/fullshift/$v&menu=wrapup", [@f, Digits => '#']);
    post("/fullshift/$v&after=dial", [@f, DialCallStatus => 'completed', DialBridged => 'false']);
    post("/fullshift/$v&menu=main", [@f, Digits => '2']);
    post("/fullshift/$v&menu=reason", [@f, Digits => '1']);
    push @seen, $live->();
    post("/fullshift/$v&menu=break&reason=1", [@f, Digits => '1']);
    post("/fullshift/$v&after=dial", [@f, DialCallStatus => 'completed', DialBridged => 'false']);
    twiml_ok(post("/fullshift/$v&menu=main", [@f, Digits => '9']), $goodbye, 'shift: logged out');
    push @seen, $live->();
    is(join(' ', @seen), 'ready/fsq talking/fsq wrap-up/fsq break(Lunch)/fsq not on the line',
       'shift: the live view followed it');
    is(states($f), 'ready talking wrap-up ready break(Lunch) ready offline', 'shift: its states');
    my $today = POSIX::strftime('%Y-%m-%d', localtime);
    my $j = eval { JSON::PP::decode_json(Apache::TestRequest::GET("/minicc/report?format=json&from=$today&to=$today")->content) } || {};
    my ($o) = grep { $_->{telnum} eq $op } @{ $j->{operators} || [] };
    ok($o && $o->{answered} == 1 && @{ $o->{breaks} } == 1 && $o->{breaks}[0]{reason} eq 'Lunch'
       && $o->{breaks}[0]{breaks} == 1 && $o->{logged_in_seconds} >= $o->{talk_seconds} + $o->{break_seconds},
       'shift: the report has the operator, one pick-up, one lunch break') or diag(explain($o));
}

# ---- rows that reach the database late: operator_states in their places -----------------
{
    my $l = sid();
    # the current state first (written live), then two older ones (the
    # spool's replay, behind it)
    my $ins = 'INSERT INTO operator_sessions (CallSid, telnum, Started, State, Reason, Since, LastSeen) '
            . 'VALUES (?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE telnum = COALESCE(VALUES(telnum), telnum), '
            . 'Started = LEAST(Started, VALUES(Started)), State = VALUES(State), Reason = VALUES(Reason), '
            . 'Since = VALUES(Since), LastSeen = GREATEST(LastSeen, VALUES(LastSeen))';
    db_do($ins, $l, $op1, '2026-01-05 10:00:00', 'ready', undef, '2026-01-05 10:00:00', '2026-01-05 10:00:00');
    db_do($ins, $l, $op1, '2026-01-05 10:30:00', 'break', 'Lunch', '2026-01-05 10:30:00', '2026-01-05 10:30:00');
    db_do($ins, $l, undef, '2026-01-05 10:10:00', 'talking', undef, '2026-01-05 10:10:00', '2026-01-05 10:10:00');
    db_do($ins, $l, $op1, '2026-01-05 10:20:00', 'wrap-up', undef, '2026-01-05 10:20:00', '2026-01-05 10:20:00');
    is(states($l), 'ready talking wrap-up break(Lunch)', 'states replayed late take their places');
    ok(chained($l), '... each ended where the next began');
    is(join(' ', map { $_ // 'NULL' } @{ session($l) }{qw(State Reason)}), 'break Lunch',
       '... and the call\'s state now is still the latest');
    is(scalar dbh()->selectrow_array('SELECT COUNT(*) FROM operator_states WHERE CallSid = ? AND telnum = ?', undef, $l, $op1), 4,
       '... every row names the operator');
}

# ---- across an outage: rows spooled, then written in order -----------------------------
# MiniCCSpool is server-wide: a server of its own (t/lib/MiniCCSpoolTest.pm).
{
    my $srv = httpd_start(name => 'states', mpm => 'event',
                          extra => "<Location /minicc>\n    MiniCCWrapUp 20\n</Location>\n"
                                   . "<Location /minicc/live>\n    SetHandler minicc-live\n</Location>\n");
    ok($srv, 'a server with a spool and MiniCCWrapUp 20');
    my (undef, $here) = live_ops(sub { Apache::TestRequest::GET($_[0]) });
    my (undef, $there) = $srv ? live_ops(sub { http_get($srv, $_[0]) }) : (undef, 'no server');
    is($there, $here, 'another server\'s live view: the same operators in the same states');
    my $o = sid();
    my @o = (CallSid => $o, From => $op2);
    http_post($srv, '/minicc/operator', [@o]) if $srv;
    ok(poll(sub { states($o) eq 'ready' }, 10, 0.1) && mariadb_private('stop'),
       'ready written; the database stops');
    my $res = $srv ? http_post($srv, '/minicc/guidance', [CallSid => sid(), DequeingCallSid => $o, QueueTime => 2]) : undef;
    $res = http_post($srv, '/minicc/operator?after=dial', [@o, $bridged->(20)]) if $srv;
    twiml_ok($res, $wrapup, 'the database down: the wrap-up all the same');
    http_post($srv, '/minicc/operator?menu=wrapup', [@o, Digits => '#']) if $srv;
    ok(mariadb_private('start'), 'the database is back');
    my $got = '';
    poll(sub { $got = states($o); $got eq 'ready talking wrap-up ready' }, 60, 0.5);
    is($got, 'ready talking wrap-up ready', 'the spool written: every state, in order');
    ok(chained($o), '... each ended when the next began');
    httpd_stop($srv) if $srv;
}

# ---- sql/minicc.sql on a database made before the states: they are added --------------
{
    my $sessions = scalar dbh()->selectrow_array('SELECT COUNT(*) FROM operator_sessions');
    ok(defined root_sql('ALTER TABLE minicc.operators DROP COLUMN PIN; '
                        . 'ALTER TABLE minicc.operator_sessions DROP COLUMN State, DROP COLUMN Reason, '
                        . 'DROP COLUMN Since, DROP COLUMN Queue; DROP TABLE minicc.operator_states'),
       'a database as the version before the states left it');
    my $schema = top_dir() . '/sql/minicc.sql';
    my $run = sub { system("'" . top_dir() . "/scripts/mariadb-private' sql '$ENV{MINICC_TEST_DB_DIR}' < '$schema'") == 0 };
    ok($run->() && $run->(), 'sql/minicc.sql runs on it, and again');
    my %cols = map { $_->[0] => 1 } @{ dbh()->selectall_arrayref(
        q{SELECT CONCAT(TABLE_NAME, '.', COLUMN_NAME) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'minicc'
          AND TABLE_NAME IN ('operators', 'operator_sessions', 'operator_states')}) };
    is(join(' ', grep { !$cols{$_} } qw(operators.PIN operator_sessions.State operator_sessions.Reason
                                         operator_sessions.Since operator_sessions.Queue operator_states.Ended)),
       '', 'operators.PIN, operator_sessions\' state and operator_states are there');
    is(scalar dbh()->selectrow_array('SELECT COUNT(*) FROM operator_sessions'), $sessions, '... and every session row kept');
    callers_changed();
    my $u = sid();
    post('/states/operator', [CallSid => $u, From => $op1]);
    is(states($u), 'ready', 'the states are recorded again');
}
