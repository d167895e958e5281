# minicc-guidance, minicc-exit, minicc-status: the TwiML and the rows they
# record (doc/contract.txt, 2 and 4).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use MiniCCTest;

my @common = qw(From To CallStatus ApiVersion Direction ForwardedFrom CallerName);
my %table = (guidance => 'queue_data', exit => 'enqueue_data', status => 'statuscallback_data');
my %extra = (
    guidance => [qw(QueueSid QueueTime DequeingCallSid)],
    exit     => [qw(QueueResult QueueSid QueueTime)],
    status   => [qw(CallDuration RecordingUrl RecordingSid RecordingDuration)],
);
my %int = map { $_ => 1 } qw(QueueTime CallDuration RecordingDuration);
my %answer = (guidance => Response(Say(DEFAULT_MSG('guidance'))),
              exit => Response(), status => Response());
my @results = qw(bridged bridging-in-process error hangup leave redirected
                 redirected-from-bridged queue-full system-error);
my @bad_int = ('abc', '12abc', '1.5', '', ' ', '1e3', '0x10');
my @bad_sid = (
    'QU123', sid('QU') . '0', substr(sid('QU'), 0, 33), 'qu' . substr(sid('QU'), 2),
    substr(sid('QU'), 0, 33) . 'g', 'Q1' . substr(sid('QU'), 2), sid('QU') =~ s/^QU/Qu/r,
);
my @bad_callsid = (
    undef, '', 'CA123', substr(sid(), 0, 33), sid() . 'a', 'ca' . substr(sid(), 2),
    substr(sid(), 0, 33) . 'z', 'C4' . substr(sid(), 2), sid() =~ s/^CA/Ca/r,
    substr(sid(), 0, 20) . ' ' . substr(sid(), 21),
);

plan tests =>
    3 * (4 + 1 + 2)                       # full rows
  + @results * 2                          # every QueueResult value
  + 3 * (4 + 4)                           # repeated CallSid
  + 3 * @bad_int * 2                      # non-integer integers
  + 3 * 2                                 # malformed SIDs
  + 3 * (4 + 2)                           # only CallSid
  + 3 * @bad_callsid * 2                  # invalid CallSid
  + 3                                     # a negative integer, uppercase hex
  + 1                                     # the module's grants
  + 4 + 3 + 4 + 3;                        # deadlocks retried, not forever

db_wait_up();

# Every test of the suite runs the module as a database user with just the
# README's grants (scripts/mariadb-private): the rows below are written by
# the triggers' definer, not by rights of the module's own.
{
    my @grants = split /\n/, root_sql(q{SHOW GRANTS FOR 'minicc'@'127.0.0.1'}) // '';
    my @on_minicc = grep { /\bON `minicc`\.\*/ } @grants;
    is_deeply([ map { /^GRANT (.*?) ON/ ? $1 : $_ } @on_minicc ], ['SELECT, INSERT, UPDATE'],
              "the module's user has SELECT, INSERT, UPDATE on minicc, nothing more")
        or diag(join "\n", @grants);
}

sub params_for {
    my ($h, $sid, $tag) = @_;
    my %p = (
        CallSid => $sid, From => "+1555300$tag", To => '+15559990000',
        CallStatus => 'in-progress', ApiVersion => '2010-04-01', Direction => 'inbound',
        ForwardedFrom => '+15558880000', CallerName => "Caller $tag",
    );
    if ($h eq 'guidance') {
        %p = (%p, QueueSid => sid('QU'), QueueTime => 40 + $tag, DequeingCallSid => sid());
    } elsif ($h eq 'exit') {
        %p = (%p, QueueResult => 'redirected-from-bridged', QueueSid => sid('QU'), QueueTime => 17 + $tag);
    } else {
        %p = (%p, CallStatus => 'completed', CallDuration => 65 + $tag,
              RecordingUrl => "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE$tag",
              RecordingSid => sid('RE'), RecordingDuration => 30 + $tag);
    }
    return %p;
}

sub pairs { my (%p) = @_; [ map { ($_ => $p{$_}) } sort keys %p ] }

sub row_is {
    my ($h, $sid, $p, $name) = @_;
    my $row = db_row($table{$h}, $sid);
    my %want = map { $_ => $p->{$_} } 'CallSid', @common, @{ $extra{$h} };
    my %got = map { $_ => $row ? $row->{$_} : undef } keys %want;
    is_deeply(\%got, \%want, "$name: row") or diag(explain($row));
}

sub time_ok {
    my ($h, $sid, $name) = @_;
    my ($d) = dbh()->selectrow_array(
        "SELECT ABS(TIMESTAMPDIFF(MICROSECOND, `Time`, NOW(6))) FROM $table{$h} WHERE CallSid = ?",
        undef, $sid);
    ok(defined $d && $d < 60e6, "$name: Time is close to now") or diag('Time - now: ' . ($d // 'undef') . ' us');
}

my $tag = 10;
for my $h (qw(guidance exit status)) {
    my $sid = sid();
    my %p = params_for($h, $sid, $tag++);
    twiml_ok(post("/minicc/$h", pairs(%p)), $answer{$h}, "$h, all parameters");
    is(db_count($table{$h}, $sid), 1, "$h: one row");
    row_is($h, $sid, \%p, $h);
    time_ok($h, $sid, $h);
}

# Every QueueResult Twilio documents fits (VARCHAR(32), not the seed's 15).
for my $qr (@results) {
    my $sid = sid();
    my $res = post('/minicc/exit', [CallSid => $sid, QueueResult => $qr, QueueTime => 3]);
    is($res->code, 200, "exit QueueResult=$qr: 200");
    my $row = db_row('enqueue_data', $sid);
    is($row && $row->{QueueResult}, $qr, "exit QueueResult=$qr stored");
}

# Twilio retries: the same CallSid again updates, the later request wins.
for my $h (qw(guidance exit status)) {
    my $sid = sid();
    my %p1 = params_for($h, $sid, $tag++);
    my %p2 = params_for($h, $sid, $tag++);
    $p2{CallStatus} = 'completed';
    $p2{QueueResult} = 'hangup' if $h eq 'exit';
    my $r1 = post("/minicc/$h", pairs(%p1));
    is($r1->code, 200, "$h repeated: first 200");
    my ($t1) = dbh()->selectrow_array("SELECT `Time` FROM $table{$h} WHERE CallSid = ?", undef, $sid);
    select undef, undef, undef, 0.05;
    twiml_ok(post("/minicc/$h", pairs(%p2)), $answer{$h}, "$h repeated: second");
    is(db_count($table{$h}, $sid), 1, "$h repeated: one row");
    row_is($h, $sid, \%p2, "$h repeated: later values win");
    my ($t2) = dbh()->selectrow_array("SELECT `Time` FROM $table{$h} WHERE CallSid = ?", undef, $sid);
    ok(defined $t1 && defined $t2 && $t2 gt $t1, "$h repeated: Time is the later arrival's")
        or diag('Time ' . ($t1 // 'undef') . ' -> ' . ($t2 // 'undef'));
}

# Integer columns: a non-integer is stored as NULL, the row is still written.
for my $h (qw(guidance exit status)) {
    for my $bad (@bad_int) {
        my $sid = sid();
        my %p = params_for($h, $sid, $tag++);
        $p{$_} = $bad for grep { $int{$_} } @{ $extra{$h} };
        my $res = post("/minicc/$h", pairs(%p));
        is($res->code, 200, "$h integer '$bad': 200");
        my $row = db_row($table{$h}, $sid);
        my @ints = grep { $int{$_} } @{ $extra{$h} };
        ok($row && !grep({ defined $row->{$_} } @ints), "$h integer '$bad': stored NULL (@ints)")
            or diag(explain($row));
    }
}
{   # a negative integer is still an integer
    my $sid = sid();
    post('/minicc/status', [CallSid => $sid, CallDuration => '-7']);
    my $row = db_row('statuscallback_data', $sid);
    is($row && $row->{CallDuration}, -7, 'a negative integer is stored');
}

# Malformed SIDs other than CallSid are stored as NULL.
my %sidcols = (guidance => [qw(QueueSid DequeingCallSid)], exit => ['QueueSid'],
               status => ['RecordingSid']);
for my $h (qw(guidance exit status)) {
    my @cols = @{ $sidcols{$h} };
    my (@written, @nulled);
    for my $bad (@bad_sid) {
        my $sid = sid();
        my %p = params_for($h, $sid, $tag++);
        $p{$_} = $bad for @cols;
        push @written, post("/minicc/$h", pairs(%p))->code == 200 && db_count($table{$h}, $sid) == 1;
        my $row = db_row($table{$h}, $sid);
        push @nulled, $row && !grep({ defined $row->{$_} } @cols) ? 1 : "'$bad'";
    }
    ok(!grep(!$_, @written), "$h malformed @cols: 200 and row written");
    ok(!grep($_ ne '1', @nulled), "$h malformed @cols: stored NULL")
        or diag("not NULL for: " . join ' ', grep { $_ ne '1' } @nulled);
}
{   # hex digits in capitals are still hex digits
    my $sid = sid();
    my $qs = 'QU' . uc substr(sid(), 2);
    post('/minicc/exit', [CallSid => $sid, QueueSid => $qs]);
    my $row = db_row('enqueue_data', $sid);
    ok($row, 'exit with an upper-case hex QueueSid: row written');
    is($row && $row->{QueueSid}, $qs, 'upper-case hex QueueSid stored');
}

# Only a CallSid: every other column NULL, Time set.
for my $h (qw(guidance exit status)) {
    my $sid = sid();
    twiml_ok(post("/minicc/$h", [CallSid => $sid]), $answer{$h}, "$h, only CallSid");
    my $row = db_row($table{$h}, $sid);
    # Queue is the module's (the queue's name: Twilio sends its QueueSid only)
    my @set = $row ? grep { $_ ne 'CallSid' && $_ ne 'Time' && $_ ne 'Queue' && defined $row->{$_} } keys %$row
                   : ('no row');
    ok(!@set && ($h eq 'status' || ($row->{Queue} // '') eq 'support'),
       "$h, only CallSid: other columns NULL, but the queue's name") or diag("set: @set");
    time_ok($h, $sid, "$h, only CallSid");
}

# An invalid CallSid: 400 and no row.
for my $h (qw(guidance exit status)) {
    for my $bad (@bad_callsid) {
        my ($before) = dbh()->selectrow_array("SELECT COUNT(*) FROM $table{$h}");
        my %p = params_for($h, 'x', $tag++);
        if (defined $bad) { $p{CallSid} = $bad } else { delete $p{CallSid} }
        my $res = post("/minicc/$h", pairs(%p));
        my $shown = defined $bad ? "'$bad'" : 'missing';
        is($res->code, 400, "$h CallSid $shown: 400");
        my ($after) = dbh()->selectrow_array("SELECT COUNT(*) FROM $table{$h}");
        is($after, $before, "$h CallSid $shown: no row");
    }
}

# A deadlock is retried: MariaDB rolled the statement back and says to try
# again, and a busy hour's summary rows can make one statement its victim
# more than once.  A trigger of the test's signals it $n times for one
# CallSid (its counter is MyISAM, so the rollback does not undo it).
sub deadlocks {
    my ($n, $name) = @_;
    my $sid = sid();
    db_do('CREATE OR REPLACE TABLE minicc_test_deadlocks (n INT NOT NULL) ENGINE=MyISAM');
    db_do('INSERT INTO minicc_test_deadlocks VALUES (?)', $n);
    db_do(qq{CREATE OR REPLACE TRIGGER minicc_test_deadlock BEFORE INSERT ON statuscallback_data
             FOR EACH ROW IF NEW.CallSid = '$sid' AND (SELECT n FROM minicc_test_deadlocks) > 0 THEN
                 UPDATE minicc_test_deadlocks SET n = n - 1;
                 SIGNAL SQLSTATE '40001' SET MYSQL_ERRNO = 1213, MESSAGE_TEXT = 'deadlock (signalled by the test)';
             END IF});
    my $at = error_log_size();
    my %p = params_for('status', $sid, $tag++);
    twiml_ok(post('/minicc/status', pairs(%p)), $answer{status}, "status, $name");
    my ($left) = dbh()->selectrow_array('SELECT n FROM minicc_test_deadlocks');
    db_do('DROP TRIGGER minicc_test_deadlock');
    db_do('DROP TABLE minicc_test_deadlocks');
    my @failed = grep { /AH30(?:205|501|503)/ && /\Q$sid\E/ } error_log_since($at);
    return ($sid, \%p, $n - $left, \@failed);
}
{
    my ($sid, $p, $signalled, $failed) = deadlocks(3, 'three deadlocks in a row');
    is($signalled, 3, 'three deadlocks in a row: all were signalled');
    row_is('status', $sid, $p, 'three deadlocks in a row: retried');
    is(scalar @$failed, 0, 'three deadlocks in a row: no write failure logged') or diag(@$failed);
}
{
    # ... but not forever: the row is given up (logged in full: this
    # server has no MiniCCSpool) and Twilio still gets its answer.
    my ($sid, $p, $signalled, $failed) = deadlocks(1000, 'deadlocks without end');
    ok($signalled >= 4 && $signalled <= 8, "deadlocks without end: tried $signalled times, not more than 8");
    is(db_count('statuscallback_data', $sid), 0, 'deadlocks without end: no row');
    ok((grep { /AH30501/ } @$failed), 'deadlocks without end: the row is logged in full (AH30501)')
        or diag(@$failed);
}
