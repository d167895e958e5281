# The report's summaries (sql/minicc.sql: report_hours, report_hangups,
# report_pickups, report_operators, kept by triggers): whatever happens to
# the rows -- later arrivals of a call's webhooks changing its result, its
# wait or its hour, an operator call recorded after the pick-ups it made,
# an administrator's UPDATE and DELETE, many webhooks at once -- the report
# shows what the rows themselves say, and the summaries equal what
# minicc_report_rebuild() computes from scratch.  Then the upgrade: empty
# summaries over existing data are filled by running sql/minicc.sql again,
# and running it once more changes nothing.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use MiniCCTest;
use MiniCCReport;
use POSIX ();

my @data_tables = qw(enqueue_data queue_data statuscallback_data operator_sessions);
my @summaries = qw(report_hours report_hangups report_pickups report_operators);
my $SA = 5;     # MiniCCShortAbandon of /minicc/report (the default)
my $SL = 20;    # MiniCCServiceLevel
# The JSON prints rates with 4 decimals and seconds with 1: half a unit of
# the last digit is as far as a correctly rounded figure can be.
my %tolerance = (abandon_rate => 0.00005 + 1e-9, service_level => 0.00005 + 1e-9,
                 asa_seconds => 0.05 + 1e-9, avg_call_seconds => 0.05 + 1e-9);
my $CONCURRENT = 8;
my $PER_CLIENT = 25;

my $REPORT_TESTS = 5 + 4 + 1 + 1;
plan tests => 2 + $REPORT_TESTS + 4      # changed rows
  + 2 + $REPORT_TESTS + 4                  # concurrent webhooks
  + 1 + 4 + 1 + 1;                         # the upgrade

db_do("TRUNCATE TABLE $_") for @data_tables, @summaries;
is(scalar dbh()->selectrow_array('SELECT (SELECT COUNT(*) FROM enqueue_data) + '
   . '(SELECT COUNT(*) FROM report_hours)'), 0, 'data and summaries empty');

my @fail;
sub hook {
    my ($h, @pairs) = @_;
    my $res = post("/minicc/$h", [@pairs]);
    push @fail, "$h: " . $res->code . ' ' . $res->content unless $res->code == 200;
}
sub common { (CallSid => $_[0], From => $_[1] // '+15550004000', To => '+15559990000',
              CallStatus => 'in-progress', ApiVersion => '2010-04-01', Direction => 'inbound') }
sub exit_hook  { my ($sid, $qr, $qt) = @_; hook('exit', common($sid), QueueResult => $qr,
                                                QueueSid => sid('QU'), QueueTime => $qt) }
sub pickup     { my ($sid, $qt, $op) = @_; hook('guidance', common($sid), QueueSid => sid('QU'),
                                                QueueTime => $qt, DequeingCallSid => $op) }
sub status_hook { my ($sid, $st, $dur) = @_; hook('status', common($sid), CallStatus => $st,
                                                  CallDuration => $dur) }

# ---------------------------------------------------------------------------
# Rows that change after they were first written.
my ($opA, $opB, $opLate) = (sid(), sid(), sid());
hook('operator', common($opA, '+15550001001'));
hook('operator', common($opB, '+15550001002'));

my @c = map { sid() } 1 .. 10;
# c0: answered by A, then its exit webhook again with another wait (a retry
# that carries other values: the later one wins, the summaries follow).
pickup($c[0], 12, $opA);   exit_hook($c[0], 'bridged', 12);
exit_hook($c[0], 'bridged', 14);
# c1: first recorded as a hang-up after 3 s (short), then as one after 40 s.
exit_hook($c[1], 'hangup', 3);   exit_hook($c[1], 'hangup', 40);
# c2: first a hang-up, then bridged (answered after all).
exit_hook($c[2], 'hangup', 25);  pickup($c[2], 25, $opB);  exit_hook($c[2], 'bridged', 25);
# c3..c5: picked up by an operator call whose own webhook arrives later
# (operator_sessions after queue_data: the spool's replay can do that).
pickup($c[$_], 5 * $_, $opLate), exit_hook($c[$_], 'bridged', 5 * $_) for 3 .. 5;
hook('operator', common($opLate, '+15550001003'));
# c6: the longest wait, deleted by an administrator below.
exit_hook($c[6], 'leave', 900);
# c7: a pick-up without a QueueTime; c8 a hang-up without one (counts as 0 s).
hook('guidance', common($c[7]), QueueSid => sid('QU'), DequeingCallSid => $opA);
exit_hook($c[7], 'bridged', 1);
hook('exit', common($c[8]), QueueResult => 'hangup', QueueSid => sid('QU'));
# c9: hang-up at exactly the threshold; then moved to yesterday by hand.
exit_hook($c[9], 'hangup', $SA);
# Status callbacks: in-progress, then completed with its duration; one
# completed then re-sent with another duration; one without a duration.
my @s = map { sid() } 1 .. 3;
status_hook($s[0], 'in-progress', 0);  status_hook($s[0], 'completed', 75);
status_hook($s[1], 'completed', 30);   status_hook($s[1], 'completed', 35);
hook('status', common($s[2]), CallStatus => 'completed');
ok(!@fail, 'every webhook answered 200') or diag(join "\n", @fail);

# An administrator's own changes.
db_do('DELETE FROM enqueue_data WHERE CallSid = ?', $c[6]);
db_do('UPDATE enqueue_data SET `Time` = `Time` - INTERVAL 1 DAY WHERE CallSid = ?', $c[9]);
db_do('UPDATE queue_data SET `Time` = `Time` - INTERVAL 1 DAY WHERE CallSid = ?', $c[5]);
db_do('UPDATE operator_sessions SET telnum = ? WHERE CallSid = ?', '+15550001009', $opB);

# ---------------------------------------------------------------------------
# The report against the rows: every figure computed here from the rows.
my ($from) = dbh()->selectrow_array("SELECT DATE(MIN(t)) FROM (SELECT MIN(`Time`) t FROM enqueue_data "
    . 'UNION ALL SELECT MIN(`Time`) FROM queue_data UNION ALL SELECT MIN(`Time`) FROM statuscallback_data) x');
my ($to) = dbh()->selectrow_array("SELECT DATE(MAX(t)) FROM (SELECT MAX(`Time`) t FROM enqueue_data "
    . 'UNION ALL SELECT MAX(`Time`) FROM queue_data UNION ALL SELECT MAX(`Time`) FROM statuscallback_data) x');
diag("range: $from .. $to");

sub expected {
    my %e = (offered => 0, answered => 0, abandoned => 0, short_abandoned => 0,
             longest_wait_seconds => 0);
    my (%hour);
    for my $r (@{ dbh()->selectall_arrayref('SELECT DATE_FORMAT(`Time`, "%Y-%m-%dT%H"), '
            . 'QueueResult, QueueTime FROM enqueue_data') }) {
        my ($h, $qr, $qt) = @$r;
        $qr //= '';
        $e{offered}++;
        $hour{$h}{offered}++;
        if ($qr =~ /\A(?:bridged|bridging-in-process|redirected-from-bridged)\z/) {
            $e{answered}++;
            $hour{$h}{answered}++;
        }
        if ($qr eq 'hangup') {
            if (($qt // 0) >= $SA) { $e{abandoned}++; $hour{$h}{abandoned}++ }
            else { $e{short_abandoned}++ }
        }
        $e{longest_wait_seconds} = $qt if defined $qt && $qt > $e{longest_wait_seconds};
    }
    my ($n, $timed, $sum, $within) = (0, 0, 0, 0);
    for my $r (@{ dbh()->selectall_arrayref('SELECT QueueTime FROM queue_data') }) {
        $n++;
        next unless defined $r->[0];
        $timed++; $sum += $r->[0]; $within++ if $r->[0] <= $SL;
    }
    $e{asa_seconds} = $timed ? $sum / $timed : 0;
    $e{service_level} = $n ? $within / $n : 0;
    my ($cn, $cs) = (0, 0);
    for my $r (@{ dbh()->selectall_arrayref("SELECT CallDuration FROM statuscallback_data "
            . "WHERE CallStatus = 'completed' AND CallDuration IS NOT NULL") }) {
        $cn++; $cs += $r->[0];
    }
    $e{avg_call_seconds} = $cn ? $cs / $cn : 0;
    my $d = $e{answered} + $e{abandoned};
    $e{abandon_rate} = $d ? $e{abandoned} / $d : 0;
    my %ops;
    for my $r (@{ dbh()->selectall_arrayref('SELECT o.telnum FROM queue_data q '
            . 'JOIN operator_sessions o ON o.CallSid = q.DequeingCallSid') }) {
        $ops{ $r->[0] }++;
    }
    $e{operators} = [ map { { telnum => $_, answered => $ops{$_} } }
                      sort { $ops{$b} <=> $ops{$a} || $a cmp $b } keys %ops ];
    $e{hours} = { map { my $h = $_; $h => { map { $_ => $hour{$h}{$_} // 0 }
                                           qw(offered answered abandoned) } } keys %hour };
    return \%e;
}

sub report_is {
    my ($name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $e = expected();
    my ($res, $j) = report_json('/minicc/report', from => $from, to => $to);
    $j ||= {};
    for my $k (qw(offered answered abandoned short_abandoned longest_wait_seconds)) {
        is($j->{$k}, $e->{$k}, "$name: $k = $e->{$k}");
    }
    for my $k (qw(asa_seconds service_level avg_call_seconds abandon_rate)) {
        ok(defined $j->{$k} && abs($j->{$k} - $e->{$k}) <= $tolerance{$k},
           sprintf('%s: %s = %.6g', $name, $k, $e->{$k}))
            or diag('got ' . ($j->{$k} // 'undef'));
    }
    is_deeply($j->{operators}, $e->{operators}, "$name: operators");
    my %got = map { $_->{hour} => { offered => $_->{offered}, answered => $_->{answered},
                                    abandoned => $_->{abandoned} } }
              grep { $_->{offered} || $_->{answered} || $_->{abandoned} } @{ $j->{by_hour} || [] };
    is_deeply(\%got, $e->{hours}, "$name: by_hour");
    return $j;
}

# Non-zero summary rows, in key order: what the triggers left.
sub summary_rows {
    my %rows;
    # the shards (one per database connection) added up
    $rows{report_hours} = dbh()->selectall_arrayref('SELECT CAST(`Hour` AS CHAR), SUM(Offered) o, '
        . 'SUM(Answered) a, MAX(LongestWait) l, SUM(CallsTimed) c, SUM(CallSeconds) s FROM report_hours '
        . 'GROUP BY `Hour` HAVING o <> 0 OR a <> 0 OR c <> 0 OR s <> 0 OR l IS NOT NULL ORDER BY `Hour`');
    $rows{report_hangups} = dbh()->selectall_arrayref('SELECT CAST(`Hour` AS CHAR), Seconds, N '
        . 'FROM report_hangups WHERE N <> 0 ORDER BY `Hour`, Seconds');
    $rows{report_pickups} = dbh()->selectall_arrayref('SELECT CAST(`Hour` AS CHAR), Timed, Seconds, N '
        . 'FROM report_pickups WHERE N <> 0 ORDER BY `Hour`, Timed, Seconds');
    $rows{report_operators} = dbh()->selectall_arrayref('SELECT CAST(`Hour` AS CHAR), telnum, Answered '
        . 'FROM report_operators WHERE Answered <> 0 ORDER BY `Hour`, telnum');
    return \%rows;
}

sub summaries_are {
    my ($want, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $got = summary_rows();
    is_deeply($got->{$_}, $want->{$_}, "$name: $_ (" . scalar(@{ $want->{$_} }) . ' rows)')
        for @summaries;
}

report_is('changed rows');

my $kept = summary_rows();
db_do('CALL minicc_report_rebuild()');
summaries_are($kept, 'triggers = rebuild');

# ---------------------------------------------------------------------------
# Many webhooks at once, on the same hours' summary rows: each client sends
# every call's exit twice (the second with another result), its pick-up and
# its status callback.
@fail = ();
my @pids;
for my $k (1 .. $CONCURRENT) {
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        reseed();   # else clients may make the same SIDs
        my $bad = 0;
        for my $i (1 .. $PER_CLIENT) {
            my $sid = sid();
            for my $req (['guidance', common($sid), QueueSid => sid('QU'), QueueTime => $i, DequeingCallSid => $opA],
                         ['exit', common($sid), QueueResult => 'hangup', QueueSid => sid('QU'), QueueTime => $i % 9],
                         ['exit', common($sid), QueueResult => ($i % 3 ? 'bridged' : 'hangup'),
                          QueueSid => sid('QU'), QueueTime => $i],
                         ['status', common($sid), CallStatus => 'completed', CallDuration => $i * 3]) {
                my ($h, @pairs) = @$req;
                $bad++ unless post("/minicc/$h", [@pairs])->code == 200;
            }
        }
        POSIX::_exit($bad ? 1 : 0);
    }
    push @pids, $pid;
}
my $clients_failed = 0;
for (@pids) { waitpid($_, 0); $clients_failed++ if $? }
is($clients_failed, 0, "$CONCURRENT clients x $PER_CLIENT calls: every webhook answered 200");
is(scalar dbh()->selectrow_array('SELECT COUNT(*) FROM enqueue_data'), 9 + $CONCURRENT * $PER_CLIENT,
   'as many calls recorded as the clients made');
($to) = dbh()->selectrow_array('SELECT DATE(MAX(`Time`)) FROM enqueue_data');
my $busy = report_is('after concurrent webhooks');
$kept = summary_rows();
db_do('CALL minicc_report_rebuild()');
summaries_are($kept, 'concurrent: triggers = rebuild');

# ---------------------------------------------------------------------------
# The upgrade: summaries created empty over existing data.
db_do("DELETE FROM $_") for @summaries;
my $schema = MiniCCTest::top_dir() . '/sql/minicc.sql';
my $dbdir = $ENV{MINICC_TEST_DB_DIR};
is(system("'" . MiniCCTest::top_dir() . "/scripts/mariadb-private' sql '$dbdir' < '$schema'"), 0,
   'sql/minicc.sql runs on the live database');
summaries_are($kept, 'sql/minicc.sql over empty summaries');
system("'" . MiniCCTest::top_dir() . "/scripts/mariadb-private' sql '$dbdir' < '$schema'");
my $again = summary_rows();
is_deeply($again, $kept, 'sql/minicc.sql run again: the summaries unchanged');
my ($res, $j) = report_json('/minicc/report', from => $from, to => $to);
is_deeply($j, $busy, 'the report after the upgrade is the report before');
