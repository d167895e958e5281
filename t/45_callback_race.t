# Call-backs under load and without the database (doc/contract.txt, 8):
# 32 idle operators asking at the same moment for one pending call-back:
# exactly one is sent to dial it, under the event and the prefork MPM; and
# with the database down, a caller who asks is still confirmed (the row
# waits in the spool and lands once the database is back) while the
# operators' loop goes on with the queue.  Servers of their own
# (t/lib/MiniCCSpoolTest.pm).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use MiniCCTest;
use MiniCCSpoolTest;
use Time::HiRes ();

use constant OPERATORS => 32;

plan tests => 2 * 6 + 9;

my $extra = <<'CONF';
<Location /minicc>
    MiniCCCallback On
    MiniCCQueue race
</Location>
<Location /minicc/callback>
    SetHandler minicc-callback
</Location>
CONF
my $loop = Response(Say(DEFAULT_MSG('operator')),
                    [ 'Dial', { timeout => '20', action => 'operator', method => 'POST' },
                      Queue('race', url => 'guidance', method => 'POST') ],
                    Redirect('operator', method => 'POST'));

sub race {
    my ($mpm) = @_;
    ok(db_wait_up(), "$mpm: MariaDB is up");
    db_do(q{DELETE FROM callbacks WHERE Queue = 'race'});
    my $srv = httpd_start(name => "cb-race-$mpm", mpm => $mpm, extra => $extra);
    ok($srv, "$mpm: httpd started") or return;
    my @ops = map { sid() } 1 .. OPERATORS;
    # each operator's first loop: none is due yet
    my $first = grep { my $r = http_post($srv, '/minicc/operator', [CallSid => $_, From => '+1555045' . substr($_, -4)]);
                       $r->code == 200 && same(twiml($r), $loop) } @ops;
    is($first, OPERATORS, "$mpm: " . OPERATORS . ' operators in the loop');
    my $asker = sid();
    my $res = http_post($srv, '/minicc/callback', [CallSid => $asker, From => '+15554450001', To => '+15559990045',
                                                   Digits => '1', QueueTime => 12]);
    ok($res->code == 200 && $res->content =~ m{<Leave/>}, "$mpm: a caller asks for a call-back");
    callers_changed();
    # every operator's Dial took no caller: all of them at once
    my @reqs = map { { path => '/minicc/operator', pairs => [CallSid => $_, From => '+1555045' . substr($_, -4),
                                                                DialCallStatus => 'no-answer'] } } @ops;
    my @got = clients_wait(clients_start($srv, \@reqs, OPERATORS, start_at => Time::HiRes::time() + 1));
    my @dialled = grep { $got[$_] && $got[$_]{body} =~ m{<Number[^>]*>\+15554450001</Number>} } 0 .. $#got;
    my @looped = grep { twiml_is($got[$_], $loop) } 0 .. $#got;
    my ($status, $operator) = dbh()->selectrow_array('SELECT Status, Operator FROM callbacks WHERE CallSid = ?', undef, $asker);
    ok(@dialled == 1 && @looped == OPERATORS - 1 && $status eq 'dialling' && $operator eq $ops[$dialled[0] // 0],
       sprintf('%s: %d operators at once: exactly one dials the call-back (%d dialled, %d went on with the queue; %s by %s)',
               $mpm, OPERATORS, scalar @dialled, scalar @looped, $status // 'NULL', $operator // 'NULL'));
    is(join("\n", crash_lines($srv)), '', "$mpm: no child crashed");
    httpd_stop($srv);
}

race('event');
race('prefork');

# ---- the database down --------------------------------------------------------------------
ok(db_wait_up(), 'outage: MariaDB is up to begin with');
my $srv = httpd_start(name => 'cb-outage', mpm => 'event', extra => $extra);
ok($srv, 'outage: httpd with MiniCCSpool started') or BAIL_OUT('no server');
my $op = sid();
http_post($srv, '/minicc/operator', [CallSid => $op, From => '+15550045999']);
ok(db_stop(), 'outage: MariaDB stopped');
my $asker = sid();
my @call = (CallSid => $asker, From => '+15554450002', To => '+15559990045');
my $res = http_post($srv, '/minicc/callback', [@call, Digits => '1', QueueTime => 40]);
ok($res->code == 200 && same(twiml($res), Response([ 'Leave', {} ])), 'outage: the caller asks: <Leave/>');
$res = http_post($srv, '/minicc/exit', [@call, QueueResult => 'leave', QueueTime => 41]);
ok($res->code == 200 && same(twiml($res), Response(Say('Thank you. We will call you back when it is your turn. Goodbye.'), Hangup())),
   'outage: minicc-exit still confirms it (no MiniCCMaxQueue/MaxWait here: a leave is a call-back)') or diag($res->content);
$res = http_post($srv, '/minicc/operator', [CallSid => $op, From => '+15550045999', DialCallStatus => 'no-answer']);
ok($res->code == 200 && same(twiml($res), $loop), 'outage: the operators\' loop goes on with the queue');
ok(db_start(), 'outage: MariaDB started again');
ok(poll(sub { dbh()->selectrow_array(q{SELECT Status = 'pending' AND `From` = '+15554450002' AND Queue = 'race'
                                       AND TIMESTAMPDIFF(SECOND, Joined, `Time`) = 40 FROM callbacks WHERE CallSid = ?},
                                     undef, $asker) }, 60),
   'outage: the spooled request lands in callbacks, pending, with its place in line');
ok(poll(sub { -e $srv->{spool} && !-s _ }, 30) && httpd_stop($srv) && !crash_lines($srv),
   'outage: the spool drained, httpd stopped, no child crashed');
