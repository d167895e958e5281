# One database connection per child (DBDMin 0, DBDKeep 1, DBDMax 1) and 50
# requests at once, twice (issue 4): the threads of a child wait for the one
# connection (mod_dbd has no acquire timeout) or spool; either way every
# answer is 200 TwiML and every row arrives.  Event MPM, 2 children of 25
# threads; the database is up.  Own httpd: t/lib/MiniCCSpoolTest.pm.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use MiniCCTest;
use MiniCCSpoolTest;
use Time::HiRes ();

my $N = 50;
plan tests => 2 + 2 * 2 + 1 + 4 + 1 + 2;

ok(db_wait_up(), 'MariaDB is up');
my $srv = httpd_start(name => 'dbdmax', mpm => 'event',
                      dbd => { Min => 0, Keep => 1, Max => 1 },
                      mpm_conf => join("\n", 'StartServers 2', 'ServerLimit 2', 'ThreadLimit 25',
                                       'ThreadsPerChild 25', 'MinSpareThreads 25',
                                       'MaxSpareThreads 50', 'MaxRequestWorkers 50',
                                       'MaxConnectionsPerChild 0', ''));
ok($srv, 'httpd (event, DBDMax 1) with MiniCCSpool started') or BAIL_OUT('no server');

my $tag = "spool-dbdmax-$$-" . time;
my @all;
for my $round (1, 2) {
    my $reqs = call_requests("$tag", [qw(exit status incoming)], $N);
    push @all, @$reqs;
    # every client sends one request, all at the same moment
    my $h = clients_start($srv, $reqs, $N, start_at => Time::HiRes::time() + 2);
    my @res = clients_wait($h);
    my @not200 = grep { !$res[$_] || $res[$_]{code} != 200 || $res[$_]{internal} } 0 .. $N - 1;
    is(scalar @not200, 0, "round $round: $N concurrent requests, all answered 200")
        or diag(join "\n", map { "$reqs->[$_]{path}: " . ($res[$_] ? "$res[$_]{code} $res[$_]{body}" : 'no answer') } @not200[0 .. ($#not200 < 9 ? $#not200 : 9)]);
    my @wrong = grep { !twiml_is($res[$_], expected_answer($reqs->[$_])) } 0 .. $N - 1;
    is(scalar @wrong, 0, "round $round: every answer is the right TwiML")
        or diag(join "\n", map { "$reqs->[$_]{path}: " . ($res[$_] ? "$res[$_]{code} $res[$_]{ctype} $res[$_]{body}" : 'no answer') } @wrong[0 .. ($#wrong < 5 ? $#wrong : 5)]);
}

my @rows = grep { $_->{table} } @all;
my $n = @rows;
my $arrived = poll(sub {
    my $c = 0;
    for my $t (qw(enqueue_data statuscallback_data)) {
        $c += keys %{ rows_by_sid($t, [map { $_->{sid} } grep { $_->{table} eq $t } @rows]) };
    }
    return $c == $n;
}, 60);
ok($arrived, "all $n rows arrived (within 60 s)");
rows_match(\@all, 'DBDMax 1');
my $spooled = log_count($srv, qr/AH30503/);
diag("$spooled of the $n rows went through the spool") if $spooled;
ok(poll(sub { -e $srv->{spool} && -s _ == 0 }, 60), 'the spool file is empty at the end');
ok(httpd_stop($srv), 'httpd stopped');
my @crash = crash_lines($srv);
is(scalar @crash, 0, 'no child crashed') or diag(join "\n", @crash[0 .. ($#crash < 4 ? $#crash : 4)]);
