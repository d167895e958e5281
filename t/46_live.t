# What is happening now (doc/contract.txt, 9): callers driven into and out
# of a queue through the webhooks, and minicc-live following them within a
# poll interval; operators on the line and talking; call-backs in line;
# today's figures as the report has them; minicc-metrics parsed by a real
# Prometheus parser (Debian's python3-prometheus-client), its counters
# moving as requests are made; the page in headless Chromium at a phone's
# width (a screenshot kept in t/logs/live.png).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use JSON::PP ();
use MiniCCTest;
use MiniCCReport;
use MiniCCSpoolTest ();
use Time::HiRes ();
use File::Temp ();
use LWP::UserAgent ();

plan tests => 37;

db_wait_up();
db_do(q{DELETE FROM callbacks WHERE Queue = 'livq'});
# Today's figures and the operators on the line count every row of the
# database: this file's alone, so that they are known by hand (as t/31).
db_do("TRUNCATE TABLE $_") for qw(enqueue_data queue_data statuscallback_data operator_sessions
                                  report_hours report_hangups report_pickups report_operators);

sub live { my $res = GET('/minicc/live?format=json'); return $res->code == 200 ? JSON::PP::decode_json($res->content) : undef }
sub livq { my ($l) = @_; my ($q) = grep { $_->{queue} eq 'livq' } @{ ($l // {})->{queues} // [] }; return $q // { waiting => 0, longest_wait_seconds => 0, callbacks_pending => 0 } }
# Waits until $check->(live JSON) holds (a poll interval: the children write
# who waits once a second); the last figures.
sub follow {
    my ($check) = @_;
    my $l;
    for (1 .. 30) {
        $l = live();
        return $l if $l && $check->($l);
        Time::HiRes::sleep(0.2);
    }
    return $l;
}

# The metrics as the Prometheus client library parses them: { "name{labels}" => value }.
sub metrics {
    my $res = GET('/minicc/metrics');
    return (undef, $res) unless $res->code == 200;
    my $py = <<'PY';
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
for fam in text_string_to_metric_families(sys.stdin.read()):
    out["#type " + fam.name] = fam.type
    for s in fam.samples:
        labels = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
        out["%s{%s}" % (s.name, labels)] = s.value
print(json.dumps(out))
PY
    my $dir = File::Temp::tempdir(CLEANUP => 1);
    open my $fh, '>', "$dir/m.txt" or die; print $fh $res->content; close $fh;
    open my $pf, '>', "$dir/p.py" or die; print $pf $py; close $pf;
    my $json = qx{/usr/bin/python3 "$dir/p.py" < "$dir/m.txt" 2>"$dir/err"};
    return ($? == 0 ? JSON::PP::decode_json($json) : undef, $res, scalar `cat "$dir/err"`);
}

my ($m0, $mres, $perr) = metrics();
ok($m0, 'minicc-metrics parses with prometheus_client') or diag($perr // $mres->as_string);
like($mres->header('Content-Type') // '', qr{\Atext/plain;\s*version=0\.0\.4}, '... text/plain; version=0.0.4');
is(join(' ', map { ($m0 // {})->{"#type $_"} // 'none' } qw(minicc_requests minicc_database_errors minicc_batch_rows minicc_queue_waiting minicc_operators_online)),
   'counter counter histogram gauge gauge', '... with the TYPE of each family (counter, histogram, gauge)');

my $l0 = live();
ok($l0 && ref $l0->{queues} eq 'ARRAY' && exists $l0->{today} && exists $l0->{operators_online} && exists $l0->{spool_backlog},
   'minicc-live JSON: queues, operators_online, operators_talking, today, spool_backlog');
is(livq($l0)->{waiting}, 0, 'no one waiting in livq to begin with');

# ---- callers into the queue ------------------------------------------------------------------
my @c = map { sid() } 1 .. 3;
my $polls = 0;
for my $i (0 .. 2) {
    my $res = post('/live/wait', [CallSid => $c[$i], From => "+1555046000$i", QueueTime => 10 * ($i + 1), QueuePosition => $i + 1]);
    $polls++ if $res->code == 200;
}
my $t0 = Time::HiRes::time();
my $l1 = follow(sub { livq($_[0])->{waiting} == 3 });
my $took = Time::HiRes::time() - $t0;
is(livq($l1)->{waiting}, 3, sprintf('three callers poll the wait URL: 3 waiting in livq (seen after %.1f s)', $took));
ok($took < 3, '... within a poll interval');
ok(livq($l1)->{longest_wait_seconds} >= 30 && livq($l1)->{longest_wait_seconds} < 40,
   'the longest wait is the one who waited 30 s (' . livq($l1)->{longest_wait_seconds} . ' s)');
{
    my ($mw) = metrics();
    is(($mw // {})->{'minicc_queue_waiting{queue=livq}'}, 3, 'minicc_queue_waiting{queue="livq"}: 3, as the callers polled');
}

# ---- and out: one hangs up, one is picked up, one leaves with a call-back --------------------------
my $op = sid();
post('/live/operator', [CallSid => $op, From => '+15550046999']);
post('/live/exit', [CallSid => $c[0], QueueResult => 'hangup', QueueTime => 12]);
my $l2 = follow(sub { livq($_[0])->{waiting} == 2 });
is(livq($l2)->{waiting}, 2, 'one hangs up (queue exit): 2 waiting');
post('/live/guidance', [CallSid => $c[1], QueueTime => 15, QueueSid => sid('QU'), DequeingCallSid => $op]);
my $l3 = follow(sub { livq($_[0])->{waiting} == 1 });
is(livq($l3)->{waiting}, 1, 'one is picked up by the operator: 1 waiting');
is(join(' ', map { $_ // 'none' } @$l3{qw(operators_online operators_talking)}), '1 1',
   'the operator is on the line and talking: 1 online, 1 talking');
post('/live/exit', [CallSid => $c[1], QueueResult => 'bridged', QueueTime => 15]);
post('/live/callback', [CallSid => $c[2], From => '+15550460002', To => '+15559990046', Digits => '1', QueueTime => 35]);
post('/live/exit', [CallSid => $c[2], QueueResult => 'leave', QueueTime => 35]);
my $l4 = follow(sub { livq($_[0])->{waiting} == 0 && livq($_[0])->{callbacks_pending} == 1 });
is(join(' ', @{ livq($l4) }{qw(waiting callbacks_pending)}), '0 1', 'the third asks for a call-back: 0 waiting, 1 call-back in line');
post('/live/status', [CallSid => $op, CallStatus => 'completed', CallDuration => 60]);
my $l5 = follow(sub { $_[0]{operators_online} == 0 });
is($l5->{operators_online}, 0, "the operator's call ends (status callback): no one on the line");

# a caller who stops polling without an exit is no longer counted after a while: shown by the row's age
my $gone = sid();
post('/live/wait', [CallSid => $gone, From => '+15550460009', QueueTime => 5]);
follow(sub { livq($_[0])->{waiting} == 1 });
db_do(q{UPDATE live_waiting SET `Time` = `Time` - INTERVAL 16 MINUTE WHERE CallSid = ?}, $gone);
is(livq(live())->{waiting}, 0, 'a caller not seen for 15 minutes (no exit came) is no longer waiting');

# ---- a second server on the same database shows the same ----------------------------------------
{
    my $srv = MiniCCSpoolTest::httpd_start(name => 'live-2', mpm => 'prefork',
        extra => "<Location /minicc>\n    MiniCCQueue livq\n</Location>\n"
               . "<Location /minicc/live>\n    SetHandler minicc-live\n</Location>\n");
    ok($srv, 'a second server (prefork) on the same database') or diag('no server');
    my $other = sid();
    MiniCCSpoolTest::http_post($srv, '/minicc/wait', [CallSid => $other, From => '+15550460010', QueueTime => 50]);
    my $here = follow(sub { livq($_[0])->{waiting} == 1 });
    is(livq($here)->{waiting}, 1, 'a caller polls the second server: this one counts them too');
    my $ua = LWP::UserAgent->new(timeout => 30);
    # the longest waits are whole seconds of the clock: the other server's
    # answer is this one's just before it or just after it (a second may
    # turn between two requests; a CI run failed on 100049 against 100050)
    my $figures = sub { JSON::PP->new->canonical->encode([$_[0]{queues}, $_[0]{operators_online}, $_[0]{operators_talking}]) };
    my $before = live();
    my $res = $srv ? $ua->get("http://127.0.0.1:$srv->{port}/minicc/live?format=json") : undef;
    my $j = $res && $res->code == 200 ? JSON::PP::decode_json($res->content) : {};
    my $after = live();
    my $theirs = $figures->($j);
    ok($theirs eq $figures->($before) || $theirs eq $figures->($after),
       'and the second server shows the same live figures')
        or diag("theirs: $theirs\nmine before: " . $figures->($before) . "\nmine after: " . $figures->($after));
    post('/live/exit', [CallSid => $other, QueueResult => 'hangup', QueueTime => 55]);
    MiniCCSpoolTest::httpd_stop($srv) if $srv;
}

# ---- today's figures: this file's calls -------------------------------------------------------------
# Four queue exits: c0 hangup after 12 s and the second server's caller
# after 55 s (abandoned: MiniCCShortAbandon 5), c1 bridged, c2 leave (a
# call-back: not abandoned); one pick-up, after 15 s (within
# MiniCCServiceLevel 20).  No MiniCCSpool on this server: no backlog.
my $rep = JSON::PP::decode_json(GET('/minicc/report?format=json')->content);
my $l6 = live();
is(join(' ', map { $l6->{today}{$_} // 'none' } qw(offered answered abandoned service_level)), '4 1 2 1',
   "today's offered, answered, abandoned, service level: 4, 1, 2, 1 (this file's calls)");
is(join(' ', map { $rep->{$_} // 'none' } qw(offered answered abandoned service_level)), '4 1 2 1',
   '... and the report for today says the same');
is(join(' ', map { $_ // 'none' } $l6->{spool_backlog}, $rep->{spool_backlog}), '0 0', '... and no spool backlog');

# ---- the metrics move ---------------------------------------------------------------------------------
my ($m1) = metrics();
my $wait_key = 'minicc_requests_total{handler=minicc-wait,status=200}';
is((($m1 // {})->{$wait_key} // -1) - ($m0->{$wait_key} // 0), $polls + 1,
   'minicc_requests_total{handler="minicc-wait",status="200"}: the 4 polls made here') or diag(explain([$m0->{$wait_key}, $m1->{$wait_key}]));
my $r405 = GET('/live/wait');
is($r405->code, 405, 'a GET to a webhook: 405');
my ($m2) = metrics();
my $k405 = 'minicc_requests_total{handler=minicc-wait,status=405}';
is(($m2->{$k405} // 0) - ($m1->{$k405} // 0), 1, '... counted under status="405"');
ok(($m2->{'minicc_batch_rows_count{}'} // 0) > ($m0->{'minicc_batch_rows_count{}'} // 0)
   && ($m2->{'minicc_batch_rows_sum{}'} // 0) >= ($m2->{'minicc_batch_rows_count{}'} // 0),
   'minicc_batch_rows: statements and rows counted as the webhooks recorded');
is($m2->{'minicc_queue_waiting{queue=livq}'}, 0, 'minicc_queue_waiting{queue="livq"}: 0, every caller gone');
is($m2->{'minicc_callbacks_pending{queue=livq}'}, 1, 'minicc_callbacks_pending{queue="livq"}: 1');
is(join(' ', map { $m2->{"minicc_$_\{}"} // 'none' } qw(today_offered today_answered today_abandoned today_service_level
                                                         operators_online operators_talking)),
   '4 1 2 1 0 0', 'minicc_today_*: 4 offered, 1 answered, 2 abandoned, service level 1; no operator on the line');
is($m2->{'minicc_database_up{}'}, 1, 'minicc_database_up 1');

# ---- the page ------------------------------------------------------------------------------------------
my $html = GET('/minicc/live')->content;
like($html, qr{<meta http-equiv="refresh" content="\d+">}, 'the page refreshes itself (no script)');
unlike($html, qr{<script}i, '... and has none');
my $ja = GET('/live-ja/live')->content;
like($ja, qr{<html lang="ja">.*待ち人数}s, 'in Japanese where MiniCCLanguage is ja-JP');

{   # Chromium is a dependency of the suite (scripts/install-deps): without it these fail
    my $png = Apache::Test::vars('t_logs') . '/live.png';
    unlink $png;
    my $r = chromium_run(page_url('/minicc/live'), '--dump-dom', '--window-size=390,844');
    ok($r->{rc} == 0 && $r->{out} =~ /id="operators_online"/, 'headless Chromium renders the page') or diag($r->{err});
    is(join("\n", console_lines($r->{err})), '', '... without a console message');
    ok($r->{out} =~ m{<meta http-equiv="refresh" content="5">}, "the rendered page carries its 5 s refresh");
    # the reload itself, in real time: 10 s with the page open are its
    # first load and one or two reloads (every 5 s), counted by the server
    my $k = 'minicc_requests_total{handler=minicc-live,status=200}';
    my ($w0) = metrics();
    my $w = chromium_watch(page_url('/minicc/live'), 10);
    my ($w1) = metrics();
    my $loads = ($w1->{$k} // 0) - ($w0->{$k} // 0);
    ok($w->{rc} == 124 && $loads >= 2 && $loads <= 3,
       "the browser reloads the page by itself: $loads loads in 10 s") or diag($w->{err});
    $r = chromium_run(page_url('/minicc/live'), "--screenshot=$png", '--window-size=390,844', '--hide-scrollbars');
    ok($r->{rc} == 0 && -s $png, "a phone's width (390 px): screenshot $png") or diag($r->{err});
}
