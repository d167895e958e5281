# A database that restarts, or closes idle connections, costs no call and
# no row (doc/contract.txt, 4.2; doc/design.txt, "Prepared statements
# after a restart": mod_dbd's silent reconnect loses them).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use MiniCCTest;

my $N = 8;    # calls of each kind after each disturbance
# Each disturbance is checked on the main server (driver default reconnect=1:
# the module must prepare again) and on the virtual host minicc_rc0
# (reconnect=0: mod_dbd drops dead connections, the module must acquire again).
my @servers = ('default', 'minicc_rc0');
plan tests => 1 + 2 + (2 + 4 + 6 * @servers) + (2 + @servers + 6 * @servers + 1 + 1)
            + (2 + 6 * @servers) + 1;

db_wait_up();
my $operator = '+15550010001';
add_operator($operator);

my $op_redirect = Response(Redirect('operator', method => 'POST'));
my $op_loop = Response(Say(DEFAULT_MSG('operator')),
                       Dial(Queue('support', url => 'guidance', method => 'POST')),
                       Redirect('operator', method => 'POST'));
my $guidance = Response(Say(DEFAULT_MSG('guidance')));
my $welcome = Response(
    Gather({ numDigits => '1', timeout => '10', action => 'incoming', method => 'POST' },
           Say(DEFAULT_MSG('welcome'))),
    Say(DEFAULT_MSG('noinput')),
    Enqueue('support', waitUrl => 'wait', waitUrlMethod => 'POST', action => 'exit', method => 'POST'));

# One round of every database-using webhook; returns a hash of successes.
sub round {
    my (%ok, @why);
    my $res = post('/minicc/incoming', [CallSid => sid(), From => $operator]);
    if ($res->code == 200 && same(twiml($res), $op_redirect)) { $ok{incoming}++ }
    else { push @why, 'incoming: ' . $res->code . ' ' . $res->content }

    my $sid = sid();
    $res = post('/minicc/status', [CallSid => $sid, CallStatus => 'completed', CallDuration => '30']);
    if ($res->code == 200 && db_count('statuscallback_data', $sid) == 1) { $ok{status}++ }
    else { push @why, 'status: ' . $res->code . ' rows ' . db_count('statuscallback_data', $sid) }

    $sid = sid();
    $res = post('/minicc/operator', [CallSid => $sid, From => $operator]);
    if ($res->code == 200 && same(twiml($res), $op_loop) && db_count('operator_sessions', $sid) == 1) { $ok{operator}++ }
    else { push @why, 'operator: ' . $res->code . ' rows ' . db_count('operator_sessions', $sid) }

    $sid = sid();
    $res = post('/minicc/guidance', [CallSid => $sid, QueueTime => '7', DequeingCallSid => sid()]);
    if ($res->code == 200 && same(twiml($res), $guidance) && db_count('queue_data', $sid) == 1) { $ok{guidance}++ }
    else { push @why, 'guidance: ' . $res->code . ' rows ' . db_count('queue_data', $sid) }

    $sid = sid();
    $res = post('/minicc/exit', [CallSid => $sid, QueueResult => 'bridged', QueueTime => '7']);
    if ($res->code == 200 && same(twiml($res), Response()) && db_count('enqueue_data', $sid) == 1) { $ok{exit}++ }
    else { push @why, 'exit: ' . $res->code . ' rows ' . db_count('enqueue_data', $sid) }

    # Apache's mod_authn_dbd shares the pool: its statement must survive too.
    $res = post('/auth-dbd/incoming', [CallSid => sid(), From => '+15551231102'],
                username => 'twilio', password => 'dbpass');
    if ($res->code == 200 && same(twiml($res), $welcome)) { $ok{'auth-dbd'}++ }
    else { push @why, 'auth-dbd: ' . $res->code }
    return (\%ok, \@why);
}

sub rounds {
    my ($n, $label) = @_;
    for my $server (@servers) {
        Apache::TestRequest::module($server);
        my (%ok, @why);
        for (1 .. $n) {
            my ($o, $w) = round();
            $ok{$_} += $o->{$_} for keys %$o;
            push @why, @$w;
        }
        for my $h (qw(incoming status operator guidance exit auth-dbd)) {
            is($ok{$h} // 0, $n, "$label [$server]: $h, $n calls")
                or diag(join "\n", grep { /^$h:/ } @why);
        }
    }
    Apache::TestRequest::module('default');
}

sub warm {
    my ($label, $server) = @_;
    Apache::TestRequest::module($server);
    my $good = 0;
    for (1 .. 12) {
        my ($o, $why) = round();
        $good++ if 5 == grep { $o->{$_} } qw(incoming status operator guidance exit);
        my $i = $_; diag("$label [$server], round $i: $_") for grep { !/^auth-dbd/ } @$why;
    }
    Apache::TestRequest::module('default');
    return $good;
}

{
    my $main = Apache::TestRequest::hostport();
    Apache::TestRequest::module('minicc_rc0');
    my $vhost = Apache::TestRequest::hostport();
    Apache::TestRequest::module('default');
    isnt($vhost, $main, "the virtual host has its own port ($main, $vhost)");
}
is(warm('before', $_), 12, "warm pool [$_]: every webhook works") for @servers;

# --- restart under a warm pool ---------------------------------------------
my $port0 = $ENV{MINICC_TEST_DB_PORT};
ok(mariadb_private('restart'), 'MariaDB restarted');
{
    my $dir = $ENV{MINICC_TEST_DB_DIR};
    chomp(my $port1 = qx{"@{[top_dir()]}/scripts/mariadb-private" port "$dir"} // '');
    is($port1, $port0, 'scripts/mariadb-private restart keeps the port');
}
# The very first call after the restart, in detail.
twiml_ok(post('/minicc/incoming', [CallSid => sid(), From => $operator]), $op_redirect,
         'after restart: first call, operator recognised');
rounds($N, 'after restart');

# --- idle connections closed by the server (wait_timeout) ------------------
my $elog_at = error_log_size();
ok(mariadb_private('restart'), 'MariaDB restarted for the wait_timeout test');
ok(defined root_sql('SET GLOBAL wait_timeout = 2'), 'wait_timeout set to 2 s');
my ($aborted0) = (root_sql(q{SHOW GLOBAL STATUS LIKE 'Aborted_clients'}) // '') =~ /(\d+)/;
is(warm('wait_timeout', $_), 12, "wait_timeout [$_]: pool warmed with short-lived connections") for @servers;
sleep 4;
rounds($N, 'after idle timeout');
my ($aborted1) = (root_sql(q{SHOW GLOBAL STATUS LIKE 'Aborted_clients'}) // '') =~ /(\d+)/;
ok(defined $aborted0 && defined $aborted1 && $aborted1 > $aborted0,
   'the server did close idle connections')
    or diag('Aborted_clients ' . ($aborted0 // '?') . ' -> ' . ($aborted1 // '?'));
ok(defined root_sql('SET GLOBAL wait_timeout = 28800'), 'wait_timeout restored');

# --- connections killed by the server --------------------------------------
# Kills the server side of every connection of the module; returns how
# many were killed and how many there were.
sub kill_pooled {
    my $ids = root_sql(q{SELECT GROUP_CONCAT(id) FROM information_schema.processlist WHERE user = 'minicc'}) // '';
    my @ids = grep { /^\d+$/ } split /[,\s]+/, $ids;
    # a connection may end on its own between the list and its KILL (one
    # opened while wait_timeout was 2 s): gone is as good as killed
    my $killed = grep { my $id = $_; my $k = defined root_sql("KILL CONNECTION $id");
                        my $left = root_sql("SELECT CONCAT(COUNT(*), ' ', COALESCE(MAX(command), ''), ' ', COALESCE(MAX(state), ''), ' ', COALESCE(MAX(info), '')) FROM information_schema.processlist WHERE id = $id") // '?';
                        diag("KILL $id failed, and it is still there: $left") unless $k || $left =~ /^0 /;
                        $k || $left =~ /^0 / } @ids;
    return ($killed, scalar @ids);
}
my ($killed, $pooled) = kill_pooled();
ok($killed > 0, "killed the server side of $killed pooled connections");
ok($killed == $pooled, 'every KILL worked (or the connection had ended already)');
rounds($N, 'after KILL');

# A connection renewed a second time frees the statements of its first
# renewal: a pooled connection that lives through many restarts holds one
# set of statements, not one per restart.  Which pooled connections the
# rounds above happened to use twice is the server's choice: if none was,
# the connections are killed again (a round between), up to four times.
{
    my $renewals = sub { grep { /AH30204:/ } error_log_since($elog_at) };
    for (my $again = 0; $again < 4 && !grep { /the stale ones freed/ } $renewals->(); $again++) {
        kill_pooled();
        round() for 1 .. 2;
    }
    my @renewed = $renewals->();
    ok((grep { /the stale ones freed/ } @renewed),
       'a second renewal freed the statements of the first')
        or diag(@renewed[0 .. ($#renewed < 5 ? $#renewed : 5)]);
}
