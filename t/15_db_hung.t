# A database that hangs: MariaDB takes connections and queries and answers
# nothing (here: mariadbd stopped with SIGSTOP).  libmariadb would wait for
# ever, and Twilio gives up on a webhook after 15 s.  With MiniCCDBTimeout
# every caller still gets the normal answer well within that, every row is
# kept in the spool and written once the database answers again.
#
# Servers of its own (t/lib/MiniCCSpoolTest.pm), event, worker and prefork
# MPMs.
# mod_dbd's own new connections are bounded the way the README says: the
# driver's group= key and a connect-timeout in the option file libmariadb
# reads from $MARIADB_HOME.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use MiniCCTest;
use MiniCCSpoolTest;
use Time::HiRes ();
use LWP::UserAgent ();

use constant TIMEOUT => 2;          # MiniCCDBTimeout: the default (event), set (worker, prefork)
use constant TWILIO_WAITS => 15;    # Twilio's own timeout for a webhook
use constant BOUND => 10;           # what we promise, with room to spare

my @bad = ('0', '5', 'abc', '2s', '-1');
my %MPM_TESTS = (event => 21, worker => 21, prefork => 16, prefork_rest => 8);
plan tests => @bad * 2 + 2 + 2 + 2 + $MPM_TESTS{event} + $MPM_TESTS{worker} + $MPM_TESTS{prefork}
    + $MPM_TESTS{prefork_rest} + 1;

# ---------------------------------------------------------------------------
# configtest

for my $v (@bad) {
    my ($rc, $out) = httpd_configtest(name => 'dbtimeout', extra => "MiniCCDBTimeout $v\n");
    isnt($rc, 0, "MiniCCDBTimeout $v: configtest fails");
    like($out, qr/MiniCCDBTimeout: '\Q$v\E' is not a number of seconds from 1 to 4, or Off/,
         "MiniCCDBTimeout $v: the message names the directive and the range") or diag($out);
}
for my $v ('Off', '4') {
    my ($rc, $out) = httpd_configtest(name => 'dbtimeout', extra => "MiniCCDBTimeout $v\n");
    is($rc, 0, "MiniCCDBTimeout $v: configtest passes") or diag($out);
}
{
    my ($rc, $out) = httpd_configtest(name => 'dbtimeout',
        extra => "<Location /x>\n    MiniCCDBTimeout 3\n</Location>\n");
    isnt($rc, 0, 'MiniCCDBTimeout inside <Location>: configtest fails');
    like($out, qr/MiniCCDBTimeout not allowed (?:here|in <Location> context)/, '... saying it is not allowed there') or diag($out);
}
{
    my ($rc, $out) = httpd_configtest(name => 'dbtimeout',
        extra => "<VirtualHost 127.0.0.1:1>\n    MiniCCDBTimeout 3\n</VirtualHost>\n");
    isnt($rc, 0, 'MiniCCDBTimeout inside <VirtualHost>: configtest fails (server-wide)');
    like($out, qr/MiniCCDBTimeout cannot occur within <VirtualHost> section/, '... saying so') or diag($out);
}

# ---------------------------------------------------------------------------
# The hang

my $db_dir = $ENV{MINICC_TEST_DB_DIR} or die 'MINICC_TEST_DB_DIR not set (run t/run-suite)';
my $stopped;

sub mariadbd_pid {
    my $s = slurp("$db_dir/mysqld.pid") // '';
    return $s =~ /(\d+)/ ? $1 : undef;
}
sub db_hang { my $pid = mariadbd_pid() or return 0; $stopped = $pid; return kill 'STOP', $pid }
sub db_resume { return 1 unless $stopped; my $ok = kill 'CONT', $stopped; $stopped = undef; return $ok }

# Whatever happens, the database answers again for the files after this one.
END { kill 'CONT', $stopped if $stopped }

my $operator = '+15550015001';
MiniCCTest::add_operator($operator);
my $trouble = Response(Say(DEFAULT_MSG('trouble')), Hangup());
my $to_operator = Response(Redirect('operator', method => 'POST'));

sub elapsed { my ($r) = @_; return $r ? $r->{t1} - $r->{t0} : 999 }

# The option file the README has an administrator write, in a folder of
# the server's: its path, for MARIADB_HOME (DBDParams group=minicc).
sub option_file {
    my ($dir) = @_;
    mkdir "$dir/mariadb";
    open my $fh, '>', "$dir/mariadb/my.cnf" or die "$dir/mariadb/my.cnf: $!";
    print $fh "[minicc]\nconnect-timeout = " . TIMEOUT . "\n";
    close $fh or die "$dir/mariadb/my.cnf: $!";
    chmod 0755, "$dir/mariadb";
    return "$dir/mariadb";
}

sub hang_scenario {
    my ($mpm, $nclients, $ncalls) = @_;
    my $tag = "hung-$mpm-$$-" . time;
    my $dir = server_dir("hung-$mpm");
    local $ENV{MARIADB_HOME} = option_file($dir);

    my $srv = httpd_start(name => "hung-$mpm", dir => $dir, mpm => $mpm,
                          dbd_params => 'group=minicc',
                          extra => "<Location /minicc/report>\n    SetHandler minicc-report\n</Location>\n"
                                   . ($mpm eq 'event' ? '' : 'MiniCCDBTimeout ' . TIMEOUT . "\n"));
    ok($srv, "$mpm: httpd started, MiniCCDBTimeout " . ($mpm eq 'event' ? 'not set (default ' . TIMEOUT . ' s)' : TIMEOUT))
        or return diag('no server: the rest cannot run');

    # Warm: every pooled connection in use once, the operator known.
    my $warm = 0;
    for (1 .. 6) {
        my $res = http_post($srv, '/minicc/incoming', [CallSid => sid(), From => $operator]);
        $warm++ if $res->code == 200 && same(twiml($res), $to_operator);
    }
    is($warm, 6, "$mpm: database answering: the operator is recognised");

    my $log0 = length read_log($srv);
    ok(db_hang(), "$mpm: mariadbd stopped (SIGSTOP): it accepts connections and answers nothing");

    my $reqs = call_requests($tag, [qw(exit status incoming)], $ncalls);
    my $h = clients_start($srv, $reqs, $nclients);
    my @res = clients_wait($h);
    my @slow = grep { elapsed($res[$_]) >= BOUND } 0 .. $#$reqs;
    my $max = 0;
    $max < elapsed($_) and $max = elapsed($_) for @res;
    is(scalar @slow, 0, sprintf("$mpm: all %d webhooks answered within %d s (Twilio waits %d s); slowest %.1f s",
                                scalar @$reqs, BOUND, TWILIO_WAITS, $max))
        or diag(join "\n", map { "$reqs->[$_]{path}: " . sprintf('%.1f s', elapsed($res[$_])) } @slow);
    my @wrong = grep {
        my $kind = $reqs->[$_]{kind};
        $kind eq 'incoming'
            ? !twiml_is($res[$_], expected_answer($reqs->[$_])) && !twiml_is($res[$_], $trouble)
            : !twiml_is($res[$_], expected_answer($reqs->[$_]))
    } 0 .. $#$reqs;
    is(scalar @wrong, 0, "$mpm: exit and status answer as usual, a customer's first contact the menu "
                         . "from the child's copy of operators (or, in a child without one, the trouble message)")
        or diag(join "\n", map { "$reqs->[$_]{path}: " . ($res[$_] ? "$res[$_]{code} $res[$_]{body}" : 'no answer') } @wrong[0 .. ($#wrong < 5 ? $#wrong : 5)]);

    my @rows = grep { $_->{table} } @$reqs;
    my ($recs) = spool_records(slurp($srv->{spool}) // '');
    my %spooled = map { ($_->[1][0] // '') => 1 } @$recs;
    is(scalar(grep { !$spooled{$_->{sid}} } @rows), 0,
       "$mpm: every row (" . scalar(@rows) . ') is kept in the spool');

    my $log = substr(read_log($srv), $log0);
    like($log, qr/AH302(?:06|09|10): [^\n]*did not answer (?:mod_dbd |a ping )?within ${\ TIMEOUT} s \(MiniCCDBTimeout/,
         "$mpm: the error log says the database did not answer within MiniCCDBTimeout");
    unlike($log, qr/AH30205: [^\n]*error 20(?:06|13)/,
           "$mpm: a timed-out statement is not also logged as an ordinary failure");

    if ($mpm ne 'prefork') {
        like($log, qr/AH30211: [^\n]*the database was not asked/,
             "$mpm: after a query went unanswered, the child's other requests do not ask (AH30211)");
        # the rest: a second burst, while the database still hangs
        my $more = call_requests("$tag-2", [qw(exit status)], 8);
        my @r2 = clients_wait(clients_start($srv, $more, 4));
        is(scalar(grep { twiml_is($r2[$_], expected_answer($more->[$_])) } 0 .. $#$more), 8,
           "$mpm: a second burst while it still hangs: every answer normal");
        push @rows, @$more;
        ($recs) = spool_records(slurp($srv->{spool}) // '');
        %spooled = map { ($_->[1][0] // '') => 1 } @$recs;
        is(scalar(grep { !$spooled{$_->{sid}} } @$more), 0, "$mpm: ... and its rows are spooled");
        # the report page: it waits longer for its queries, not for a
        # connection to a server that does not answer
        my $t0 = Time::HiRes::time();
        my $rep = LWP::UserAgent->new(timeout => 90)->get("http://127.0.0.1:$srv->{port}/minicc/report");
        my $took = Time::HiRes::time() - $t0;
        is($rep->code, 503, "$mpm: the report page says 503 while the database hangs");
        cmp_ok($took, '<', BOUND, sprintf('%s: ... within %d s (%.1f s)', $mpm, BOUND, $took));
    }

    ok(db_resume(), "$mpm: mariadbd continued (SIGCONT)");
    my %want = map { $_->{sid} => $_->{table} } @rows;
    my $all = poll(sub {
        my $n = 0;
        for my $t (qw(enqueue_data statuscallback_data)) {
            $n += keys %{ rows_by_sid($t, [grep { $want{$_} eq $t } keys %want]) };
        }
        return $n == @rows;
    }, 90);
    ok($all, "$mpm: every row is in the database once it answers again");
    rows_match(\@rows, "$mpm: after the replay");

    my $back = poll(sub {
        my $res = http_post($srv, '/minicc/incoming', [CallSid => sid(), From => $operator]);
        return $res->code == 200 && same(twiml($res), $to_operator);
    }, 30, 0.5);
    ok($back, "$mpm: first contacts find the operator again");
    is(join("\n", crash_lines($srv)), '', "$mpm: no child crashed");
    httpd_stop($srv);
}

ok(db_wait_up(), 'MariaDB is up to begin with');
hang_scenario('event', 8, 24);
hang_scenario('worker', 8, 24);
hang_scenario('prefork', 4, 8);

# Prefork, one process: after a query went unanswered, the process's next
# requests within 5 s do not ask the database (AH30211).  One process
# serves every request in turn, so which of them rest is known.
{
    my $dir = server_dir('hung-rest');
    local $ENV{MARIADB_HOME} = option_file($dir);
    my $srv = httpd_start(name => 'hung-rest', dir => $dir, mpm => 'prefork',
                          dbd_params => 'group=minicc',
                          mpm_conf => "StartServers 1\nMinSpareServers 1\nMaxSpareServers 1\n"
                                    . "ServerLimit 1\nMaxRequestWorkers 1\nMaxConnectionsPerChild 0\n");
    ok($srv, 'prefork, one process: httpd started');
    my $warm = http_post($srv, '/minicc/incoming', [CallSid => sid(), From => $operator]);
    ok($warm->code == 200 && same(twiml($warm), $to_operator), 'prefork, one process: database answering');
    my $log0 = length read_log($srv);
    ok(db_hang(), 'prefork, one process: mariadbd stopped');
    my $reqs = call_requests("hung-rest-$$-" . time, ['exit'], 4);
    my @res = clients_wait(clients_start($srv, $reqs, 1));
    is(scalar(grep { twiml_is($res[$_], expected_answer($reqs->[$_])) } 0 .. $#$reqs), 4,
       'prefork, one process: four exits in turn, every answer normal');
    # one AH30211 line a second: the others are told by how fast they were
    my $rested = () = substr(read_log($srv), $log0) =~ /AH30211: [^\n]*the database was not asked/g;
    my @quick = grep { elapsed($res[$_]) < TIMEOUT } 1 .. $#res;
    ok($rested >= 1 && @quick == 3, sprintf("prefork, one process: the exits after the first one that met the hang did not ask (AH30211; %s s)",
                                           join ', ', map { sprintf '%.1f', elapsed($_) } @res));
    # the process read the operators before the hang: its copy answers at once
    my $t0 = Time::HiRes::time();
    my $first = http_post($srv, '/minicc/incoming', [CallSid => sid(), From => $operator]);
    my $took = Time::HiRes::time() - $t0;
    ok($first->code == 200 && same(twiml($first), $to_operator) && $took < TIMEOUT,
       sprintf('prefork, one process: a first contact while it hangs: the operator recognised from the copy, in %.1f s', $took))
        or diag($first->as_string);
    ok(db_resume(), 'prefork, one process: mariadbd continued');
    my $all = poll(sub { keys(%{ rows_by_sid('enqueue_data', [map { $_->{sid} } @$reqs]) }) == 4 }, 90);
    ok($all, 'prefork, one process: the four rows are in the database');
    httpd_stop($srv);
}
