# A known caller's wait poll adds nothing to the child's memory (SPEC 17,
# issue 24 item 7): the table of the polls a child answered is written to
# live_waiting once a second, and only then is its memory given back.
# While the writer is held up (the database hangs: mariadbd stopped with
# SIGSTOP), the polls keep coming; each of a known caller once copied its
# queue's name and its wait into the table's pool again.  Measured by the
# child's peak resident memory across 6 s of wait polls from 1,000 callers
# (bench's wait kind), after 3 s of other requests answered from memory on
# the same connections: with a queue name of 64 characters, the old way
# grew by megabytes within each 5 s the writer waited.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use MiniCCTest;
use MiniCCSpoolTest ();
use LWP::UserAgent ();

plan tests => 6;

my $db_dir = $ENV{MINICC_TEST_DB_DIR} or die 'MINICC_TEST_DB_DIR not set (run t/run-suite)';
my $stopped;
sub mariadbd_pid { my $s = MiniCCSpoolTest::slurp("$db_dir/mysqld.pid") // ''; return $s =~ /(\d+)/ ? $1 : undef }
END { kill 'CONT', $stopped if $stopped }

db_wait_up();
my $queue = 'q' x 64;
my $srv = MiniCCSpoolTest::httpd_start(name => 'polls-memory', mpm_conf => <<'MPM', extra => <<"EXTRA");
StartServers 1
ServerLimit 1
ThreadLimit 16
ThreadsPerChild 16
MinSpareThreads 1
MaxSpareThreads 16
MaxRequestWorkers 16
MaxConnectionsPerChild 0
MPM
<Location /minicc>
    MiniCCQueue $queue
</Location>
<Location /minicc/information>
    SetHandler minicc-information
</Location>
EXTRA
ok($srv, 'a server of its own: one child') or diag('no server');
my ($child) = $srv ? MiniCCSpoolTest::children_of($srv->{pid}) : ();
# the child's peak resident memory
sub hwm_kb {
    open my $fh, '<', "/proc/$child/status" or return undef;
    local $/;
    my $st = <$fh> // '';
    return $st =~ /^VmHWM:\s*(\d+)\s*kB/m ? $1 : undef;
}
sub wrk_run {
    my ($kind, $seconds) = @_;
    my $runid = sprintf '%08x', int(rand(2**32));
    my $out = `wrk -t2 -c8 -d${seconds}s -s @{[top_dir()]}/bench/webhook.lua http://127.0.0.1:$srv->{port} -- $kind $runid 2>&1`;
    return $1 if $out =~ /RESULT requests=(\d+) .* errors=0 .* status=0$/m;
    diag("wrk $kind: $out");
    return 0;
}

# the child serving before the database stops: its start (mod_dbd opens
# DBDMin connections) would wait for a database that does not answer, and
# the port accepts connections before the child does
my $ua = LWP::UserAgent->new(timeout => 5);
ok(MiniCCSpoolTest::poll(sub { $ua->post("http://127.0.0.1:$srv->{port}/minicc/information")->code == 200 }, 30, 0.2),
   'the child answers (minicc-information)');
$stopped = mariadbd_pid();
ok($stopped && kill('STOP', $stopped), 'mariadbd stopped (SIGSTOP): the writer of who waits is held up');
# the same connections and threads, answering from memory too, without a
# poll: the child's peak before the polls
wrk_run('information', 3);
my $before = hwm_kb();
my $n = wrk_run('wait', 6);
my $after = hwm_kb();
ok($n > 5000, "$n wait polls in 6 s, every one answered from memory");
# what stays is the table of 1,000 callers (measured: 0.6 MB, 0.9 MB with
# AddressSanitizer); copying each poll again took 10.7 MB here
ok(defined $before && defined $after && $after - $before < 3072,
   sprintf('the peak memory of the child grew by %s kB over them (less than 3 MB; each poll of a known caller once copied %d bytes)',
           defined $after && defined $before ? $after - $before : '?', length($queue) + 12));
ok(kill('CONT', $stopped), 'mariadbd continued');
$stopped = undef;
MiniCCSpoolTest::httpd_stop($srv);
