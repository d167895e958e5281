# Operators in a browser, the page and the state (doc/contract.txt 14):
# minicc-agent's page and its Content-Security-Policy (the inline script
# and style by their hashes, the SDK of MiniCCVoiceSDK and nothing else),
# in English and Japanese; minicc-agent-state's GET and POST (same origin
# only, the keypad's transitions, every bad input refused), the loop of
# the browser's operator call following what the page asked for, the live
# view, operator_states; a browser operator and a phone operator sharing
# one queue, both counted by the report.  Real Apache, module and MariaDB.
use strict;
use warnings FATAL => 'all';
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use File::Temp qw(tempdir);
use Digest::SHA qw(sha256_base64);
use JSON::PP ();
use LWP::UserAgent ();
use HTTP::Request::Common qw(GET POST);
use Encode qw(encode decode);
use POSIX ();
use MiniCCTest;

my @bad = (
    ['MiniCCVoiceSDK twilio.min.js', 'MiniCCVoiceSDK'],
    ['MiniCCVoiceSDK //cdn.example.com/twilio.min.js', 'MiniCCVoiceSDK'],
    ['MiniCCVoiceSDK /sdk/twilio.min.js?v=2', 'MiniCCVoiceSDK'],
    ['MiniCCVoiceSDK ftp://cdn.example.com/twilio.min.js', 'MiniCCVoiceSDK'],
    ['MiniCCVoiceSDK /sdk/a;script-src*', 'MiniCCVoiceSDK'],
    ["MiniCCVoiceSDK https://cdn.example.com/a'b.js", 'MiniCCVoiceSDK'],
    ['MiniCCVoiceSDK "/sdk/a b.js"', 'MiniCCVoiceSDK'],
);

plan tests => @bad * 2 + 2 + 16 + 4 * 8 + 26;

my $tmp = tempdir('minicc-agent-state-XXXXXX', TMPDIR => 1, CLEANUP => 1);
configtest_rejects($tmp, \@bad);

# The sample sites' block for operators in a browser, uncommented as the
# README says, with the administrator's values: configtest takes it.
{
    my %block;
    for my $f (qw(minicc-site.conf minicc-ja.conf)) {
        open my $fh, '<:encoding(UTF-8)', top_dir() . "/conf/$f" or die "$f: $!";
        my $text = do { local $/; <$fh> };
        ($block{$f}) = $text =~ /^ *# BEGIN operators in a browser\n(.*?)^ *# END operators in a browser$/ms;
    }
    ok(defined $block{'minicc-site.conf'} && $block{'minicc-site.conf'} eq ($block{'minicc-ja.conf'} // ''),
       'the sample sites, English and Japanese: one block for operators in a browser');
    my $lines = ($block{'minicc-site.conf'} // '') =~ s/^( *)#/$1/mgr;
    open my $fh, '>', "$tmp/api-secret" or die; print $fh "a-secret\n"; close $fh;
    mkdir "$tmp/sdk";
    $lines =~ s/AC(x{32})/'AC' . '0' x 32/e;
    $lines =~ s/SK(x{32})/'SK' . '0' x 32/e;
    $lines =~ s/AP(x{32})/'AP' . '0' x 32/e;
    $lines =~ s{/etc/apache2/minicc-api-secret}{$tmp/api-secret};
    $lines =~ s{/var/www/minicc-sdk}{$tmp/sdk}g;
    my $mods = '/usr/lib/apache2/modules';
    my ($rc, $out) = configtest_location($tmp, "</Location>\n"
        . join('', map { "LoadModule ${_}_module $mods/mod_$_.so\n" } qw(alias auth_basic authn_core authn_file authz_user))
        . "$lines<Location /cc/none>");
    is($rc, 0, 'uncommented, with real SIDs and files: configtest says Syntax OK') or diag($out);
}

my $hostport = Apache::TestRequest::hostport();
my $base = "http://$hostport";
my $ua = LWP::UserAgent->new(timeout => 30);
sub as_user {
    my ($req, $user, $pass) = @_;
    $req->authorization_basic(encode('UTF-8', $user), $pass) if defined $user;
    return $ua->request($req);
}
sub get_as { my ($path, @who) = @_; as_user(GET("$base$path"), @who) }
# the page's POST: its Origin, a form
sub post_as {
    my ($path, $form, $origin, @who) = @_;
    my $req = POST("$base$path", $form);
    $req->header(Origin => $origin) if defined $origin;
    return as_user($req, @who);
}
sub json { my $j = eval { JSON::PP->new->utf8->decode($_[0]->content) }; $j // {} }
sub b64pad { my $s = shift; $s . '=' x ((4 - length($s) % 4) % 4) }

# ---- the page ---------------------------------------------------------------------------
{
    my $res = get_as('/minicc/agent');
    is($res->code, 401, 'the page without credentials: 401 (Apache\'s auth)');
    $res = get_as('/minicc/agent', 'anna', 'pw');
    is($res->code, 200, 'anna\'s page: 200');
    my $html = decode('UTF-8', $res->content);
    my $csp = $res->header('Content-Security-Policy') // '';
    my @scripts = $html =~ m{<script([^>]*)>(.*?)</script>}gs;
    my %by;
    while (my ($attrs, $body) = splice @scripts, 0, 2) {
        my $kind = $attrs =~ /src="([^"]*)"/ ? "src $1" : $attrs =~ /type="([^"]*)"/ ? $1 : 'inline';
        push @{ $by{$kind} }, $body;
    }
    is_deeply([ sort keys %by ], [ 'application/json', 'inline', 'src /sdk/twilio.min.js' ],
              'three scripts: the SDK of MiniCCVoiceSDK, the settings (data), the page\'s own');
    my ($style) = $html =~ m{<style>(.*?)</style>}s;
    my $js_hash = b64pad(sha256_base64(encode('UTF-8', $by{inline}[0] // '')));
    my $css_hash = b64pad(sha256_base64(encode('UTF-8', $style // '')));
    is($csp, "default-src 'none'; script-src 'sha256-$js_hash' $base/sdk/twilio.min.js; "
             . "style-src 'sha256-$css_hash'; connect-src 'self' https://*.twilio.com wss://*.twilio.com; "
             . "media-src https://*.twilio.com; img-src 'self'; base-uri 'none'; form-action 'none'; "
             . "frame-ancestors 'none'",
       'Content-Security-Policy: the inline script and style by their hashes, the SDK, no other script');
    is(join(' ', map { $res->header($_) // '' } qw(Cache-Control X-Content-Type-Options Referrer-Policy)),
       'no-store nosniff no-referrer', 'no-store, nosniff, no-referrer');
    my $conf = eval { JSON::PP->new->decode($by{'application/json'}[0]) } // {};
    is_deeply([ $conf->{token}, $conf->{state}, $conf->{reasons} ],
              [ 'agent-token', 'agent-state', [ [ '1', 'Lunch' ], [ '2', 'Training' ] ] ],
              'the settings: the token and state beside the page, the break reasons');
    my $in_order = join '.*', map { quotemeta } '<html lang="en">', '<h1>Operator: anna</h1>',
        '<button id="connect" type="button">Connect</button>', '<button id="hangup" type="button">Hang up</button>',
        '<button id="ready" type="button">Ready</button>',
        '<option value="1">Lunch</option><option value="2">Training</option>',
        '<button id="break" type="button">Break</button>', '<button id="offline" type="button">Log out</button>';
    like($html, qr{$in_order}s,
         'connect, hang up, ready, the reasons, break, log out; the user\'s name');
    like($html, qr{<meta name="viewport" content="width=device-width, initial-scale=1">},
         'a phone\'s width: the viewport');
    is(as_user(POST("$base/minicc/agent"), 'anna', 'pw')->code, 405, 'the page: POST is 405');

    $res = get_as('/agent-ja/agent', 'o"ha\\東京', 'pw2');
    $html = decode('UTF-8', $res->content);
    $csp = $res->header('Content-Security-Policy') // '';
    like($html, qr{<html lang="ja">.*<h1>オペレーター: o&quot;ha\\東京</h1>.*>接続</button>.*>休憩</button>.*>ログアウト</button>}s,
         'MiniCCLanguage ja-JP: the page in Japanese; the user\'s name escaped');
    like($html, qr{<option value="2">研修 &lt;&amp;&gt;</option>}, '... a reason escaped in HTML');
    my ($data) = $html =~ m{<script type="application/json" id="minicc-conf">(.*?)</script>}s;
    ok(defined $data && $data !~ /</ && (eval { JSON::PP->new->decode($data)->{reasons}[1][1] } // '') eq '研修 <&>',
       '... and in the settings, where no < can end the script') or diag($data);
    like($csp, qr{script-src 'sha256-[^']+' https://sdk\.example\.com/voice/twilio\.min\.js; },
         'an SDK elsewhere: its URL in script-src as it is');
    like($html, qr{<script src="https://sdk\.example\.com/voice/twilio\.min\.js"></script>}, '... and in the page');

    my $at = error_log_size();
    is(get_as('/agent-nosdk/agent', 'anna', 'pw')->code, 500, 'no MiniCCVoiceSDK where the page is: 500');
    ok((grep { /AH31206.*MiniCCVoiceSDK/ } error_log_since($at)), '... logged, naming the directive');
}

# ---- the state ----------------------------------------------------------------------------
db_wait_up();
# anna's calls of earlier files end (their status callbacks)
post('/minicc/status', [ CallSid => $_->[0], CallStatus => 'completed', CallDuration => 1 ])
    for @{ dbh()->selectall_arrayref(q{SELECT CallSid FROM operator_sessions WHERE telnum = 'client:anna'}) };
my $anna = 'client:anna';
my $phone = '+15557770053';
db_do('DELETE FROM operators WHERE telnum IN (?, ?)', $anna, $phone);
db_do('INSERT INTO operators (telnum) VALUES (?), (?)', $anna, $phone);
callers_changed();
my $state = sub {
    my $j = json(get_as('/minicc/agent-state', 'anna', 'pw'));
    return join ' ', map { $_ // '-' } @{$j}{qw(state reason call queue caller caller_queue)};
};
sub states {
    my ($cs) = @_;
    my $rows = dbh()->selectall_arrayref('SELECT State, Reason FROM operator_states WHERE CallSid = ? ORDER BY Began',
                                         undef, $cs);
    return join ' ', map { $_->[0] . ($_->[1] ? "($_->[1])" : '') } @$rows;
}
my $live = sub {
    my $j = eval { JSON::PP::decode_json(Apache::TestRequest::GET('/minicc/live?format=json')->content) } || {};
    my ($o) = grep { $_->{operator} eq $anna } @{ $j->{operators} || [] };
    return $o ? "$o->{state}" . ($o->{reason} ? "($o->{reason})" : '') : 'not on the line';
};
# a state asked for, as the page asks
my $ask = sub { post_as('/minicc/agent-state', [ @_ ], $base, 'anna', 'pw') };

is($state->(), 'offline - - - - -', 'anna before her call: offline, no call');
my $c = sid();
my @c = (CallSid => $c, From => $anna);
my $bye = Response(Say('You are logged out. Goodbye.'), Hangup());
my $ready_loop = Response(Say(DEFAULT_MSG('operator')),
                          [ 'Dial', { hangupOnStar => 'true', action => 'operator?after=dial', method => 'POST' },
                            Queue('shq', url => 'guidance', method => 'POST') ],
                          Redirect('operator', method => 'POST'));
twiml_ok(post('/browser/client-voice', [ @c, CallStatus => 'in-progress' ]), $ready_loop,
         'the browser\'s call (the TwiML App\'s Voice URL): the operators\' loop with its states');
is($state->(), "ready - $c shq - -", 'agent-state: ready, her call, the queue');
is(get_as('/minicc/agent-state', 'o"ha\\東京', 'pw2')->content =~ /"state":"offline","reason":null/ ? 1 : 0, 1,
   'another user\'s state: offline, never anna\'s call');

my $at = error_log_size();
is(post_as('/minicc/agent-state', [ state => 'break', reason => 1 ], undef, 'anna', 'pw')->code, 403,
   'a POST without Origin or Sec-Fetch-Site: 403');
my $res = post_as('/minicc/agent-state', [ state => 'break', reason => 1 ], 'http://evil.example', 'anna', 'pw');
is($res->code, 403, 'a POST from another site\'s page (Origin http://evil.example): 403');
ok((grep { /AH31204.*evil\.example/ } error_log_since($at)), '... logged (AH31204)');
is($state->(), "ready - $c shq - -", '... and nothing changed');
$res = as_user(do { my $r = POST("$base/minicc/agent-state", [ state => 'break', reason => 1 ]);
                    $r->header('Sec-Fetch-Site' => 'same-origin'); $r }, 'anna', 'pw');
is($res->code, 200, 'without Origin, Sec-Fetch-Site: same-origin: taken');
ask_refused($ask, [ state => 'lunch' ], 400, 'state: expected ready, break or offline', 'state=lunch');
ask_refused($ask, [ state => 'break' ], 400, 'reason: expected the key of one of MiniCCBreakReasons',
            'a break without its reason, where there are reasons');
ask_refused($ask, [ state => 'break', reason => '7' ], 400, 'reason: expected the key of one of MiniCCBreakReasons',
            'a reason that is none');
sub ask_refused {
    my ($ask, $form, $code, $error, $name) = @_;
    my $res = $ask->(@$form);
    is($res->code, $code, "$name: $code");
    is(json($res)->{error}, $error, "$name: {error} says why");
}
$res = post_as('/agent-nostates/agent-state', [ state => 'break' ], $base, 'anna', 'pw');
is($res->code, 409, 'a break where the operators\' states are off: 409');
is(get_as('/agent-noauth/agent-state')->code, 403, 'no Apache user: 403');
is(as_user(do { my $r = HTTP::Request->new(PUT => "$base/minicc/agent-state"); $r }, 'anna', 'pw')->code, 405,
   'PUT: 405');

# break, as the page asks: the loop answers it at Twilio's next request
$res = $ask->(state => 'break', reason => '2');
is(join(' ', $res->code, @{ json($res) }{qw(state reason since_seconds call)}), "200 break Training 0 $c",
   'break (2 Training): 200, the new state');
is($live->(), 'break(Training)', 'the live view follows');
my $break = sub {
    my ($k) = @_;
    Response(Gather({ numDigits => '1', timeout => '30', action => "operator?menu=break&reason=$k", method => 'POST' },
                    Say('You are on a break. To take callers again, press 1.')),
             Redirect("operator?menu=break&reason=$k", method => 'POST'));
};
twiml_ok(post('/browser/operator?after=dial', [ @c, DialCallStatus => 'completed', DialBridged => 'false' ]),
         $break->(2), 'the page\'s * ends the Dial: the loop answers the break, as the keypad\'s');
twiml_ok(post('/browser/operator?menu=break&reason=2', [ @c ]), $break->(2),
         'the break\'s Gather without a key: the break again');
$res = $ask->(state => 'ready');
is(join(' ', $res->code, json($res)->{state}), '200 ready', 'ready: 200');
twiml_ok(post('/browser/operator?menu=break&reason=2', [ @c ]), $ready_loop,
         'the break\'s Gather without a key, after the page said ready: the callers');

# talking: the page may not change it; it shows the caller and the queue
my $k = sid();
post('/browser/guidance', [ CallSid => $k, From => '+15550001234', QueueTime => 7, DequeingCallSid => $c ]);
is($state->(), "talking - $c shq +15550001234 shq", 'talking: the caller\'s number and queue');
ask_refused($ask, [ state => 'break', reason => 1 ], 409, 'on a call: hang up first', 'a break while talking');
twiml_ok(post('/browser/operator?after=dial', [ @c, DialCallStatus => 'completed', DialBridged => 'true',
                                                DialCallDuration => 30 ]),
         Response(Gather({ numDigits => '1', timeout => '10', action => 'operator?menu=wrapup', method => 'POST' },
                         Say('Wrap-up. Press the pound key when you are ready for the next caller.')),
                  Redirect('operator?menu=wrapup', method => 'POST')),
         'the conversation ended: the wrap-up');
$res = $ask->(state => 'ready');
is(json($res)->{state}, 'ready', 'ready from the wrap-up: taken');
twiml_ok(post('/browser/operator?menu=wrapup', [ @c, Digits => '1' ]), $ready_loop,
         'the page\'s key 1 in the wrap-up: the callers');

# log out
$res = $ask->(state => 'offline');
is(join(' ', $res->code, json($res)->{state}), '200 offline', 'log out: 200');
twiml_ok(post('/browser/operator', [ @c ]), $bye, 'the loop\'s next request: goodbye and Hangup');
is($state->(), 'offline - - - - -', 'agent-state: offline');
ask_refused($ask, [ state => 'ready' ], 409, 'no operator call: connect first', 'ready without a call');
is(states($c), 'ready break(Lunch) break(Training) ready talking wrap-up ready offline',
   'operator_states: every state the page and the loop entered, in order');

# ---- a browser operator and a phone operator share the queue: the report counts both ----------
{
    my $p = sid();
    post('/browser/operator', [ CallSid => $p, From => $phone ]);
    my $b = sid();
    post('/browser/client-voice', [ CallSid => $b, From => $anna ]);
    post('/browser/guidance', [ CallSid => sid(), From => '+15550002222', QueueTime => 4, DequeingCallSid => $p ]);
    post('/browser/guidance', [ CallSid => sid(), From => '+15550003333', QueueTime => 9, DequeingCallSid => $b ]);
    my $today = POSIX::strftime('%Y-%m-%d', localtime);
    my $j = eval { JSON::PP::decode_json(Apache::TestRequest::GET("/minicc/report?format=json&from=$today&to=$today")
                                             ->content) } || {};
    my %answered = map { $_->{telnum} => $_->{answered} } grep { $_->{telnum} eq $anna || $_->{telnum} eq $phone }
                   @{ $j->{operators} || [] };
    is_deeply(\%answered, { $anna => 2, $phone => 1 },
              'the report: the browser\'s operator (2 callers today) and the phone\'s (1), one queue');
    # their calls end (the status callback): no one of them on the line for t/54
    post('/browser/status', [ CallSid => $_, CallStatus => 'completed', CallDuration => 60 ]) for $p, $b;
}
db_do('DELETE FROM operators WHERE telnum IN (?, ?)', $anna, $phone);
