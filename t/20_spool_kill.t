# kill -9 of Apache children in the middle of a load while MariaDB is down,
# so that rows are being appended to the spool as they die (issue 4): once
# the database is back, no row whose request got a 200 is missing, no row is
# duplicated or changed, and the spool drains (a record torn by the kill is
# skipped, not replayed as garbage).  Event MPM: a killed child takes all
# the requests its threads were serving.  Own httpd: t/lib/MiniCCSpoolTest.pm.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use MiniCCTest;
use MiniCCSpoolTest;
use Time::HiRes ();

my $N = 240;
my @kill_at = (40, 120);       # rows in the spool when a child is killed
plan tests => 3 + @kill_at + 3 + 1 + 2 + 2 + 2 + 2 - 1;

ok(db_wait_up(), 'MariaDB is up');
my $srv = httpd_start(name => 'kill', mpm => 'event');
ok($srv, 'httpd (event) with MiniCCSpool started') or BAIL_OUT('no server');
my $spool = $srv->{spool};
my $tag = "spool-kill-$$-" . time;
my $reqs = call_requests($tag, [qw(exit status guidance operator)], $N);

ok(db_stop(), 'MariaDB stopped, really down');

# running (not a zombie waiting for its parent)
sub alive {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/stat" or return 0;
    my $st = <$fh> // '';
    return $st =~ /\)\s+([A-Za-z])/ && $1 ne 'Z' && $1 ne 'X';
}

sub spooled { my $b = slurp($spool) // ''; return scalar(() = $b =~ /MINICC1 /g) }

my $h = clients_start($srv, $reqs, 8);
my @killed;
for my $at (@kill_at) {
    my $reached = poll(sub { spooled() >= $at }, 60, 0.01);
    # a child that is spooling right now: the one that logged the last
    # AH30503, if it is alive, else any living child
    my %dead = map { $_ => 1 } @killed;
    my @kids = grep { !$dead{$_} && alive($_) } children_of($srv->{pid});
    my ($busy) = MiniCCSpoolTest::read_log($srv) =~ /.*\[pid (\d+):tid \d+\][^\n]*AH30503/s;
    my ($victim) = grep { $_ == ($busy // 0) } @kids;
    $victim //= $kids[0];
    my $ok = $reached && $victim && kill('KILL', $victim)
        && poll(sub { !alive($victim) }, 10, 0.05);
    push @killed, $victim if $ok;
    ok($ok, "kill -9 of child $victim with " . spooled() . " rows in the spool (aimed at $at)")
        or diag('children: ' . join(' ', @kids) . ', spooled ' . spooled());
}
my @res = clients_wait($h);
my %got200 = map { $reqs->[$_]{sid} => 1 }
             grep { twiml_is($res[$_], expected_answer($reqs->[$_])) } 0 .. $N - 1;
my @other = grep { !$got200{$reqs->[$_]{sid}} } 0 .. $N - 1;
my @bad200 = grep { $res[$_] && $res[$_]{code} == 200 && !$res[$_]{internal} && !$got200{$reqs->[$_]{sid}} } 0 .. $N - 1;
diag(scalar(@other) . " of $N requests got no answer (their child was killed): "
     . join(', ', map { $res[$_] ? "$res[$_]{code}" : 'none' } @other)) if @other;
ok(keys(%got200) >= $N - 60, 'most requests were answered (' . scalar(keys %got200) . " of $N)");
is(scalar @bad200, 0, 'every 200 carries the right TwiML');
{   # the server replaced the children and goes on
    my $r = call_requests("$tag-after", ['exit'], 1)->[0];
    my $res = http_post($srv, $r->{path}, $r->{pairs});
    push @$reqs, $r;
    $got200{$r->{sid}} = 1 if $res->code == 200;
    is($res->code, 200, 'after the kills the server still answers (new children)');
}
my ($recs, $damaged) = spool_records(slurp($spool) // '');
diag(scalar(@$recs) . " whole records and $damaged damaged bytes in the spool");
ok(scalar(@$recs) >= keys %got200, 'the spool holds at least a record for each request answered 200');

ok(db_start(), 'MariaDB started again');
my %by_table;
push @{ $by_table{$_->{table}} }, $_ for @$reqs;
my $found;
my $all = poll(sub {
    $found = {};
    for my $t (keys %by_table) {
        my $rows = rows_by_sid($t, [map { $_->{sid} } @{ $by_table{$t} }]);
        $found->{$t} = $rows;
    }
    return 0 if grep { $got200{$_->{sid}} && !$found->{$_->{table}}{$_->{sid}} } @$reqs;
    return -e $spool && -s _ == 0;
}, 90);
ok($all, 'within 90 s: every row answered 200 is in the database and the spool is empty');
my @missing = map { "$_->{table} $_->{sid}" } grep { $got200{$_->{sid}} && !$found->{$_->{table}}{$_->{sid}} } @$reqs;
is(scalar @missing, 0, 'no row whose request got a 200 is missing') or diag(join "\n", @missing[0 .. ($#missing < 9 ? $#missing : 9)]);

# every row there has exactly the values sent (a torn record never replayed
# as garbage), and there is no row that was not sent
my %arrival = map { $_ => 1 } qw(Time Started Since LastSeen);
my @differ;
for my $r (@$reqs) {
    my $row = $found->{$r->{table}}{$r->{sid}} or next;
    my %cmp = map { $_ => $row->{$_} } grep { !$arrival{$_} } keys %$row;
    push @differ, "$r->{table} $r->{sid}" unless same(\%cmp, $r->{expect});
}
is(scalar @differ, 0, 'every row in the database has the values sent') or diag(join "\n", @differ[0 .. ($#differ < 9 ? $#differ : 9)]);
my $strays = 0;
for my $t (qw(enqueue_data queue_data statuscallback_data)) {
    my ($c) = dbh()->selectrow_array("SELECT COUNT(*) FROM `$t` WHERE `To` = ?", undef, $tag);
    $strays += $c - grep { ($_->{To} // "") eq $tag } values %{ $found->{$t} || {} };
}
is($strays, 0, 'no row in the database that was not sent (nothing duplicated or invented)');

my $torn = log_count($srv, qr/AH30507/);
diag("$torn torn records were skipped (AH30507)") if $torn;
ok(httpd_stop($srv), 'httpd stopped');
my @crash = crash_lines($srv, allow_kill => 1);
is(scalar @crash, 0, 'no child crashed (other than the ones killed)') or diag(join "\n", @crash[0 .. ($#crash < 4 ? $#crash : 4)]);
