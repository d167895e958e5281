# MiniCCTestClock header (doc/contract.txt 7): a request's
# X-MiniCC-Test-Clock, when it is a moment in UTC, is the moment it arrives
# at, for what is stored; without one, or with another value, the request's
# own time.  bench/day plays a compressed day through it.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use File::Temp qw(tempdir);
use MiniCCTest;

plan tests => 4 + 3 * 2 + 2 * 2;

my $tmp = tempdir('minicc-clockhdr-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my ($rc, $out) = configtest_location($tmp, '    MiniCCTestClock header');
is($rc, 0, 'MiniCCTestClock header: configtest passes') or diag($out);
($rc, $out) = configtest_location($tmp, '    MiniCCTestClock heder');
isnt($rc, 0, 'MiniCCTestClock heder: configtest fails') or diag($out);
like($out, qr/MiniCCTestClock: 'heder' is not a moment in UTC as YYYY-MM-DD HH:MM:SS\[\.ffffff\]Z, nor the word header/,
     '... saying what it takes') or diag($out);
($rc, $out) = configtest_location($tmp, '    MiniCCTestClock "2026-12-06 10:00:00Z"');
is($rc, 0, 'a moment as before: configtest passes') or diag($out);

db_wait_up();
# seconds between the row's Time (UTC) and the database's UTC now
sub age {
    my ($sid) = @_;
    return scalar dbh()->selectrow_array(
        'SELECT TIMESTAMPDIFF(SECOND, `Time`, UTC_TIMESTAMP(6)) FROM statuscallback_data '
        . 'WHERE CallSid = ?', undef, $sid);
}
my @cases = (
    ['2026-12-06 10:11:12.345678Z', '2026-12-06 10:11:12.345678', 'a moment with microseconds'],
    ['2026-12-06 23:59:59Z', '2026-12-06 23:59:59.000000', 'a moment in whole seconds'],
);
for my $c (@cases) {
    my ($hdr, $want, $what) = @$c;
    my $sid = sid();
    my $res = post('/clockhdr/status', [CallSid => $sid, CallStatus => 'completed', CallDuration => '7'],
                   'X-MiniCC-Test-Clock' => $hdr);
    is($res->code, 200, "$what: 200");
    my $row = db_row('statuscallback_data', $sid);
    is($row && $row->{Time}, $want, "$what: the row's Time is the header's");
    ok($row && abs(age($sid)) > 60, "$what: not the request's own time");
}
for my $c ([undef, 'no header'], ['yesterday', 'a header that is not a moment']) {
    my ($hdr, $what) = @$c;
    my $sid = sid();
    my $res = post('/clockhdr/status', [CallSid => $sid, CallStatus => 'completed', CallDuration => '7'],
                   defined $hdr ? ('X-MiniCC-Test-Clock' => $hdr) : ());
    is($res->code, 200, "$what: 200");
    my $age = age($sid);
    ok(defined $age && $age >= 0 && $age < 60, "$what: the request's own time ($age s ago)");
}
