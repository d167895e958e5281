# The spool's backlog counted without reading the spool whole each time
# (SPEC 17, issue 24 item 7): while the database is down and rows wait, a
# metrics scrape reads only what was appended since the last one.  The
# child's /proc/PID/io rchar (bytes its read calls returned) is the
# measure: ten scrapes of a spool of some megabytes read less than the
# spool once; on a version that reads it whole, ten times its size.
# Then the database comes back: the rows are written, the count is 0 (the
# spool was replaced by compaction, and the count follows the new file).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use LWP::UserAgent;
use MiniCCTest;
use MiniCCSpoolTest;

plan tests => 9;

my $N = 20000;
my $tag = "backlog-$$-" . time;
ok(db_wait_up(), 'MariaDB is up');
my $dir = server_dir('backlog');
my @recs = map {
    spool_record('enqueue_data', sid(), '+15550477001', $tag, 'completed', '2010-04-01', 'inbound', undef,
                 'Backlog', 'hangup', sid('QU'), "$_", '2026-01-02 03:04:05.000000')
} 1 .. $N;
spool_write("$dir/spool/rows", @recs);
my $size = -s "$dir/spool/rows";
ok(db_stop(), 'MariaDB stopped');

my $srv = httpd_start(name => 'backlog', dir => $dir, mpm_conf => <<'MPM', extra => <<'EXTRA');
StartServers 1
ServerLimit 1
ThreadLimit 8
ThreadsPerChild 8
MinSpareThreads 1
MaxSpareThreads 8
MaxRequestWorkers 8
MaxConnectionsPerChild 0
MPM
<Location /minicc/metrics>
    SetHandler minicc-metrics
</Location>
EXTRA
my $ua = LWP::UserAgent->new(timeout => 30, keep_alive => 0);
sub backlog {
    my $res = $ua->get("http://127.0.0.1:$srv->{port}/minicc/metrics");
    return $res->is_success && $res->content =~ /^minicc_spool_backlog (\d+)$/m ? $1 : -1;
}
sub rchar {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/io" or return undef;
    local $/;
    my $io = <$fh> // '';
    return $io =~ /^rchar:\s*(\d+)/m ? $1 : undef;
}
my ($child) = $srv ? children_of($srv->{pid}) : ();
is(backlog(), $N, "the first scrape: $N rows waiting");

my $before = $child ? rchar($child) : undef;
my @seen = map { backlog() } 1 .. 10;
my $after = $child ? rchar($child) : undef;
is(join(',', @seen), join(',', ($N) x 10), '... and ten more scrapes say so');
ok(defined $before && defined $after && $after - $before < $size,
   sprintf('... reading %s bytes in all, less than the spool once (%d bytes)',
           defined $after && defined $before ? $after - $before : '?', $size));

my $res = http_post($srv, '/minicc/exit', [CallSid => sid(), From => '+15550477002', To => $tag,
                                          QueueResult => 'hangup', QueueTime => 9]);
is($res->code, 200, 'a webhook while the database is down: answered, its row spooled');
is(backlog(), $N + 1, '... and counted: one row more');

ok(db_start(), 'MariaDB back');
ok(poll(sub { backlog() == 0
              && MiniCCTest::dbh()->selectrow_array('SELECT COUNT(*) FROM enqueue_data WHERE `To` = ?', undef, $tag) == $N + 1 }, 120, 0.5),
   "the spool written: every row in the database, and the count is 0");
httpd_stop($srv);
MiniCCTest::db_do('DELETE FROM enqueue_data WHERE `To` = ?', $tag);
