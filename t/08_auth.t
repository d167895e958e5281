# Apache's own authentication in front of a webhook (AuthBasicProvider file
# and dbd), checked before the method (doc/contract.txt, 1: the order of
# the checks).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use MiniCCTest;

plan tests => 2 * (2 + 1 + 4 + 1 + 1);

db_wait_up();

my $welcome = Response(
    Gather({ numDigits => '1', timeout => '10', action => 'incoming', method => 'POST' },
           Say(DEFAULT_MSG('welcome'))),
    Say(DEFAULT_MSG('noinput')),
    Enqueue('support', waitUrl => 'wait', waitUrlMethod => 'POST', action => 'exit', method => 'POST'));

for my $case (['/auth-file/incoming', 's3cret'], ['/auth-dbd/incoming', 'dbpass']) {
    my ($url, $pass) = @$case;
    my $res = post($url, [From => '+15551231101']);
    is($res->code, 401, "$url without credentials: 401");
    like($res->header('WWW-Authenticate') // '', qr/^Basic/i, "$url: Basic challenge");
    $res = post($url, [From => '+15551231101'], username => 'twilio', password => 'wrong');
    is($res->code, 401, "$url with a wrong password: 401");
    twiml_ok(post($url, [From => '+15551231101'], username => 'twilio', password => $pass),
             $welcome, "$url with the right password");
    is(GET($url)->code, 401, "$url GET without credentials: 401 before 405");
    is(GET($url, username => 'twilio', password => $pass)->code, 405,
       "$url GET with credentials: 405");
}
