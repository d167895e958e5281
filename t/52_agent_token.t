# Operators in a browser, the token (doc/contract.txt 14): minicc-agent-token
# gives the Apache user who asked a Twilio access token: a JWT signed HS256
# with the API key's secret, the claims of Twilio's helper libraries.  Here
# it is checked by an implementation of its own (Digest::SHA's HMAC, MIME
# base64, JSON::PP); the directives' mistakes stop configtest.
use strict;
use warnings FATAL => 'all';
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use File::Temp qw(tempdir);
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64 decode_base64);
use JSON::PP ();
use LWP::UserAgent ();
use HTTP::Request::Common qw(GET POST);
use Encode qw(encode);
use MiniCCTest;

my $tmp = tempdir('minicc-agent-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $secret = 'a-secret-of-the-test-0123456789ab';
open my $fh, '>', "$tmp/two-words" or die; print $fh "$secret more\n"; close $fh;
open $fh, '>', "$tmp/empty" or die; close $fh;

my @bad = (
    ['MiniCCAccountSid SK0123456789abcdef0123456789abcdef', 'MiniCCAccountSid'],
    ['MiniCCAccountSid AC0123', 'MiniCCAccountSid'],
    ['MiniCCAPIKey AC0123456789abcdef0123456789abcdef', 'MiniCCAPIKey'],
    ['MiniCCTwimlApp APxyz3456789abcdef0123456789abcdef', 'MiniCCTwimlApp'],
    ['MiniCCTokenTTL 59', 'MiniCCTokenTTL'],
    ['MiniCCTokenTTL 86401', 'MiniCCTokenTTL'],
    ["MiniCCAPISecretFile $tmp/missing", 'MiniCCAPISecretFile'],
    ["MiniCCAPISecretFile $tmp/empty", 'MiniCCAPISecretFile'],
);

plan tests => @bad * 2 + 1 + 3 * 5 + 8 + 4 * 3 + 2;

configtest_rejects($tmp, \@bad);
{
    my (undef, $out) = configtest_location($tmp, "    MiniCCAPISecretFile $tmp/two-words");
    ok($out =~ /MiniCCAPISecretFile: '[^']*two-words' does not hold a secret/ && index($out, $secret) < 0,
       'a secret file of two words: configtest names the file, never what it holds')
        or diag($out);
}

my $base = 'http://' . Apache::TestRequest::hostport();
my $ua = LWP::UserAgent->new(timeout => 30);
sub get_as {
    my ($path, $user, $pass) = @_;
    my $req = GET("$base$path");
    $req->authorization_basic(encode('UTF-8', $user), $pass) if defined $user;
    return $ua->request($req);
}
sub unb64url { my ($s) = @_; $s =~ tr{-_}{+/}; $s .= '=' x ((4 - length($s) % 4) % 4); decode_base64($s) }
sub b64url { my $s = encode_base64($_[0], ''); $s =~ tr{+/}{-_}; $s =~ s/=+\z//; $s }

# The token of a user, checked part by part: 5 tests.
sub token_ok {
    my ($res, $user, $name) = @_;
    my $now = time;
    is($res->code, 200, "$name: 200") or diag($res->as_string);
    my $j = eval { JSON::PP->new->utf8->decode($res->content) } // {};
    my ($h, $p, $s) = split /\./, $j->{token} // '', -1;
    my $head = eval { JSON::PP->new->utf8->decode(unb64url($h // '')) } // {};
    my $body = eval { JSON::PP->new->utf8->decode(unb64url($p // '')) } // {};
    is_deeply($head, { alg => 'HS256', typ => 'JWT', cty => 'twilio-fpa;v=1' }, "$name: the header");
    my $iat = $body->{iat} // 0;
    is_deeply($body, { jti => "SK0123456789abcdef0123456789abcdef-$iat",
                       grants => { identity => $user,
                                   voice => { incoming => { allow => JSON::PP::true() },
                                              outgoing => { application_sid => 'AP0123456789abcdef0123456789abcdef' } } },
                       iat => $iat, exp => $iat + 600, iss => 'SK0123456789abcdef0123456789abcdef',
                       sub => 'AC0123456789abcdef0123456789abcdef' },
              "$name: the claims (identity the user, voice grant, exp = iat + MiniCCTokenTTL 600)")
        or diag(explain($body));
    ok(abs($iat - $now) <= 5 && ($j->{identity} // '') eq $user && ($j->{expires} // 0) == $iat + 600,
       "$name: issued now; the JSON says the identity and when it expires");
    is($s, b64url(hmac_sha256("$h.$p", $secret)), "$name: signed HS256 with the API key's secret");
}

is(get_as('/minicc/agent-token')->code, 401, 'no credentials: 401 (Apache\'s auth)');
my $res = get_as('/minicc/agent-token', 'anna', 'pw');
token_ok($res, 'anna', 'anna\'s token');
is($res->header('Cache-Control') // '', 'no-store', '... not to be cached');
like($res->header('Content-Type') // '', qr{^application/json}, '... JSON');
token_ok(get_as('/minicc/agent-token?identity=boss', 'anna', 'pw'), 'anna',
         'identity=boss in the query: still anna\'s token, never another\'s');
token_ok(get_as('/minicc/agent-token', 'o"ha\\東京', 'pw2'), 'o"ha\\東京',
         'a user name of a quote, a backslash and UTF-8');
is($ua->request(do { my $r = POST("$base/minicc/agent-token"); $r->authorization_basic('anna', 'pw'); $r })->code,
   405, 'POST: 405');
my $at = error_log_size();
is(get_as('/agent-noauth/agent-token')->code, 403, 'no Apache user (no auth in front): 403');
ok((grep { /AH31201/ } error_log_since($at)), '... logged, saying to put it behind authentication');
$at = error_log_size();
is(get_as('/agent-unset/agent-token', 'anna', 'pw')->code, 500, 'no MiniCCAccountSid where it runs: 500');
ok((grep { /AH31202.*MiniCCAccountSid/ } error_log_since($at)), '... logged, naming the directive');

# ---- minicc-client-voice: the TwiML App's Voice URL ----------------------------------------
db_wait_up();
db_do(q{DELETE FROM operators WHERE telnum = 'client:anna'});
db_do(q{INSERT INTO operators (telnum) VALUES ('client:anna')});
callers_changed();
my $loop = Response(Say(DEFAULT_MSG('operator')), Dial(Queue('support', url => 'guidance', method => 'POST')),
                    Redirect('operator', method => 'POST'));
my $sid = sid();
twiml_ok(post('/minicc/client-voice', [CallSid => $sid, From => 'client:anna', To => '',
                                       CallStatus => 'in-progress']),
         $loop, 'client:anna, an operator (operators.telnum client:anna): the operators\' loop');
is(join(' ', map { $_ // 'NULL' } @{ db_row('operator_sessions', $sid) // {} }{qw(telnum State)}),
   'client:anna ready', '... an operator call of client:anna, ready');
my $trouble = Response(Say(DEFAULT_MSG('trouble')), Hangup());
$at = error_log_size();
twiml_ok(post('/minicc/client-voice', [CallSid => sid(), From => 'client:bob', CallStatus => 'in-progress']),
         $trouble, 'client:bob, no operator: no caller, the trouble message and Hangup');
ok((grep { /AH30908.*client:bob/ } error_log_since($at)), '... logged (AH30908)');
twiml_ok(post('/minicc/client-voice', [CallSid => sid(), From => '+15557770001', CallStatus => 'in-progress']),
         $trouble, 'a phone number at the TwiML App\'s URL: no caller either');
# the call ends (the status callback): anna is not on the line for t/53, t/54
post('/minicc/status', [CallSid => $sid, CallStatus => 'completed', CallDuration => 30]);
db_do(q{DELETE FROM operators WHERE telnum = 'client:anna'});
