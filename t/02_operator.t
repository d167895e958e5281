# minicc-operator: the operators' loop and operator_sessions.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use MiniCCTest;
use Time::HiRes qw(sleep);

plan tests => 4 * 4 + 11 + 1;

db_wait_up();

my $expect = Response(
    Say(DEFAULT_MSG('operator')),
    Dial(Queue('support', url => 'guidance', method => 'POST')),
    Redirect('operator', method => 'POST'));

my $sid = sid();
my $from = '+15550002001';
twiml_ok(post('/minicc/operator', [CallSid => $sid, From => $from, To => '+15559990000',
                                    CallStatus => 'in-progress', Direction => 'inbound']),
         $expect, 'operator, first request');

my $r1 = db_row('operator_sessions', $sid);
ok($r1, 'operator_sessions row written') or diag("no row for $sid");
$r1 ||= {};
is($r1->{telnum}, $from, 'telnum is From');
ok(defined $r1->{Started} && defined $r1->{LastSeen}, 'Started and LastSeen set');
my ($age) = dbh()->selectrow_array(
    'SELECT ABS(TIMESTAMPDIFF(MICROSECOND, Started, NOW(6))) FROM operator_sessions WHERE CallSid = ?',
    undef, $sid);
ok(defined $age && $age < 60e6, 'Started is close to now') or diag('Started - now = ' . ($age // 'undef') . ' us');

sleep 1.2;    # DATETIME(6): LastSeen must visibly advance

twiml_ok(post('/minicc/operator', [CallSid => $sid, From => $from, To => '+15559990000',
                                    CallStatus => 'in-progress', Direction => 'inbound']),
         $expect, 'operator, same call again');
is(db_count('operator_sessions', $sid), 1, 'still one row for the CallSid');
my $r2 = db_row('operator_sessions', $sid) || {};
is($r2->{telnum}, $from, 'telnum unchanged');
is($r2->{Started}, $r1->{Started}, 'Started kept from the first request');
ok(defined $r2->{LastSeen} && defined $r1->{LastSeen} && $r2->{LastSeen} gt $r1->{LastSeen},
   'LastSeen advanced') or diag("LastSeen " . ($r1->{LastSeen} // 'undef') . " -> " . ($r2->{LastSeen} // 'undef'));
my ($gap) = dbh()->selectrow_array(
    'SELECT TIMESTAMPDIFF(MICROSECOND, ?, LastSeen) FROM operator_sessions WHERE CallSid = ?',
    undef, $r1->{LastSeen} // '1970-01-01', $sid);
ok(defined $gap && $gap >= 1e6, 'LastSeen advanced by the time between the requests')
    or diag("gap " . ($gap // 'undef') . " us");

# A second operator is a second row.
my $sid2 = sid();
twiml_ok(post('/minicc/operator', [CallSid => $sid2, From => '+15550002002']),
         $expect, 'second operator');
is(db_count('operator_sessions', $sid2), 1, 'second operator has its row');
is(db_count('operator_sessions', $sid), 1, 'first operator still one row');

# Without a CallSid there is nothing to record, but the operator still gets
# the queue: doc/contract.txt, 2, "whatever became of the row (even with no
# valid CallSid, when nothing is recorded)"; operator "never refuses".
twiml_ok(post('/minicc/operator', [From => '+15550002003']), $expect, 'operator without CallSid: the loop');
is(scalar dbh()->selectrow_array('SELECT COUNT(*) FROM operator_sessions WHERE telnum = ?', undef, '+15550002003'),
   0, 'operator without CallSid: nothing recorded');
