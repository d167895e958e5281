# Opening hours and holidays (doc/contract.txt, 7): MiniCCHours and the
# holidays table decide whether a customer's first request is let in;
# operators are let in at any hour; a call turned away is recorded in
# turned_away.  The moment is set per <Location> by MiniCCTestTime (a
# directive for tests only), the rest is real: Apache, the module, MariaDB.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use File::Temp qw(tempdir);
use MiniCCTest;
use MiniCCSpoolTest ();
use Time::HiRes qw(time);

# [lines inside <Location>, what the message must say]
my @bad = (
    ['MiniCCHours "Mon-Fir 09:00-17:00"', qr/MiniCCHours 'Mon-Fir 09:00-17:00': 'Fir' is not a day/],
    ['MiniCCHours "Mon 25:00-26:00"',     qr/MiniCCHours 'Mon 25:00-26:00': '25:00' is not a time/],
    ['MiniCCHours "Mon 09:00-24:01"',     qr/'24:01' is not a time/],
    ['MiniCCHours "Mon 09:60-10:00"',     qr/'09:60' is not a time/],
    ['MiniCCHours "Mon 17:00-09:00"',     qr/MiniCCHours 'Mon 17:00-09:00': the range ends before it starts/],
    ['MiniCCHours "Mon 09:00-09:00"',     qr/ends before it starts/],
    ['MiniCCHours ""',                    qr/MiniCCHours requires at least one argument/],
    ['MiniCCHours "Mon"',                 qr/MiniCCHours 'Mon': expected days and a time range/],
    ['MiniCCHours "09:00-17:00"',         qr/expected days and a time range|is not a day/],
    ['MiniCCTestTime "2026-13-01 00:00:00"', qr/MiniCCTestTime: '2026-13-01 00:00:00' is not a local time/],
    # MiniCCTestClock: a moment in UTC, the Z said
    ['MiniCCTestClock "2027-10-31 00:30:00"', qr/MiniCCTestClock: '2027-10-31 00:30:00' is not a moment in UTC/],
    ['MiniCCTestClock "2027-10-31 24:30:00Z"', qr/MiniCCTestClock: '2027-10-31 24:30:00Z' is not a moment in UTC/],
    ['MiniCCTestClock "2027-10-31T00:30:00Z"', qr/is not a moment in UTC as YYYY-MM-DD HH:MM:SS\[\.ffffff\]Z/],
);
my @open = (
    ['/hours/mon-0900', 'Monday 09:00:00, the first minute'],
    ['/hours/wed-1000', 'Wednesday 10:00'],
    ['/hours/fri-1659', 'Friday 16:59:59, the last second'],
    ['/hours/sat-1000', 'Saturday 10:00, its own range'],
    ['/allday/sun-2359', 'Sunday 23:59:59 in 00:00-24:00'],
    ['/nohours/wed-1000', 'no MiniCCHours'],
);
my @closed = (
    ['/hours/mon-0859', 'Monday 08:59:59, a second early'],
    ['/hours/fri-1700', 'Friday 17:00:00, the end'],
    ['/hours/sat-1300', 'Saturday 13:00, the end of its range'],
    ['/allday/mon-0000', 'Monday 00:00, after a day to 24:00'],
);

# twiml_ok is 4 tests: status, Content-Type, declaration, TwiML
plan tests => @bad * 2 + 2 + 4 * (@open + @closed + 1 + 3 + 5 + 2) + @closed + 3 + 2;

# ---- configtest -------------------------------------------------------------
my $tmp = tempdir('minicc-hours-XXXXXX', TMPDIR => 1, CLEANUP => 1);
for my $case (@bad) {
    my ($line, $says) = @$case;
    my ($rc, $out) = configtest_location($tmp, "    $line");
    isnt($rc, 0, "'$line': configtest fails") or diag($out);
    like($out, $says, "'$line': the message says what is wrong") or diag($out);
}
my ($rc, $out) = configtest_location($tmp, qq{    MiniCCHours "Mon,Wed,Fri 09:00-17:00" "Sat-Sun 10:00-12:00" "Tue 0:00-24:00"\n}
                                          . qq{    MiniCCHours "Thu 08:30-12:00"});
is($rc, 0, 'lists, ranges, 0:00-24:00 and a second MiniCCHours line: configtest passes') or diag($out);
like($out, qr/Syntax OK/, '... Syntax OK');

# ---- open and closed around the edges ------------------------------------------
db_wait_up();
my $operator = '+15550004001';
add_operator($operator);
callers_changed() if db_do("DELETE FROM holidays WHERE `Day` = '2026-12-09'") > 0;

my $welcome = Response(
    Gather({ numDigits => '1', timeout => '10', action => 'incoming', method => 'POST' },
           Say(DEFAULT_MSG('welcome'))),
    Say(DEFAULT_MSG('noinput')),
    Enqueue('support', waitUrl => 'wait', waitUrlMethod => 'POST', action => 'exit', method => 'POST'));
my $closed = Response(Say(DEFAULT_MSG('closed')), Hangup());

for my $case (@open) {
    my ($url, $what) = @$case;
    twiml_ok(post($url, [CallSid => sid(), From => '+15551234001', To => '+15559990000']),
             $welcome, "$what: open, the menu");
}
for my $case (@closed) {
    my ($url, $what) = @$case;
    my $sid = sid();
    twiml_ok(post($url, [CallSid => $sid, From => '+15551234002', To => '+15559990000']),
             $closed, "$what: closed, the closed message and a hang-up");
    my $row = db_row('turned_away', $sid) // {};
    is(join(' ', map { $_ // 'NULL' } @$row{qw(From To Reason)}), '+15551234002 +15559990000 closed',
       "$what: recorded in turned_away as closed");
}
twiml_ok(post('/hours/sun-1200', [CallSid => sid(), From => '+15551234003']),
         Response(Say('Closed on Sundays.'), Hangup()), 'Sunday: MiniCCMessage closed is said');

# operators at any hour; a call already let in goes on
twiml_ok(post('/hours/mon-0859', [CallSid => sid(), From => $operator]),
         Response(Redirect('operator', method => 'POST')), 'an operator is let in while closed');
twiml_ok(post('/hours/fri-1700', [CallSid => sid(), From => '+15551234004', Digits => '1']),
         Response(Say(DEFAULT_MSG('connecting')), Enqueue('support', waitUrl => 'wait', waitUrlMethod => 'POST',
                                                          action => 'exit', method => 'POST')),
         'a key pressed after the hours end: the call goes on (Digits=1)');
my $turned = dbh()->selectrow_array('SELECT COUNT(*) FROM turned_away WHERE `From` = ?', undef, $operator);
is($turned, 0, 'operators are never recorded as turned away');
twiml_ok(post('/hours/mon-0859', [CallSid => sid()]), $closed, 'no From at all: closed too');

# ---- holidays, added and removed while the server runs ----------------------------
twiml_ok(post('/hours/wed-1000', [CallSid => sid(), From => '+15551234005']), $welcome,
         'Wednesday 10:00, no holiday: open');
db_do("INSERT INTO holidays (`Day`, Name) VALUES ('2026-12-09', 'Test day')");
callers_changed();
my $sid = sid();
twiml_ok(post('/hours/wed-1000', [CallSid => $sid, From => '+15551234006']), $closed,
         'the same Wednesday made a holiday: closed within a second');
is((db_row('turned_away', $sid) // {})->{Reason}, 'holiday', '... recorded as holiday');
twiml_ok(post('/nohours/wed-1000', [CallSid => sid(), From => '+15551234007']), $closed,
         '... also where no MiniCCHours is set');
twiml_ok(post('/hours/wed-1000', [CallSid => sid(), From => $operator]),
         Response(Redirect('operator', method => 'POST')), '... an operator is let in on a holiday');
db_do("DELETE FROM holidays WHERE `Day` = '2026-12-09'");
callers_changed();
twiml_ok(post('/hours/wed-1000', [CallSid => sid(), From => '+15551234008']), $welcome,
         'the holiday removed: open again within a second');

# ---- the steady state: first contacts answered from the child's copy --------------
# Without the copy each would run a statement; with it, one read a second at most.
{
    my $executions = sub {
        (dbh()->selectrow_array(q{SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'}))[1];
    };
    post('/hours/wed-1000', [CallSid => sid(), From => '+15551235000']);
    my ($before, $t0, $menus) = ($executions->(), time, 0);
    for my $i (1 .. 30) {
        my $res = post('/hours/wed-1000', [CallSid => sid(), From => sprintf('+1555123%04d', 5000 + $i)]);
        $menus++ if $res->code == 200 && same(twiml($res), $welcome);
    }
    my ($reads, $took) = ($executions->() - $before, time - $t0);
    # each child has a copy of its own
    my $children = () = MiniCCSpoolTest::children_of(
        MiniCCSpoolTest::slurp(Apache::Test::vars('t_logs') . '/httpd.pid') =~ /(\d+)/);
    is($menus, 30, '30 first contacts in a row: the menu each time');
    ok($children && $reads <= $children * (1 + int($took / 0.9)),
       '... and the database read once a second at most by each child, not once a call')
        or diag("$reads statements in $took s, $children children");
}

# ---- a CallSid that is not a SID: answered, never recorded ---------------------------
my $log0 = error_log_size();
twiml_ok(post('/hours/wed-1000', [CallSid => 'not-a-sid', From => '+15551234009']), $welcome,
         'a malformed CallSid at an open hour: the menu (nothing is recorded)');
twiml_ok(post('/hours/mon-0859', [CallSid => 'not-a-sid', From => '+15551234009']), $closed,
         'a malformed CallSid while closed: the closed answer, nothing recorded');
like(error_log_since($log0), qr/AH30101: [^\n]*CallSid 'not-a-sid' is not a Twilio SID; nothing recorded in turned_away/,
     '... and the log says so');
