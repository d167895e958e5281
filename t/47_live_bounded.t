# live_waiting stays bounded (SPEC 17, issue 24 item 7): the callers seen
# waiting are kept while a live view may count them (15 minutes since
# their last poll) and deleted after 20, a batch of at most 1,000 rows a
# statement, by every child every 10 seconds (through the trigger on
# housekeeping: the module's user may not DELETE).  A year of callers would
# otherwise be a million rows, replicated to every Galera node.  A server
# of its own is started, so that its children purge within seconds.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use MiniCCTest;
use MiniCCSpoolTest ();

plan tests => 6;

ok(db_wait_up(), 'MariaDB is up');
my $dbh = dbh();
$dbh->do(q{DELETE FROM live_waiting WHERE Queue = 'bounded'});
# 2,500 callers long gone (more than two batches), seen a day ago
my $old = 2500;
$dbh->do(q{INSERT INTO live_waiting (CallSid, Queue, QueueTime, `Time`)
           SELECT CONCAT('CA', LPAD(HEX(seq), 32, '0')), 'bounded', 5, NOW(6) - INTERVAL 1 DAY
           FROM seq_1_to_2500});
my $srv = MiniCCSpoolTest::httpd_start(name => 'bounded',
    extra => "<Location /minicc>\n    MiniCCQueue bounded\n</Location>\n");
ok($srv, 'a server of its own') or diag('no server');
# two callers through the wait loop: one aged 14 minutes (still counted
# by the live view), one 21 (no longer)
my ($kept, $gone) = (sid(), sid());
MiniCCSpoolTest::http_post($srv, '/minicc/wait', [CallSid => $_, From => '+15550470001', QueueTime => 5])
    for $kept, $gone;
ok(MiniCCSpoolTest::poll(sub { $dbh->selectrow_array(q{SELECT COUNT(*) FROM live_waiting WHERE CallSid IN (?, ?)},
                                                    undef, $kept, $gone) == 2 }, 10, 0.2),
   'the two callers written to live_waiting by the wait loop');
$dbh->do(q{UPDATE live_waiting SET `Time` = `Time` - INTERVAL 14 MINUTE WHERE CallSid = ?}, undef, $kept);
$dbh->do(q{UPDATE live_waiting SET `Time` = `Time` - INTERVAL 21 MINUTE WHERE CallSid = ?}, undef, $gone);

my $left = MiniCCSpoolTest::poll(sub {
    !$dbh->selectrow_array(q{SELECT COUNT(*) FROM live_waiting WHERE `Time` < NOW(6) - INTERVAL 20 MINUTE})
}, 60, 0.5);
ok($left, "within a minute of the server's start: no caller older than 20 minutes is left (there were $old + 1)")
    or diag($dbh->selectrow_array(q{SELECT COUNT(*) FROM live_waiting WHERE `Time` < NOW(6) - INTERVAL 20 MINUTE}));
is(scalar $dbh->selectrow_array(q{SELECT COUNT(*) FROM live_waiting WHERE CallSid = ?}, undef, $kept), 1,
   'the caller seen 14 minutes ago is kept (a live view still counts them)');
my $log = MiniCCSpoolTest::slurp($srv->{errlog}) // '';
ok($log !~ /removing from live_waiting/, 'no purge failed (the error log says none)') or diag($log);
MiniCCSpoolTest::httpd_stop($srv);
$dbh->do(q{DELETE FROM live_waiting WHERE Queue = 'bounded'});
