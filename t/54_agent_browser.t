# Operators in a browser, with Twilio's own code (doc/contract.txt 14):
# the module's access token checked by Twilio's helper library (twilio's
# AccessToken makes one for the same inputs) and jsonwebtoken (signature,
# expiry), from npm (t/browser, installed by scripts/install-deps); the
# operators' page in Debian's headless Chromium at a phone's width with
# the Voice SDK from npm: it loads, gets its token, builds its Device, says
# Twilio cannot be reached (there is no network), throws nothing, breaks
# no Content-Security-Policy; its state buttons post and the live view
# follows; it shows a caller picked up.  The screenshot is kept in
# t/logs/agent-phone.png.
use strict;
use warnings FATAL => 'all';
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use JSON::PP ();
use LWP::UserAgent ();
use HTTP::Request::Common qw(GET);
use Encode qw(encode);
use MiniCCTest;

plan tests => 6 + 13;

my $dir = "$FindBin::Bin/browser";
my ($node) = grep { -x } map { "$_/node" } split /:/, $ENV{PATH} // "";
my $ready = $node && -d "$dir/node_modules/twilio" && -f "$dir/node_modules/\@twilio/voice-sdk/dist/twilio.min.js"
            && -d "$dir/node_modules/playwright-core" && -x '/usr/bin/chromium';
# not a skip: the test command installs them (scripts/install-deps)
ok($ready, 'node, t/browser\'s npm packages (npm ci) and /usr/bin/chromium are there')
    or diag('run scripts/install-deps as root');

my $base = 'http://' . Apache::TestRequest::hostport();
my $ua = LWP::UserAgent->new(timeout => 30);
sub get_as {
    my ($path, $user, $pass) = @_;
    my $req = GET("$base$path");
    $req->authorization_basic(encode('UTF-8', $user), $pass);
    return $ua->request($req);
}
my $secret = do { open my $fh, '<', "$FindBin::Bin/conf/api-secret.txt" or die $!; local $/; <$fh> =~ s/\s+\z//r };
my ($ac, $sk, $ap) = ('AC0123456789abcdef0123456789abcdef', 'SK0123456789abcdef0123456789abcdef',
                      'AP0123456789abcdef0123456789abcdef');
# verify-token.js: {pass, failed, checks}, its exit status
sub verify {
    my ($token, $identity, $ttl) = @_;
    my $out = '';
    if ($ready && open my $fh, '-|', $node, "$dir/verify-token.js", $token, $secret, $ac, $sk, $ap,
                                  encode('UTF-8', $identity), $ttl) {
        local $/;
        $out = <$fh> // '';
        close $fh;
    }
    my $j = eval { JSON::PP->new->utf8->decode($out) } // { pass => JSON::PP::false(), failed => ['no output'] };
    return ($j, $? >> 8);
}

# ---- the token, by Twilio's library ----------------------------------------------------------
{
    my $t = eval { JSON::PP->new->utf8->decode(get_as('/minicc/agent-token', 'anna', 'pw')->content)->{token} } // '';
    my ($j, $rc) = verify($t, 'anna', 600);
    ok($rc == 0 && $j->{pass}, 'anna\'s token: what twilio\'s AccessToken makes for the same inputs (header, claims '
       . 'in order, grants, iss, sub, exp - iat = 600), jsonwebtoken verifies its signature')
        or diag(explain($j));
    ok($j->{checks}{fails_with_wrong_secret} && $j->{checks}{expired_at_exp_plus_1} && $j->{checks}{valid_at_exp_minus_1},
       '... refused with another secret; valid until exp, expired after it (jsonwebtoken)');
    my ($w, $wrc) = verify($t, 'bob', 600);
    ok($wrc == 1 && grep({ $_ eq 'grants_deep_equal' } @{ $w->{failed} || [] }),
       'anna\'s token is not bob\'s: the grants differ') or diag(explain($w));
    my ($x, $xrc) = verify($t, 'anna', 3600);
    ok($xrc == 1 && grep({ $_ eq 'exp_minus_iat_eq_ttl' } @{ $x->{failed} || [] }),
       'its lifetime is MiniCCTokenTTL 600, not the default 3600');
    my $u = eval { JSON::PP->new->utf8->decode(get_as('/minicc/agent-token', 'o"ha\\東京', 'pw2')->content)->{token} }
            // '';
    my ($y, $yrc) = verify($u, 'o"ha\\東京', 600);
    ok($yrc == 0 && $y->{pass}, 'a user of a quote, a backslash and UTF-8: Twilio\'s library agrees too')
        or diag(explain($y));
}

# ---- the page in Chromium ----------------------------------------------------------------
db_wait_up();
# anna's calls of earlier files end (their status callbacks)
post('/minicc/status', [ CallSid => $_->[0], CallStatus => 'completed', CallDuration => 1 ])
    for @{ dbh()->selectall_arrayref(q{SELECT CallSid FROM operator_sessions WHERE telnum = 'client:anna'}) };
db_do(q{DELETE FROM operators WHERE telnum = 'client:anna'});
db_do(q{INSERT INTO operators (telnum) VALUES ('client:anna')});
callers_changed();
my $c = sid();
# Twilio, after the page's Connect: the TwiML App's Voice URL
post('/browser/client-voice', [ CallSid => $c, From => 'client:anna', CallStatus => 'in-progress' ]);
my $shot = Apache::Test::vars('t_logs') . '/agent-phone.png';
unlink $shot;
my ($seen, $rc) = ({}, -1);
if ($ready) {
    my $out = `"$node" "$dir/agent-page.js" "$base" anna pw $c "$shot"`;
    $rc = $? >> 8;
    $seen = eval { JSON::PP->new->utf8->decode($out) } // { error => "no JSON: $out" };
}
diag(JSON::PP->new->canonical->encode($seen)) if $rc;
my %step = map { $_->{name} => $_->{ok} } @{ $seen->{steps} || [] };
ok($step{'Twilio unreachable, said'}, 'the page got its token, built its Device and says Twilio cannot be reached');
is_deeply($seen->{pageErrors}, [], 'no uncaught error in the page');
is_deeply($seen->{csp}, [], 'no Content-Security-Policy violation (the SDK, its sounds and sockets allowed)');
my %req = map { ("$_->{method} $_->{path}" => $_) } @{ $seen->{requests} || [] };
ok(($req{'GET /sdk/twilio.min.js'}{status} // 0) == 200 && ($req{'GET /minicc/agent-token'}{status} // 0) == 200,
   'the SDK from npm, served by Apache, and the token: 200');
ok($step{'ready, from agent-state'} && $step{'break (Lunch)'}, 'the page: ready, then Break with Lunch');
ok(($req{'POST /minicc/agent-state'}{status} // 0) == 200
   && ($req{'POST /minicc/agent-state'}{origin} // '') eq $base, '... posted from the page\'s origin: 200');
is(($seen->{liveAfterBreak} // '') . ' ' . ($seen->{liveAfterReady} // ''), 'break(Lunch) ready',
   'the live view followed the buttons');
ok($step{'talking'} && $step{'the caller'} && $step{'the queue'} && $seen->{callerShown},
   'a caller picked up: the page shows talking, the caller\'s number and the queue');
is(join(' ', @{ $seen->{buttons} || [] }), 'connect:off hangup:off ready:off break:off offline:off',
   'talking, Twilio unreachable: no button that could only fail (Connect waits for Twilio; no state while talking)');
is(($seen->{width} // 0) <= 390 ? 1 : 0, 1, 'nothing wider than the phone (390 px)');
ok(-s $shot, "a screenshot at the phone's width: $shot");
is($rc, 0, 'the browser saw every step');
my $rows = dbh()->selectall_arrayref('SELECT State, Reason FROM operator_states WHERE CallSid = ? ORDER BY Began',
                                     undef, $c);
is(join(' ', map { $_->[0] . ($_->[1] ? "($_->[1])" : '') } @$rows), 'ready break(Lunch) ready talking',
   'operator_states: what the page did');
db_do(q{DELETE FROM operators WHERE telnum = 'client:anna'});
