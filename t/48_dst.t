# Times across the autumn hour (SPEC 17, issue 24 item 6): stored in UTC,
# shown in local time.  A server of its own runs with TZ=Europe/Berlin,
# and a MiniCCTestClock per Location makes each request arrive at a
# chosen moment around 2027-10-31 03:00 CEST, when the clocks go back to
# 02:00 CET (01:00 UTC): 02:xx happens twice.  In the future on purpose:
# live_waiting's purge takes only what is older than the real time.
#
#   name  UTC (2027-10-31)   Berlin
#   day   10-30 22:30:00     00:30 CEST (10-31)
#   p     10-30 23:30:00     01:30 CEST
#   a     00:30:00           02:30 CEST  (the first 02:30)
#   w     00:59:30           02:59:30 CEST
#   x59   01:00:29           02:00:29 CET
#   live  01:00:30           02:00:30 CET
#   x61   01:00:31           02:00:31 CET
#   b     01:10:00           02:10 CET   (after a, though the clock says before)
#   c     01:30:00           02:30 CET   (the second 02:30)
#   d     02:30:00           03:30 CET
#   s1    2027-03-28 00:30   01:30 CET   (spring: 02:00 CET is 03:00 CEST)
#   s2    2027-03-28 01:30   03:30 CEST
#
# With local times (the old way) each of these goes wrong: b's row loses to
# a's, LastSeen sticks at 02:30, the live longest wait is -3510 s, a
# call-back not got through waits an hour, not a minute.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use JSON::PP ();
use LWP::UserAgent ();
use MiniCCTest;
use MiniCCSpoolTest ();

plan tests => 18;

ok(-e '/usr/share/zoneinfo/Europe/Berlin', 'the zone Europe/Berlin is installed (tzdata)');
db_wait_up();
my $dbh = dbh();

my %clock = (
    day => '2027-10-30 22:30:00Z', p => '2027-10-30 23:30:00Z', a => '2027-10-31 00:30:00Z',
    w => '2027-10-31 00:59:30Z', x59 => '2027-10-31 01:00:29Z', live => '2027-10-31 01:00:30Z',
    x61 => '2027-10-31 01:00:31Z', b => '2027-10-31 01:10:00Z', c => '2027-10-31 01:30:00Z',
    d => '2027-10-31 02:30:00Z', s1 => '2027-03-28 00:30:00Z', s2 => '2027-03-28 01:30:00Z',
);
my $extra = qq{<Location /dst/>\n    MiniCCQueue dstq\n    MiniCCCallback On\n</Location>\n};
for my $h (qw(exit operator wait callback status guidance live report)) {
    $extra .= qq{<LocationMatch "^/dst/[^/]+/$h\$">\n    SetHandler minicc-$h\n</LocationMatch>\n};
}
$extra .= qq{<Location /dst/$_/>\n    MiniCCTestClock "$clock{$_}"\n</Location>\n} for sort keys %clock;

my $srv = do {
    local $ENV{TZ} = 'Europe/Berlin';
    MiniCCSpoolTest::httpd_start(name => 'dst', extra => $extra);
};
ok($srv, 'a server of its own, in Europe/Berlin') or diag('no server');
my $ua = LWP::UserAgent->new(timeout => 30);
sub at { my ($name, $h, @pairs) = @_; MiniCCSpoolTest::http_post($srv, "/dst/$name/$h", \@pairs) }
sub json_at {
    my ($name, $h, $q) = @_;
    my $res = $ua->get("http://127.0.0.1:$srv->{port}/dst/$name/$h?$q");
    return $res->code == 200 ? JSON::PP::decode_json($res->content) : do { diag($res->as_string); {} };
}
sub stored { scalar $dbh->selectrow_array("SELECT CAST($_[1] AS CHAR) FROM $_[0] WHERE CallSid = ?", undef, $_[2]) }

my $r = json_at('day', 'report', 'format=json');
is("$r->{from} $r->{to}", '2027-10-31 2027-10-31', "the report's today is the local day (22:30 UTC is already 10-31 in Berlin)");

# ---- UTC stored; the later wins across the repeated hour -------------------------------------
my %c = (E1 => sid(), X => sid(), Y => sid(), E2 => sid(), E3 => sid(), S1 => sid(), S2 => sid());
my @call = (From => '+15550480001', To => '+15550489999');
at('p', 'exit', CallSid => $c{E1}, @call, QueueResult => 'bridged', QueueTime => 10);
at('a', 'exit', CallSid => $c{X}, @call, QueueResult => 'bridged', QueueTime => 10);
is(stored('enqueue_data', '`Time`', $c{X}), '2027-10-31 00:30:00.000000', 'a row at 02:30 CEST is stored as 00:30 UTC');
at('b', 'exit', CallSid => $c{X}, @call, QueueResult => 'hangup', QueueTime => 60);
is(join(' ', $dbh->selectrow_array('SELECT QueueResult, CAST(`Time` AS CHAR) FROM enqueue_data WHERE CallSid = ?', undef, $c{X})),
   'hangup 2027-10-31 01:10:00.000000', 'the same call again at 02:10 CET (later, though the clock says earlier): the later wins');
at('b', 'exit', CallSid => $c{Y}, @call, QueueResult => 'bridged', QueueTime => 10);
at('a', 'exit', CallSid => $c{Y}, @call, QueueResult => 'hangup', QueueTime => 60);
is(join(' ', $dbh->selectrow_array('SELECT QueueResult, CAST(`Time` AS CHAR) FROM enqueue_data WHERE CallSid = ?', undef, $c{Y})),
   'bridged 2027-10-31 01:10:00.000000', 'a row of 02:30 CEST arriving after one of 02:10 CET (a late retry): the later is kept');
at('c', 'exit', CallSid => $c{E2}, @call, QueueResult => 'hangup', QueueTime => 60);
at('d', 'exit', CallSid => $c{E3}, @call, QueueResult => 'bridged', QueueTime => 10);

my $op = sid();
at('a', 'operator', CallSid => $op, From => '+15550480100');
at('b', 'operator', CallSid => $op, From => '+15550480100');
is(join(' ', map { stored('operator_sessions', $_, $op) } qw(Started LastSeen)),
   '2027-10-31 00:30:00.000000 2027-10-31 01:10:00.000000', "an operator's loop at 02:30 CEST, then 02:10 CET: LastSeen moves on");

# ---- the live view's longest wait --------------------------------------------------------------
my $waiting = sid();
at('w', 'wait', CallSid => $waiting, From => '+15550480200', QueuePosition => 1, QueueTime => 30);
my $q = {};
for (1 .. 30) {
    my $l = json_at('live', 'live', 'format=json');
    ($q) = grep { $_->{queue} eq 'dstq' } @{ $l->{queues} || [] };
    last if $q && $q->{waiting};
    select undef, undef, undef, 0.2;
}
is(join(' ', map { $_ // 'none' } @{ $q || {} }{qw(waiting longest_wait_seconds)}), '1 90',
   'a caller polled at 02:59:30 CEST having waited 30 s: at 02:00:30 CET the live view says 90 s');

# ---- a call-back that did not get through waits a minute, not an hour --------------------------
my $cb = sid();
$dbh->do(q{DELETE FROM callbacks WHERE Queue = 'dstq'});
at('p', 'callback', CallSid => $cb, From => '+15550480300', To => '+15550489999', Digits => '1');
callers_changed();
my ($D, $E) = (sid(), sid());
at('w', 'operator', CallSid => $D, From => '+15550480101');
my $res = at('w', 'operator', CallSid => $D, From => '+15550480101', DialCallStatus => 'no-answer');
like($res->content, qr{<Number[^>]*>\+15550480300</Number>}, 'an idle operator at 02:59:30 CEST is sent to the call-back');
at('w', "operator?callback=$cb", CallSid => $D, From => '+15550480101', DialCallStatus => 'busy');
is(join(' ', map { stored('callbacks', $_, $cb) } qw(Status Attempts Claimed)),
   'pending 1 2027-10-31 00:59:30.000000', '... busy: back in line, claimed at 00:59:30 UTC');
at('x59', 'operator', CallSid => $E, From => '+15550480102');
$res = at('x59', 'operator', CallSid => $E, From => '+15550480102', DialCallStatus => 'no-answer');
unlike($res->content, qr{<Number}, '59 s later (02:00:29 CET): not dialled again yet');
$res = at('x61', 'operator', CallSid => $E, From => '+15550480102', DialCallStatus => 'no-answer');
like($res->content, qr{<Number[^>]*>\+15550480300</Number>}, '61 s later (02:00:31 CET): dialled again');
$dbh->do(q{DELETE FROM callbacks WHERE Queue = 'dstq'});

# ---- the report: each call once, in the local hour it began --------------------------------------
at('s1', 'exit', CallSid => $c{S1}, @call, QueueResult => 'bridged', QueueTime => 10);
at('s2', 'exit', CallSid => $c{S2}, @call, QueueResult => 'bridged', QueueTime => 10);
$r = json_at('day', 'report', 'format=json&from=2027-10-31&to=2027-10-31');
my %h = map { substr($_->{hour}, 11) => $_->{offered} } @{ $r->{by_hour} || [] };
is(scalar(@{ $r->{by_hour} || [] }) . ' ' . join(' ', map { $h{sprintf '%02d', $_} // '-' } 0 .. 4),
   '24 0 1 3 1 0', 'autumn day: 24 hours; 01:00 one call, 02:00 three (both of the 02:xx hours), 03:00 one');
is(join(' ', @$r{qw(offered answered abandoned)}, $r->{by_day}[0]{offered}), '5 3 2 5',
   '... offered 5, answered 3, abandoned 2: each call once');
is(join(' | ', map { "$_->{time} $_->{wait_seconds}" } @{ $r->{abandoned_calls} || [] }),
   '2027-10-31T02:30:00 60 | 2027-10-31T02:10:00 60', 'the abandoned calls in local time, newest first (the second 02:30 first)');
$r = json_at('day', 'report', 'format=json&from=2027-10-30&to=2027-10-30');
is($r->{offered}, 0, 'the day before (local): none of them, though 22:30 and 23:30 UTC are 10-30');
$r = json_at('day', 'report', 'format=json&from=2027-03-28&to=2027-03-28');
%h = map { substr($_->{hour}, 11) => $_->{offered} } @{ $r->{by_hour} || [] };
is(join(' ', map { $h{sprintf '%02d', $_} // '-' } 1 .. 3), '1 0 1', 'spring day: 01:00 one call, 02:00 (skipped) none, 03:00 one');
my $csv = $ua->get("http://127.0.0.1:$srv->{port}/dst/day/report?format=csv&table=hours&from=2027-10-31&to=2027-10-31")->content;
ok($csv =~ /^2027-10-31T02,3,1,2\r$/m && $csv =~ /^2027-10-31T01,1,1,0\r$/m, 'CSV hours: the same') or diag($csv);

MiniCCSpoolTest::httpd_stop($srv);
my @sids = (values %c, $op, $D, $E);
$dbh->do('DELETE FROM enqueue_data WHERE CallSid IN (' . join(',', ('?') x @sids) . ')', undef, @sids);
$dbh->do('DELETE FROM operator_sessions WHERE CallSid IN (?, ?, ?)', undef, $op, $D, $E);
$dbh->do(q{DELETE FROM live_waiting WHERE Queue = 'dstq'});
