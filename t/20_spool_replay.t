# The spool's replay of records written by the test itself (issue 4):
#  - a record torn by a crash (in the middle and at the end) is skipped with
#    a log line (AH30507); the good records around it are written, the spool
#    ends empty;
#  - rows the database refuses for good (a table that does not exist, a value
#    too long for its column, a non-integer in an integer column, a bad
#    datetime, a NULL key) go to PATH.rejects, are counted in the log, and do
#    not hold up the good rows after them;
#  - a checksummed record with the wrong number of values for its table (as
#    an older version of the module could have left) is not written as
#    garbage, does not crash the replayer and does not block the rows after
#    it.
# Record format: mod_minicc/core/spoolfmt.c.  Each part starts its own httpd
# (t/lib/MiniCCSpoolTest.pm) on a spool written before it starts, with the
# database up.
use strict;
use warnings FATAL => 'all';
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use MiniCCTest;
use MiniCCSpoolTest;

plan tests => 1 + 11 + 12 + 8;

ok(db_wait_up(), 'MariaDB is up');
my $tag = "spool-replay-$$-" . time;

# values in spool order for a table, from a hash
sub vals {
    my ($cols, %v) = @_;
    return map { $v{$_} } @$cols;
}
sub enq {
    my ($sid, %o) = @_;
    my %v = (CallSid => $sid, From => '+15550400001', To => $tag, CallStatus => 'completed',
             ApiVersion => '2010-04-01', Direction => 'inbound', ForwardedFrom => undef,
             CallerName => "Zoë\nSpool", QueueResult => 'hangup', QueueSid => sid('QU'),
             QueueTime => '42', Queue => 'support', Time => '2026-01-02 03:04:05.123456', %o);
    return \%v;
}
sub que {
    my ($sid, %o) = @_;
    my %v = (CallSid => $sid, From => '東京 +81', To => $tag, CallStatus => 'in-progress',
             ApiVersion => '2010-04-01', Direction => 'inbound', ForwardedFrom => '+15550400099',
             CallerName => undef, QueueSid => sid('QU'), QueueTime => '17',
             DequeingCallSid => sid('CA'), Queue => 'support', Time => '2026-01-02 03:05:06.000001', %o);
    return \%v;
}
sub sta {
    my ($sid, %o) = @_;
    my %v = (CallSid => $sid, From => '+15550400003', To => $tag, CallStatus => 'completed',
             ApiVersion => '2010-04-01', Direction => 'outbound-api', ForwardedFrom => undef,
             CallerName => 'MINICC1 00000001 00000000', CallDuration => '93',
             RecordingUrl => 'https://api.twilio.com/rec/1', RecordingSid => sid('RE'),
             RecordingDuration => '90', Time => '2026-01-02 03:07:08.500000', %o);
    return \%v;
}
sub ops {
    my ($sid, %o) = @_;
    my %v = (CallSid => $sid, telnum => '+15550400004', Started => '2026-01-02 03:00:00.000000',
             State => 'ready', Reason => undef, Since => '2026-01-02 03:09:00.000000', Queue => 'support',
             LastSeen => '2026-01-02 03:09:00.000000', %o);
    return \%v;
}
my %COLS = (enqueue_data => ENQUEUE_COLS, queue_data => QUEUE_COLS,
            statuscallback_data => STATUS_COLS, operator_sessions => OPSESSION_COLS);
sub rec { my ($table, $v) = @_; spool_record($table, vals($COLS{$table}, %$v)) }

# Waits for the rows ([table, hash] ...) and compares them with the database.
sub rows_there {
    my ($label, @rows) = @_;
    my $all = poll(sub {
        for my $r (@rows) { return 0 unless db_count($r->[0], $r->[1]{CallSid}) == 1 }
        return 1;
    }, 60);
    ok($all, "$label: the good rows are in the database (within 60 s)");
    my (%got, %want);
    for my $r (@rows) {
        $want{"$r->[0] $r->[1]{CallSid}"} = $r->[1];
        $got{"$r->[0] $r->[1]{CallSid}"} = db_row($r->[0], $r->[1]{CallSid});
    }
    is_deeply(\%got, \%want, "$label: with exactly the values (and times) of the records");
}

sub no_crash {
    my ($srv, $label) = @_;
    ok(httpd_stop($srv), "$label: httpd stopped");
    my @crash = crash_lines($srv);
    is(scalar @crash, 0, "$label: no child crashed")
        or diag(join "\n", @crash[0 .. ($#crash < 4 ? $#crash : 4)]);
}

sub logged_counts {
    my ($srv) = @_;
    my ($w, $r) = (0, 0);
    my $log = MiniCCSpoolTest::read_log($srv);
    while ($log =~ /AH30510: [^\n]*?(\d+) rows written to the database, (\d+) refused for good/g) {
        $w += $1; $r += $2;
    }
    return ($w, $r);
}

# --- torn records -----------------------------------------------------------
{
    my @good = ([enqueue_data => enq(sid())], [queue_data => que(sid())],
                [statuscallback_data => sta(sid())]);
    my $torn1 = enq(sid());
    my $torn2 = sta(sid());
    my $t1 = rec(enqueue_data => $torn1);
    my $t2 = rec(statuscallback_data => $torn2);
    my $dir = server_dir('torn');
    spool_write("$dir/spool/rows",
                rec(@{ $good[0] }), rec(@{ $good[1] }),
                substr($t1, 0, int(length($t1) / 2)),      # torn in the middle
                rec(@{ $good[2] }),
                substr($t2, 0, length($t2) - 7));           # torn at the end
    my $srv = httpd_start(name => 'torn', dir => $dir);
    ok($srv, 'torn: httpd started on a spool with two torn records');
    SKIP: {
        skip 'no server', 10 unless $srv;
        rows_there('torn', @good);
        is(db_count(enqueue_data => $torn1->{CallSid}) + db_count(statuscallback_data => $torn2->{CallSid}), 0,
           'torn: the torn records were not written');
        ok(poll(sub { -s $srv->{spool} == 0 }, 15), 'torn: the spool file ends empty');
        # AH30510 comes a moment after the spool is emptied (fdatasync first)
        poll(sub { (logged_counts($srv))[0] >= 3 }, 15, 0.1);
        my $log = MiniCCSpoolTest::read_log($srv);
        my @l = $log =~ /^.*AH30507.*$/mg;
        ok(@l >= 1, 'torn: the damage is logged (AH30507)') or diag($log);
        like(join("\n", @l), qr/damaged bytes/, 'torn: the log line says bytes were skipped');
        my ($w) = logged_counts($srv);
        is($w, 3, 'torn: the log counts 3 rows written (AH30510)');
        ok(-s "$dir/spool/rows.rejects" == 0, 'torn: nothing in the rejects file');
        no_crash($srv, 'torn');
    }
}

# --- rows refused for good --------------------------------------------------
{
    my @good = ([enqueue_data => enq(sid())], [operator_sessions => ops(sid())],
                [statuscallback_data => sta(sid())]);
    my @bad = (
        [no_such_table => enq(sid())],                                   # 1146
        [enqueue_data => enq(sid(), From => '+1' . ('5' x 69))],         # 1406: 71 > 64
        [queue_data => que(sid(), QueueTime => 'abc')],                  # 1366
        [statuscallback_data => sta(sid(), Time => 'not a time')],      # 1292
        [enqueue_data => enq(undef)],                                    # 1048: NULL key
    );
    # a row the version before the operators' states spooled: 4 values
    my $old = ops(sid(), State => undef, Reason => undef, Since => undef, Queue => undef);
    # and rows of the versions before the queues' names: 12 values each
    my $olde = enq(sid(), Queue => undef);
    my $oldq = que(sid(), Queue => undef);
    my $dir = server_dir('rejects');
    spool_write("$dir/spool/rows",
                rec(@{ $good[0] }),
                map({ spool_record($_->[0], vals($COLS{$_->[0] eq 'no_such_table' ? 'enqueue_data' : $_->[0]}, %{ $_->[1] })) } @bad),
                rec(@{ $good[1] }), rec(@{ $good[2] }),
                spool_record('operator_sessions', vals(OPSESSION_COLS_V2, %$old)),
                spool_record('enqueue_data', vals(ENQUEUE_COLS_V2, %$olde)),
                spool_record('queue_data', vals(QUEUE_COLS_V2, %$oldq)));
    push @good, [operator_sessions => $old], [enqueue_data => $olde], [queue_data => $oldq];
    my $srv = httpd_start(name => 'rejects', dir => $dir);
    ok($srv, 'rejects: httpd started on a spool with refusable rows');
    SKIP: {
        skip 'no server', 11 unless $srv;
        rows_there('rejects', @good);
        my $in_db = 0;
        for my $b (@bad[1 .. 3]) { $in_db += db_count($b->[0], $b->[1]{CallSid}) }
        is($in_db, 0, 'rejects: no refused row is in the database');
        ok(poll(sub { -s $srv->{spool} == 0 }, 15), 'rejects: the spool file ends empty');
        poll(sub { my ($w, $r) = logged_counts($srv); $w + $r >= @good + @bad }, 15, 0.1);
        my $rej = MiniCCSpoolTest::slurp("$dir/spool/rows.rejects") // '';
        my ($recs, $damaged) = spool_records($rej);
        is_deeply($recs, [map { [$_->[0], [vals($COLS{$_->[0] eq 'no_such_table' ? 'enqueue_data' : $_->[0]}, %{ $_->[1] })]] } @bad],
                  'rejects: each refused row is in the rejects file, whole, in order')
            or diag("rejects file:\n$rej");
        is($damaged, 0, 'rejects: the rejects file is made of whole records');
        my ($w, $r) = logged_counts($srv);
        is($r, scalar @bad, 'rejects: the log counts ' . scalar(@bad) . ' rows refused for good (AH30510)')
            or diag(join "\n", MiniCCSpoolTest::read_log($srv) =~ /^.*AH305\d\d.*$/mg);
        is($w, scalar @good, 'rejects: and ' . scalar(@good) . ' written');
        my @rej_files = grep { -e } map { "$dir/spool/rows.$_" } qw(rejects);
        is(join(' ', map { sprintf '%04o', (stat $_)[2] & 07777 } @rej_files), '0600', 'rejects: the rejects file is 0600');
        no_crash($srv, 'rejects');
    }
}

# --- checksummed records with the wrong number of values ---------------------
{
    my $good = [enqueue_data => enq(sid())];
    my $short = enq(sid());
    my $long = sta(sid());
    my $dir = server_dir('count');
    spool_write("$dir/spool/rows",
                spool_record(enqueue_data => @{$short}{qw(CallSid From To)}),        # 3 of 13
                spool_record(statuscallback_data => vals(STATUS_COLS, %$long), 'extra'), # 14 of 13
                rec(@$good));
    my $srv = httpd_start(name => 'count', dir => $dir);
    ok($srv, 'value count: httpd started on a spool with records of the wrong size');
    SKIP: {
        skip 'no server', 7 unless $srv;
        rows_there('value count', $good);
        is(db_count(enqueue_data => $short->{CallSid}) + db_count(statuscallback_data => $long->{CallSid}), 0,
           'value count: records with the wrong number of values are not written');
        ok(poll(sub { -s $srv->{spool} == 0 }, 15), 'value count: the spool file ends empty');
        my ($recs) = spool_records(MiniCCSpoolTest::slurp("$dir/spool/rows.rejects") // '');
        is_deeply([map { "$_->[0] " . scalar(@{ $_->[1] }) } @$recs],
                  ['enqueue_data 3', 'statuscallback_data 14'],
                  'value count: both are kept in the rejects file');
        no_crash($srv, 'value count');
    }
}
