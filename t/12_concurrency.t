# Many calls at once: more clients than pooled connections (DBDMax 4 per
# child), the same CallSid upserted concurrently (Twilio retries), every
# webhook kind mixed.  All answered, every row there, none duplicated.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use MiniCCTest;
use File::Temp qw(tempdir);
use POSIX ();

my $workers = 12;
my $rounds  = 8;

plan tests => 7;

db_wait_up();
my $operator = '+15550012001';
add_operator($operator);

my $shared_status = sid();
my $shared_exit   = sid();
my $shared_op     = sid();
my $dir = tempdir('minicc-conc-XXXXXX', TMPDIR => 1, CLEANUP => 1);

my $op_redirect = Response(Redirect('operator', method => 'POST'));
my $op_loop = Response(Say(DEFAULT_MSG('operator')),
                       Dial(Queue('support', url => 'guidance', method => 'POST')),
                       Redirect('operator', method => 'POST'));

my @pids;
for my $w (1 .. $workers) {
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        reseed();   # else clients may make the same SIDs
        my (@sids, @bad);
        for my $i (1 .. $rounds) {
            my $res = post('/minicc/incoming', [CallSid => sid(), From => $operator]);
            push @bad, 'incoming ' . $res->code unless $res->code == 200 && same(twiml($res), $op_redirect);
            my $sid = sid();
            push @sids, $sid;
            $res = post('/minicc/status', [CallSid => $sid, CallStatus => 'completed', CallDuration => $i]);
            push @bad, 'status ' . $res->code unless $res->code == 200;
            $res = post('/minicc/status', [CallSid => $shared_status, CallStatus => 'completed',
                                           CallDuration => $w * 100 + $i]);
            push @bad, 'shared status ' . $res->code unless $res->code == 200;
            $res = post('/minicc/exit', [CallSid => $shared_exit, QueueResult => 'hangup', QueueTime => $i]);
            push @bad, 'shared exit ' . $res->code unless $res->code == 200;
            $res = post('/minicc/operator', [CallSid => $shared_op, From => $operator]);
            push @bad, 'shared operator ' . $res->code unless $res->code == 200 && same(twiml($res), $op_loop);
        }
        open my $fh, '>', "$dir/$w" or die;
        print $fh join("\n", "SIDS @sids", map { "BAD $_" } @bad), "\n";
        close $fh;
        POSIX::_exit(0);
    }
    push @pids, $pid;
}
waitpid $_, 0 for @pids;

my (@sids, @bad, $reports);
for my $w (1 .. $workers) {
    open my $fh, '<', "$dir/$w" or next;
    $reports++;
    while (<$fh>) {
        chomp;
        push @sids, split ' ', $1 if /^SIDS (.*)/;
        push @bad, $1 if /^BAD (.*)/;
    }
}
is($reports, $workers, "all $workers clients finished");
is(scalar @sids, $workers * $rounds, 'every client made its calls');
ok(!@bad, 'every concurrent call got its normal answer') or diag(join "\n", @bad[0 .. ($#bad < 30 ? $#bad : 29)]);
my $missing = grep { db_count('statuscallback_data', $_) != 1 } @sids;
is($missing, 0, 'every concurrent status call has exactly one row');
is(db_count('statuscallback_data', $shared_status), 1, 'the same CallSid from every client: one status row');
is(db_count('enqueue_data', $shared_exit), 1, 'the same CallSid from every client: one enqueue row');
is(db_count('operator_sessions', $shared_op), 1, 'the same operator CallSid from every client: one session row');
