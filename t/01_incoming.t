# minicc-incoming with the built-in defaults (doc/contract.txt, 2 and 3; doc/DEFAULTS.txt).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use MiniCCTest;

my @junk = ('', '3', '0', '9', '*', '#', '12', '11', '1x', 'x1', '21', 'junk', ' 1');

plan tests => 4 * (5 + @junk) + 1;

db_wait_up();
my $operator = '+15550001001';
add_operator($operator);

my $url = '/minicc/incoming';
my $enqueue = Enqueue('support', waitUrl => 'wait', waitUrlMethod => 'POST',
                      action => 'exit', method => 'POST');
sub gather_with {
    my ($msg) = @_;
    return Response(
        Gather({ numDigits => '1', timeout => '10', action => 'incoming', method => 'POST' },
               Say(DEFAULT_MSG($msg))),
        Say(DEFAULT_MSG('noinput')),
        $enqueue);
}

# An operator calling the number goes to the operator loop.
twiml_ok(post($url, [CallSid => sid(), From => $operator, To => '+15559990000']),
         Response(Redirect('operator', method => 'POST')),
         'operator calls in');

# A customer's first request: the menu.
twiml_ok(post($url, [CallSid => sid(), From => '+15551230001', To => '+15559990000']),
         gather_with('welcome'), 'customer first contact');

# A From that is not an operator, a prefix of one or with extra text.
twiml_ok(post($url, [CallSid => sid(), From => '+1555000100', To => '+15559990000']),
         gather_with('welcome'), 'prefix of an operator number is a customer');

# Digits=1: connect to the queue.
twiml_ok(post($url, [CallSid => sid(), From => '+15551230001', Digits => '1']),
         Response(Say(DEFAULT_MSG('connecting')), $enqueue), 'Digits=1');

# Digits=2: product information.
twiml_ok(post($url, [CallSid => sid(), From => '+15551230001', Digits => '2']),
         Response(Redirect('information', method => 'POST')), 'Digits=2');

# Anything else: the menu again with the retry message.
for my $d (@junk) {
    twiml_ok(post($url, [CallSid => sid(), From => '+15551230001', Digits => $d]),
             gather_with('retry'), "Digits='$d' -> retry");
}

# The database is still there and untouched by the lookups.
is(scalar dbh()->selectrow_array('SELECT COUNT(*) FROM operators WHERE telnum = ?', undef, $operator),
   1, 'operator row still there');
