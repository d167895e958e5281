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

# The UTC hour a moment is in, as the report labels it: each UTC hour counts
# in the local hour it begins in (doc/contract.txt, 5 by_hour, and 17).
sub hour_label { POSIX::strftime('%Y-%m-%dT%H', localtime(int($_[0] / 3600) * 3600)) }

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
my $t_first = time;
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
my $t_last = time;
ok(!@fail, 'every webhook answered 200') or diag(join "\n", @fail);

# An administrator's own changes.
db_do('DELETE FROM enqueue_data WHERE CallSid = ?', $c[6]);
db_do('UPDATE enqueue_data SET `Time` = `Time` - INTERVAL 1 DAY WHERE CallSid = ?', $c[9]);
db_do('UPDATE queue_data SET `Time` = `Time` - INTERVAL 1 DAY WHERE CallSid = ?', $c[5]);
db_do('UPDATE operator_sessions SET telnum = ? WHERE CallSid = ?', '+15550001009', $opB);

# ---------------------------------------------------------------------------
# The report against figures known by hand from the calls above (not read
# back from the rows the module wrote).  A range from two days ago to
# tomorrow holds every row of this file in any zone (c9 is a day old).
my $from = POSIX::strftime('%Y-%m-%d', localtime(time - 2 * 86400));
my $to = POSIX::strftime('%Y-%m-%d', localtime(time + 86400));
diag("range: $from .. $to");

# After the changes: exits c0 bridged 14, c1 hangup 40, c2 bridged 25,
# c3-c5 bridged 15/20/25, c7 bridged 1, c8 hangup (no QueueTime: 0 s),
# c9 hangup 5 a day ago (c6 deleted).  Pick-ups c0 12 (A), c2 25 (B),
# c3-c5 15/20/25 (late operator), c7 none (A).  Completed calls 75 s, 35 s
# (one without a duration).
my %changed = (offered => 9, answered => 6, abandoned => 2, short_abandoned => 1,
               longest_wait_seconds => 40,
               abandon_rate => 2 / 8,             # 2 / (6 + 2)
               asa_seconds => 97 / 5,             # (12 + 25 + 15 + 20 + 25) / 5 timed
               service_level => 3 / 6,            # 12, 15, 20 of 6 pick-ups within 20 s
               avg_call_seconds => (75 + 35) / 2,
               operators => [ { telnum => '+15550001003', answered => 3 },
                              { telnum => '+15550001001', answered => 2 },
                              { telnum => '+15550001009', answered => 1 } ],   # B's number changed by hand
               today => { offered => 8, answered => 6, abandoned => 1 },      # all but c9
               day_before => { offered => 1, answered => 0, abandoned => 1 }); # c9

sub report_is {
    my ($name, $e, $t0, $t1) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
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
    # (an operator logged in without a pick-up is listed too: with 0)
    is_deeply([ map { +{ telnum => $_->{telnum}, answered => $_->{answered} } } grep { $_->{answered} } @{ $j->{operators} || [] } ],
              $e->{operators}, "$name: operators (their pick-ups)");
    my %got = map { $_->{hour} => { offered => $_->{offered}, answered => $_->{answered},
                                    abandoned => $_->{abandoned} } }
              grep { $_->{offered} || $_->{answered} || $_->{abandoned} } @{ $j->{by_hour} || [] };
    if (hour_label($t0) eq hour_label($t1)) {
        # every call of this file in the UTC hour they were made in, c9 a day before
        is_deeply(\%got, { hour_label($t0) => $e->{today}, hour_label($t0 - 86400) => $e->{day_before} },
                  "$name: by_hour: the hour of the calls, and c9's a day before");
    } else {
        # the calls straddled an hour: the sums over the hours (a rare run)
        my %sum;
        for my $h (values %got) { $sum{$_} += $h->{$_} for keys %$h }
        is_deeply(\%sum, { map { $_ => $e->{today}{$_} + $e->{day_before}{$_} } qw(offered answered abandoned) },
                  "$name: by_hour adds up (the calls straddled an hour)");
    }
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

report_is('changed rows', \%changed, $t_first, $t_last);

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
# Each client's calls i = 1 .. 25 ($PER_CLIENT): picked up after i s by A,
# then its last exit is bridged after i s, or (i a multiple of 3) a hang-up
# after i s: 17 answered, 7 abandoned (6, 9, ... 24) and 1 short (3) per
# client; completed calls of 3i s.
my $n = $CONCURRENT;
my %busy = (offered => 9 + 25 * $n, answered => 6 + 17 * $n, abandoned => 2 + 7 * $n,
            short_abandoned => 1 + 1 * $n, longest_wait_seconds => 40,
            abandon_rate => (2 + 7 * $n) / (6 + 17 * $n + 2 + 7 * $n),
            asa_seconds => (97 + 325 * $n) / (5 + 25 * $n),        # 1 + ... + 25 = 325
            service_level => (3 + 20 * $n) / (6 + 25 * $n),         # 1 .. 20 within 20 s
            avg_call_seconds => (75 + 35 + 3 * 325 * $n) / (2 + 25 * $n),
            operators => [ { telnum => '+15550001001', answered => 2 + 25 * $n },
                           { telnum => '+15550001003', answered => 3 },
                           { telnum => '+15550001009', answered => 1 } ],
            today => { offered => 8 + 25 * $n, answered => 6 + 17 * $n, abandoned => 1 + 7 * $n },
            day_before => $changed{day_before});
my $busy = report_is('after concurrent webhooks', \%busy, $t_first, time);
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
# (less what moves with the clock: the seconds of states not ended yet)
sub stable { my ($x) = @_; return $x unless ref $x eq 'HASH';
             return { %$x, operators => [ map { +{ telnum => $_->{telnum}, answered => $_->{answered} } } @{ $x->{operators} || [] } ],
                      operator_breaks => [ map { +{ %$_, seconds => 'moves' } } @{ $x->{operator_breaks} || [] } ] } }
is_deeply(stable($j), stable($busy), 'the report after the upgrade is the report before');
