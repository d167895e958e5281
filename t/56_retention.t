# MiniCCRetention (doc/contract.txt 16): rows of 400 days ago, written
# through the webhooks (MiniCCTestClock) and so counted in the report's
# summaries, and rows of 10 days ago; two servers with MiniCCRetention 30
# started at the same moment: one of them deletes, in batches of at most
# 1,000 rows, every row older than the thirtieth day before today, in
# every table the module writes, the summaries of those hours too, and
# logs the counts once; the other does nothing; the rows of 10 days ago
# and the report of their day are as they were; webhooks answered all
# along.  Server-wide only; a bad value stops configtest.  Servers of
# their own (t/lib/MiniCCSpoolTest.pm) on the suite's MariaDB.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use File::Temp qw(tempdir);
use POSIX ();
use JSON::PP ();
use Apache::TestRequest ();
use Time::HiRes ();
use MiniCCTest;
use MiniCCSpoolTest;

my @bad = ('MiniCCRetention 0', 'MiniCCRetention 36501', 'MiniCCRetention soon', 'MiniCCRetention');

plan tests => @bad * 2 + 2 + 12;

my $tmp = tempdir('minicc-retention-XXXXXX', TMPDIR => 1, CLEANUP => 1);
for my $line (@bad) {
    # server-wide: outside the <Location> configtest_location writes
    my ($rc, $out) = configtest_location($tmp, "</Location>\n$line\n<Location /cc/none>");
    isnt($rc, 0, "'$line': configtest fails") or diag($out);
    like($out, qr/MiniCCRetention/, "'$line': the message names MiniCCRetention") or diag($out);
}
{
    my ($rc, $out) = configtest_location($tmp, '    MiniCCRetention 30');
    ok($rc != 0 && $out =~ /MiniCCRetention.*not allowed|MiniCCRetention cannot occur within/s,
       'MiniCCRetention in a <Location>: configtest fails, it is server-wide') or diag($out);
    ($rc, $out) = configtest_location($tmp, "</Location>\nMiniCCRetention 30\n<Location /cc/none>");
    is($rc, 0, 'MiniCCRetention 30, server-wide: Syntax OK') or diag($out);
}

db_wait_up();
my $handlers = join '', map { "<Location /minicc/$_>\n    SetHandler minicc-$_\n</Location>\n" }
    qw(callback recording survey);
sub utc { POSIX::strftime('%Y-%m-%d %H:%M:%SZ', gmtime(time - $_[0] * 86400)) }
# the tables the module writes, and their times
my %when = (enqueue_data => 'Time', queue_data => 'Time', statuscallback_data => 'Time',
            operator_sessions => 'LastSeen', operator_states => 'Began', turned_away => 'Time',
            voicemails => 'Time', callbacks => 'Time', recordings => 'Time', surveys => 'Time',
            live_waiting => 'Time');
sub count_older {
    my ($days, $older) = @_;
    my %n;
    for my $t (sort keys %when) {
        $n{$t} = dbh()->selectrow_array("SELECT COUNT(*) FROM $t WHERE `$when{$t}` "
            . ($older ? '<' : '>=') . " UTC_TIMESTAMP(6) - INTERVAL $days DAY"
            . ($older ? '' : " AND `$when{$t}` < UTC_TIMESTAMP(6) - INTERVAL 9 DAY"));
    }
    return \%n;
}

# ---- the rows: a day 400 days ago and one 10 days ago, through the webhooks ----------------
my @calls = (400, 10);
my $conf = $handlers;
for my $d (@calls) {
    $conf .= "<Location /d$d>\n    MiniCCTestClock \"" . utc($d) . "\"\n    MiniCCQueue ret\n"
           . "    MiniCCCallback On\n    MiniCCSurvey On\n    MiniCCWrapUp 10\n</Location>\n";
    $conf .= "<Location /d$d/$_>\n    SetHandler minicc-$_\n</Location>\n"
        for qw(operator guidance exit status voicemail callback recording survey);
}
my $writer = httpd_start(name => 'ret-writer', mpm => 'event', extra => $conf);
my $written = 0;
for my $d (@calls) {
    for my $i (1 .. 20) {
        my ($o, $k) = (sid(), sid());
        my @r = (http_post($writer, "/d$d/operator", [ CallSid => $o, From => '+15557770071' ]),
                 http_post($writer, "/d$d/guidance", [ CallSid => $k, From => '+15550007100', QueueTime => 5,
                                                        DequeingCallSid => $o ]),
                 http_post($writer, "/d$d/exit", [ CallSid => $k, QueueResult => 'bridged', QueueTime => 5,
                                                    CallStatus => 'in-progress' ]),
                 http_post($writer, "/d$d/survey", [ CallSid => $k, Digits => 4 ]),
                 http_post($writer, "/d$d/status", [ CallSid => $k, CallStatus => 'completed', CallDuration => 60 ]),
                 http_post($writer, "/d$d/recording", [ CallSid => $o, RecordingSid => sid('RE'),
                                                         RecordingStatus => 'completed', RecordingDuration => 55 ]),
                 http_post($writer, "/d$d/voicemail", [ CallSid => sid(), RecordingSid => sid('RE'),
                                                         RecordingDuration => 9 ]),
                 http_post($writer, "/d$d/callback", [ CallSid => sid(), From => '+15550007101', Digits => 1,
                                                        QueueTime => 30 ]));
        $written += grep { $_->code == 200 } @r;
    }
}
httpd_stop($writer) if $writer;
# what no webhook of these writes at a chosen time: a caller turned away, one seen waiting
for my $d (@calls) {
    db_do(qq{INSERT INTO turned_away (CallSid, `From`, Reason, `Time`) VALUES (?, '+15550007102', 'closed',
             UTC_TIMESTAMP(6) - INTERVAL $d DAY)}, sid());
    db_do(qq{INSERT INTO live_waiting (CallSid, Queue, QueueTime, `Time`) VALUES (?, 'ret', 1,
             UTC_TIMESTAMP(6) - INTERVAL $d DAY)}, sid());
}
# many more old calls, so that the run lasts while webhooks come
dbh()->do('INSERT INTO enqueue_data (CallSid, QueueResult, QueueTime, Queue, `Time`) VALUES '
          . join(',', map { "('" . sid() . "', 'hangup', 3, 'ret', UTC_TIMESTAMP(6) - INTERVAL 400 DAY - INTERVAL $_ SECOND)" }
                 1 .. 5000));
my $old = count_older(30, 1);
my $recent = count_older(30, 0);
ok($written == 2 * 20 * 8 && !grep({ !$old->{$_} || !$recent->{$_} } keys %when),
   'rows of 400 and of 10 days ago in every table the module writes')
    or diag(explain($old, $recent, $written));
my $day_old = POSIX::strftime('%Y-%m-%d', localtime(time - 400 * 86400));
my $day_recent = POSIX::strftime('%Y-%m-%d', localtime(time - 10 * 86400));
my $report = sub {
    my $j = eval { JSON::PP::decode_json(Apache::TestRequest::GET("/minicc/report?format=json&from=$_[0]&to=$_[0]")
                                             ->content) } || {};
    return "$j->{offered}/$j->{answered}";
};
my $before_recent = $report->($day_recent);
ok($report->($day_old) =~ m{\A(\d+)/20\z} && $1 >= 5020, "the report of 400 days ago: its calls ($before_recent then)");

# ---- two servers with MiniCCRetention 30, at the same moment ---------------------------------
my $extra = "MiniCCRetention 30\n" . $handlers;
my @srv = (httpd_start(name => 'ret-a', mpm => 'event', extra => $extra),
           httpd_start(name => 'ret-b', mpm => 'prefork', extra => $extra));
ok(@srv == 2 && $srv[0] && $srv[1], 'two servers with MiniCCRetention 30 (event, prefork) started together');
my ($sent, $ok) = (0, 0);
my $done = 0;
my $t0 = Time::HiRes::time();
while (Time::HiRes::time() - $t0 < 90) {
    # the hot paths while it runs: a caller's exit and an operator's loop on each server
    for my $s (grep { $_ } @srv) {
        my $k = sid();
        $ok++ if http_post($s, '/minicc/exit', [ CallSid => $k, QueueResult => 'hangup', QueueTime => 2 ])->code == 200
                 && http_post($s, '/minicc/wait', [ CallSid => $k, QueuePosition => 1 ])->code == 200;
        $sent++;
    }
    $done = dbh()->selectrow_array(q{SELECT `Day` = CURDATE() FROM housekeeping WHERE Name = 'retention'}) ? 1 : 0;
    last if $done && Time::HiRes::time() - $t0 > 8;
    select undef, undef, undef, 0.05;
}
ok($done, 'the day\'s run is marked done (housekeeping \'retention\')');
is($ok, $sent, "webhooks answered all along: $ok of $sent exits and waits");
my @lines = map { grep { /AH3130[12]/ } split /\n/, read_log($_) } grep { $_ } @srv;
my @ran = grep { /AH31301/ } @lines;
is(scalar(@ran), 1, 'one server ran it, one line logged') or diag(join '', @lines);
like($ran[0] // '', qr/MiniCCRetention 30 days: deleted \d+ rows older than \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \(UTC\) in [\d.]+ s: .*enqueue_data 50\d\d\b.*report_hours \d+/,
     '... with its counts: enqueue_data, the summaries too') or diag($ran[0]);
ok(!grep({ /AH31302/ } @lines), 'no run stopped');
is_deeply(count_older(30, 1), { map { $_ => 0 } keys %when }, 'no row older than 30 days left in any table');
# live_waiting keeps 20 minutes of its own (the live view's purge)
delete $recent->{live_waiting};
my $kept = count_older(30, 0);
delete $kept->{live_waiting};
is_deeply($kept, $recent, 'the rows of 10 days ago all kept (live_waiting has its own 20 minutes)');
my $summaries = dbh()->selectrow_array(q{SELECT (SELECT COUNT(*) FROM report_hours WHERE `Hour` < UTC_TIMESTAMP() - INTERVAL 31 DAY)
    + (SELECT COUNT(*) FROM report_pickups WHERE `Hour` < UTC_TIMESTAMP() - INTERVAL 31 DAY)
    + (SELECT COUNT(*) FROM report_queues WHERE `Hour` < UTC_TIMESTAMP() - INTERVAL 31 DAY)
    + (SELECT COUNT(*) FROM report_operators WHERE `Hour` < UTC_TIMESTAMP() - INTERVAL 31 DAY)
    + (SELECT COUNT(*) FROM report_hangups WHERE `Hour` < UTC_TIMESTAMP() - INTERVAL 31 DAY)});
is($summaries, 0, 'no summary of those hours left');
is($report->($day_old) . ' ' . $report->($day_recent), "0/0 $before_recent",
   'the report: nothing 400 days ago, the day of 10 days ago as it was');
httpd_stop($_) for grep { $_ } @srv;
