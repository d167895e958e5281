# The first contact's copy of the operators and holidays (doc/contract.txt,
# 2 and 7; mod_minicc/callers.c): while the database is away, a child
# answers from the last copy it read (and logs so); a child that never
# read the tables answers with the trouble message; once the database is
# back, changes are seen within a second again.
#
# A server of its own with one prefork process, so that which child holds
# which copy is known (t/lib/MiniCCSpoolTest.pm).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use MiniCCTest;
use MiniCCSpoolTest;

plan tests => 27;

ok(db_wait_up(), 'MariaDB is up to begin with');
my $operator = '+15550043001';
add_operator($operator);
my $holiday = '2026-12-10';
db_do('INSERT IGNORE INTO holidays (`Day`, Name) VALUES (?, ?)', $holiday, 'Copy test day');

my $one = "StartServers 1\nMinSpareServers 1\nMaxSpareServers 1\n"
        . "ServerLimit 1\nMaxRequestWorkers 1\nMaxConnectionsPerChild 0\n";
my $srv = httpd_start(name => 'callers', mpm => 'prefork', mpm_conf => $one,
                      extra => "<Location /holiday/incoming>\n    SetHandler minicc-incoming\n"
                             . "    MiniCCTestTime \"$holiday 12:00:00\"\n</Location>\n"
                             . "<Location /custom/incoming>\n    SetHandler minicc-incoming\n"
                             . "    MiniCCMessage trouble \"Custom trouble.\"\n    MiniCCLanguage ja-JP\n"
                             . "    MiniCCVoice Polly.Mizuki\n</Location>\n");
ok($srv, 'httpd started: prefork, one process') or BAIL_OUT('no server');

my $to_operator = Response(Redirect('operator', method => 'POST'));
my $welcome = Response(
    Gather({ numDigits => '1', timeout => '10', action => 'incoming', method => 'POST' },
           Say(DEFAULT_MSG('welcome'))),
    Say(DEFAULT_MSG('noinput')),
    Enqueue('support', waitUrl => 'wait', waitUrlMethod => 'POST', action => 'exit', method => 'POST'));
my $closed = Response(Say(DEFAULT_MSG('closed')), Hangup());
my $trouble = Response(Say(DEFAULT_MSG('trouble')), Hangup());

sub is_answer { my ($res, $want) = @_; return $res->code == 200 && same(twiml($res), $want) }

sub answers {
    my ($name, $want_op, $want_customer, $want_holiday) = @_;
    my @got = (http_post($srv, '/minicc/incoming', [CallSid => sid(), From => $operator]),
               http_post($srv, '/minicc/incoming', [CallSid => sid(), From => '+15551243001']),
               http_post($srv, '/holiday/incoming', [CallSid => sid(), From => '+15551243002']));
    ok(is_answer($got[0], $want_op), "$name: the operator") or diag($got[0]->as_string);
    ok(is_answer($got[1], $want_customer), "$name: a customer") or diag($got[1]->as_string);
    ok(is_answer($got[2], $want_holiday), "$name: a customer on a holiday") or diag($got[2]->as_string);
    is(join(' ', map { $_->code } @got), '200 200 200', "$name: 200 each");
}

answers('database up', $to_operator, $welcome, $closed);

my $log0 = length read_log($srv);
ok(db_stop(), 'MariaDB stopped');
sleep 1;    # the copy is older than a second now: a read is tried, and fails
answers('database down, the copy of a second ago', $to_operator, $welcome, $closed);
my $log = substr(read_log($srv), $log0);
like($log, qr/AH30801: [^\n]*answered from the operators, holidays and call-backs read \d+ s ago: reading them again failed or is slow/,
     'the log says the answers came from the last copy (AH30801)');
like($log, qr/AH302\d\d: [^\n]*reading the operators and the holidays from \d{4}-\d\d-\d\d on/,
     '... and why the read failed');

# a restarted child has no copy: nothing to answer from
my $old = join ',', children_of($srv->{pid});
my ($rc, $out) = MiniCCSpoolTest::run_httpd($srv, '-k', 'restart');
is($rc, 0, 'httpd -k restart while the database is down') or diag($out);
ok(poll(sub { my $k = join ',', children_of($srv->{pid}); $k ne '' && $k ne $old }, 30, 0.1),
   '... a new child') or diag("children: $old");
$log0 = length read_log($srv);
my $res = http_post($srv, '/minicc/incoming', [CallSid => sid(), From => $operator]);
ok(is_answer($res, $trouble), 'a new child, database down: the trouble message (no copy to answer from)')
    or diag($res->as_string);
{
    my $customer = http_post($srv, '/minicc/incoming', [CallSid => sid(), From => '+15551243003']);
    ok(is_answer($customer, $trouble), '... for a customer too');
    ok(is_answer(http_post($srv, '/custom/incoming', [CallSid => sid(), From => '+15551243003']),
                 Response(Say('Custom trouble.', language => 'ja-JP', voice => 'Polly.Mizuki'), Hangup())),
       '... in the words of MiniCCMessage trouble where it is set');
    my $digits = http_post($srv, '/minicc/incoming', [CallSid => sid(), From => '+15551243003', Digits => '1']);
    is($digits->code, 200, '... a key pressed needs no copy: 200');
    like(substr(read_log($srv), $log0), qr/AH302\d\d: [^\n]*reading the operators and the holidays/,
         '... and the failed read is logged');
}

ok(db_start(), 'MariaDB started again');
ok(poll(sub { is_answer(http_post($srv, '/minicc/incoming', [CallSid => sid(), From => $operator]), $to_operator) }, 30, 0.5),
   'the database back: the operator is recognised again');

# changes are seen within a second
db_do('DELETE FROM holidays WHERE `Day` = ?', $holiday);
db_do('DELETE FROM operators WHERE telnum = ?', $operator);
callers_changed();
answers('the holiday and the operator deleted, a second later', $welcome, $welcome, $welcome);

is(join("\n", crash_lines($srv)), '', 'no child crashed');
httpd_stop($srv);
