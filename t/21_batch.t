# Group commit (mod_minicc/batch.c): webhooks recording at the same moment
# in one child share multi-row upserts, and nothing else changes -- every
# answer, every row with the values sent, fewer statements than rows.  A
# row the database refuses for good is found by trying the rows of its
# statement one by one: it alone goes to the rejects file, the others are
# recorded.  A virtual host with a mod_dbd pool of its own (another
# database) shares the main server's mod_minicc settings, but never its
# statements: each row lands in its own server's database.  Runs its own httpd (event MPM, one child of 32 threads, see
# t/lib/MiniCCSpoolTest.pm) so that the requests meet in one child; the
# database is made to wait (LOCK TABLES) while they arrive, so that the
# batches do form however fast the machine is.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use DBI ();
use Time::HiRes ();
use MiniCCTest;
use MiniCCSpoolTest;

my $THREADS = 32;
my $CALLS = 128;

plan tests => 1
  + 1 + 4 + 3      # many exits at once
  + 1 + 1 + 4 + 2  # a batch of five in a statement for eight
  + 1 + 4 + 5      # one row refused
  + 4;             # two servers, two databases

# The virtual host's database: the same schema, another name.
my $dbdir = $ENV{MINICC_TEST_DB_DIR};
my $top = MiniCCTest::top_dir();
system("(echo 'CREATE DATABASE IF NOT EXISTS minicc_b;"
     . " GRANT SELECT, INSERT, UPDATE ON minicc_b.* TO minicc\@\"127.0.0.1\";"
     . " GRANT ALL ON minicc_b.* TO minicc_admin\@\"127.0.0.1\"; USE minicc_b;';"
     . " cat '$top/sql/minicc.sql') | '$top/scripts/mariadb-private' sql '$dbdir'") == 0
    or BAIL_OUT('cannot create the database minicc_b');
my $port_b = MiniCCSpoolTest::free_port();
my $dbport = $ENV{MINICC_TEST_DB_PORT};
# The tables are locked on purpose here, for up to 4 s: no
# MiniCCDBTimeout, which t/15_db_hung.t tests.
my $vhost = <<"VHOST";
LogLevel info minicc:trace1
MiniCCDBTimeout Off
Listen 127.0.0.1:$port_b
<VirtualHost 127.0.0.1:$port_b>
    DBDriver mysql
    DBDParams "host=127.0.0.1 port=$dbport dbname=minicc_b user=minicc pass=minicc"
    DBDMin 1
    DBDKeep 4
    DBDMax 8
</VirtualHost>
VHOST

my $srv = httpd_start(name => 'batch', extra => $vhost,
                      dbd => { Min => 2, Keep => 8, Max => 8 },
                      mpm_conf => <<"MPM");
StartServers 1
ServerLimit 1
ThreadLimit $THREADS
ThreadsPerChild $THREADS
MinSpareThreads 1
MaxSpareThreads $THREADS
MaxRequestWorkers $THREADS
MaxConnectionsPerChild 0
MPM
ok($srv, 'httpd with one child of 32 threads started') or BAIL_OUT('no httpd');

# A connection of our own that holds enqueue_data while the webhooks come.
sub locker {
    my $port = $ENV{MINICC_TEST_DB_PORT};
    return DBI->connect("DBI:MariaDB:database=minicc;host=127.0.0.1;port=$port",
                        'minicc_admin', 'minicc_admin', { RaiseError => 1, PrintError => 0, AutoCommit => 1 });
}
# Prepared statements the server ran, but for the other servers'
# bookkeeping meanwhile (live_waiting's purge: an UPDATE and a SELECT per
# run, counted in housekeeping.Runs).
sub executions {
    my ($runs) = dbh()->selectrow_array(q{SELECT (SELECT COALESCE(SUM(Runs), 0) FROM minicc.housekeeping)
                                                + (SELECT COALESCE(SUM(Runs), 0) FROM minicc_b.housekeeping)});
    return scalar((dbh()->selectrow_array("SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'"))[1]) - 2 * $runs;
}
# "wrote N enqueue_data rows for N webhooks" lines of the error log (from
# offset $from)
sub batch_sizes {
    my ($from) = @_;
    return map { /wrote (\d+) enqueue_data rows/ ? $1 : () }
           split /\n/, substr(read_log($srv), $from // 0);
}
# The module's statements waiting for a locked table.
sub waiting_statements {
    return scalar dbh()->selectrow_array(q{SELECT COUNT(*) FROM information_schema.PROCESSLIST
                                           WHERE USER = 'minicc' AND STATE LIKE 'Waiting for table%'});
}
# Sends $reqs from $THREADS clients while enqueue_data is locked for $hold
# seconds -- and, with $statements, until that many statements wait (2 s
# more at most); returns the results.
sub send_locked {
    my ($reqs, $hold, $statements) = @_;
    my $lock = locker();
    $lock->do('LOCK TABLES enqueue_data WRITE');
    my $h = clients_start($srv, $reqs, $THREADS, start_at => Time::HiRes::time() + 0.3);
    Time::HiRes::sleep($hold);
    poll(sub { waiting_statements() >= $statements }, 2, 0.05) if $statements;
    $lock->do('UNLOCK TABLES');
    $lock->disconnect;
    return clients_wait($h);
}

# ---------------------------------------------------------------------------
# Many exits at once.
my $tag = "batch-$$-" . time;
my @reqs = @{ call_requests($tag, ['exit'], $CALLS) };
my $before = executions();
# The first row is written alone; the 16th queued behind it makes a full
# batch, which goes at once: two statements wait.
my @res = send_locked(\@reqs, 2, 2);
my $executed = executions() - $before;
my @bad = grep { !twiml_is($res[$_], expected_answer($reqs[$_])) } 0 .. $#reqs;
is(scalar @bad, 0, "all $CALLS answers the normal TwiML")
    or diag(join "\n", map { "request $_: " . ($res[$_] ? "$res[$_]{code} $res[$_]{body}" : 'none') } @bad[0 .. 4]);
rows_match(\@reqs, "$CALLS exits");
my @sizes = batch_sizes();
ok((grep { $_ == 16 } @sizes), 'while the database made them wait, 16 rows went in one statement')
    or diag("batches: @sizes");
cmp_ok($executed, '<', $CALLS, "fewer statements than rows ($executed for $CALLS)");
is(log_count($srv, qr/AH30(?:205|501|503|504)/), 0, 'no write failed, nothing spooled or lost');

# ---------------------------------------------------------------------------
# Five rows in the statement prepared for eight: the last row fills the
# three places left, in the same statement, so five rows cost one round
# trip and one commit -- and count five, not eight, in the report's
# summaries.  The first exit is written alone while the table is locked;
# the other five queue behind it.
$tag = "batch-five-$$-" . time;
my @five = @{ call_requests($tag, ['exit'], 6) };
for my $req (@five) {
    my %pairs = @{ $req->{pairs} };
    $pairs{QueueResult} = 'hangup';
    $req->{pairs} = [%pairs];
    $req->{expect}{QueueResult} = 'hangup' if $req->{expect};
}
my $summaries = sub {
    return [ map { scalar dbh()->selectrow_array($_) }
             'SELECT COALESCE(SUM(Offered), 0) FROM report_hours',
             'SELECT COALESCE(SUM(N), 0) FROM report_hangups' ];
};
my $counted = $summaries->();
my $log_before_five = length read_log($srv);
$before = executions();
{
    # The first exit alone, and only once the database holds it, the other
    # five: sent together, two could have made the first batch.
    my $lock = locker();
    $lock->do('LOCK TABLES enqueue_data WRITE');
    my $first = clients_start($srv, [ $five[0] ], 1);
    my $held = poll(\&waiting_statements, 30, 0.05);
    ok($held, 'the first exit waits for the locked table');
    my $rest = clients_start($srv, [ @five[1 .. 5] ], 5);
    # Each of the five is a few milliseconds of work before it queues.
    Time::HiRes::sleep(1.5);
    $lock->do('UNLOCK TABLES');
    $lock->disconnect;
    @res = (clients_wait($first), clients_wait($rest));
}
$executed = executions() - $before;
is(scalar(grep { twiml_is($res[$_], expected_answer($five[$_])) } 0 .. $#five), 6,
   'six exits answered normally');
rows_match(\@five, 'six exits');
my @five_sizes = batch_sizes($log_before_five);
ok(@five_sizes == 1 && $five_sizes[0] == 5 && $executed == 2,
   'the five queued rows went in one statement: two statements for six rows')
    or diag("batches: @five_sizes; statements: $executed");
my $now = $summaries->();
is_deeply([ $now->[0] - $counted->[0], $now->[1] - $counted->[1] ], [6, 6],
          'the summaries counted six offered and six hang-ups, no more');

# ---------------------------------------------------------------------------
# Rows the database refuses for good, in the middle of batches: a trigger
# that says "data too long" (1406) for one CallerName.  Four of them, so
# that whichever request happens to be written alone first, the others
# are in multi-row statements.
dbh()->do(q{CREATE OR REPLACE TRIGGER minicc_test_refuse BEFORE INSERT ON enqueue_data
            FOR EACH ROW IF NEW.CallerName = 'refuse me' THEN
            SIGNAL SQLSTATE '22001' SET MYSQL_ERRNO = 1406, MESSAGE_TEXT = 'refused by the test';
            END IF});
$tag = "batch-refuse-$$-" . time;
my @reqs2 = @{ call_requests($tag, ['exit'], $THREADS) };
my @victims = (3, 11, 19, 27);
for my $v (@victims) {
    my %pairs = @{ $reqs2[$v]{pairs} };
    $pairs{CallerName} = 'refuse me';
    $reqs2[$v]{pairs} = [%pairs];
}
my $log_before = length read_log($srv);
my @res2 = send_locked(\@reqs2, 2);
dbh()->do('DROP TRIGGER minicc_test_refuse');
my $log = substr(read_log($srv), $log_before);

is(scalar(grep { twiml_is($res2[$_], expected_answer($reqs2[$_])) } 0 .. $#reqs2), scalar @reqs2,
   'every answer normal, the refused rows\' too');
my %victim = map { $_ => 1 } @victims;
my @victim_sids = sort map { $reqs2[$_]{sid} } @victims;
my @others = grep { !$victim{$_} } 0 .. $#reqs2;
rows_match([ @reqs2[@others] ], 'the other rows');
is(scalar(grep { db_count('enqueue_data', $_) } @victim_sids), 0, 'no refused row is in enqueue_data');
my $rejects = spool_records(slurp("$srv->{spool}.rejects") // '');
is_deeply([ sort map { $_->[1][0] } @$rejects ], \@victim_sids, 'they alone are in the rejects file');
is(scalar(grep { my $sid = $_; scalar(() = $log =~ /AH30504[^\n]*CallSid \Q$sid\E/g) == 1 } @victim_sids),
   scalar @victim_sids, 'one line for each says it was refused for good');
like($log, qr/AH30205[^\n]*recording \d+ enqueue_data rows in one statement[^\n]*error 1406/,
     'a batch\'s failure is logged with what it was doing');
ok(!-s $srv->{spool}, 'no other row was spooled');

# ---------------------------------------------------------------------------
# Two servers of one child, two databases: exits to both at once, while
# both tables wait.
my $srv_b = { %$srv, port => $port_b };
my $dbh_b = DBI->connect("DBI:MariaDB:database=minicc_b;host=127.0.0.1;port=$dbport",
                         'minicc_admin', 'minicc_admin', { RaiseError => 1, PrintError => 0, AutoCommit => 1 });
$tag = "batch-vhost-$$-" . time;
my @for_a = @{ call_requests("$tag-a", ['exit'], 48) };
my @for_b = @{ call_requests("$tag-b", ['exit'], 48) };
{
    my $lock = locker();
    $lock->do('LOCK TABLES enqueue_data WRITE, minicc_b.enqueue_data WRITE');
    my $at = Time::HiRes::time() + 0.3;
    my $ha = clients_start($srv, \@for_a, $THREADS / 2, start_at => $at);
    my $hb = clients_start($srv_b, \@for_b, $THREADS / 2, start_at => $at);
    Time::HiRes::sleep(2);
    $lock->do('UNLOCK TABLES');
    $lock->disconnect;
    my @ra = clients_wait($ha);
    my @rb = clients_wait($hb);
    my $normal_a = grep { twiml_is($ra[$_], expected_answer($for_a[$_])) } 0 .. $#for_a;
    my $normal_b = grep { twiml_is($rb[$_], expected_answer($for_b[$_])) } 0 .. $#for_b;
    is($normal_a + $normal_b, @for_a + @for_b,
       'every answer of both servers normal');
}
sub found_in {
    my ($dbh, $reqs) = @_;
    my @sids = map { $_->{sid} } @$reqs;
    return scalar $dbh->selectrow_array('SELECT COUNT(*) FROM enqueue_data WHERE CallSid IN ('
                                        . join(',', ('?') x @sids) . ')', undef, @sids);
}
is(found_in(dbh(), \@for_a), scalar @for_a, "the main server's rows in minicc");
is(found_in($dbh_b, \@for_b), scalar @for_b, "the virtual host's rows in minicc_b");
is(found_in(dbh(), \@for_b) + found_in($dbh_b, \@for_a), 0, 'none in the other database');

httpd_stop($srv);
