# Every directive of doc/contract.txt, 3, that changes TwiML, as set in
# t/conf/extra.conf.in (/custom), and the per-directory merge (/merge).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use MiniCCTest;

plan tests => 4 * 25 + 4 * 6 + 9;

db_wait_up();
my $operator = '+15550006001';
add_operator($operator);

# /custom ---------------------------------------------------------------
my %v = (language => 'ja-JP', voice => 'Polly.Mizuki');
sub CSay { Say($_[0], %v) }
my $c_enqueue = Enqueue('sales', waitUrl => 'wait?loop=1&x=2', waitUrlMethod => 'POST',
                        action => '../custom/exit', method => 'POST');
sub c_gather {
    my ($text) = @_;
    Response(Gather({ numDigits => '1', timeout => '25', action => '/custom/incoming', method => 'POST' },
                    CSay($text)),
             CSay('Custom noinput.'), $c_enqueue);
}
my $c_operator_url = 'https://twilio:s3cret@cc.example.com/custom/operator';

twiml_ok(post('/custom/incoming', [CallSid => sid(), From => '+15551236001']),
         c_gather('Custom welcome. Press 1 or 2.'), 'custom: first contact');
twiml_ok(post('/custom/incoming', [CallSid => sid(), From => '+15551236001', Digits => '7']),
         c_gather('Custom retry.'), 'custom: retry');
twiml_ok(post('/custom/incoming', [CallSid => sid(), From => '+15551236001', Digits => '1']),
         Response(CSay('Custom connecting.'), $c_enqueue), 'custom: Digits=1');
twiml_ok(post('/custom/incoming', [CallSid => sid(), From => '+15551236001', Digits => '2']),
         Response(Redirect('http://cc.example.com/custom/information', method => 'POST')),
         'custom: Digits=2, absolute information URL');
twiml_ok(post('/custom/incoming', [CallSid => sid(), From => $operator]),
         Response(Redirect($c_operator_url, method => 'POST')),
         'custom: operator, URL with user:pass@');
twiml_ok(post('/custom/operator', [CallSid => sid(), From => $operator]),
         Response(CSay('Custom operator.'),
                  Dial(Queue('sales', url => 'https://cc.example.com:8443/custom/guidance', method => 'POST')),
                  Redirect($c_operator_url, method => 'POST')),
         'custom: operator loop');
twiml_ok(post('/custom/wait', [QueuePosition => '4', AvgQueueTime => '150']),
         Response(Pause(length => '7'), CSay('Custom wait: caller 4, 4 again.'),
                  CSay('Custom estimate: 3 min.'),
                  Play('https://music.example.com/hold/loop.mp3')),
         'custom: wait with position and estimate');
twiml_ok(post('/custom/wait', [QueuePosition => '0']),
         Response(Pause(length => '7'), CSay('Custom wait-general.'),
                  Play('https://music.example.com/hold/loop.mp3')),
         'custom: wait-general, no estimate without AvgQueueTime');
twiml_ok(post('/custom/guidance', [CallSid => sid(), QueueTime => '5']),
         Response(CSay('Custom guidance.')), 'custom: guidance');
twiml_ok(post('/custom/information', [CallSid => sid()]),
         Response(CSay('Custom information: Tom & Jerry <products> "quoted".')),
         'custom: information (XML metacharacters in a message)');
twiml_ok(post('/custom/exit', [CallSid => sid(), QueueResult => 'hangup']),
         Response(), 'custom: exit');
twiml_ok(post('/custom/status', [CallSid => sid(), CallStatus => 'completed']),
         Response(), 'custom: status');

# /ja: MiniCCMessageDefaults ja -------------------------------------------
{
    # the Japanese sample's texts, which t/00_house.t holds to the table's
    # Japanese column
    open my $fh, '<:encoding(UTF-8)', top_dir() . '/conf/minicc-ja.conf' or die $!;
    my %ja = map { /^\s*MiniCCMessage ([\w-]+) "([^"]*)"/ ? ($1 => $2) : () } <$fh>;
    sub JSay { Say($_[0], language => 'ja-JP') }
    my $enqueue = Enqueue('support', waitUrl => 'wait', waitUrlMethod => 'POST',
                          action => 'exit', method => 'POST');
    my $gather = sub {
        Response(Gather({ numDigits => '1', timeout => '10', action => 'incoming', method => 'POST' },
                        JSay($_[0])), JSay('Custom noinput.'), $enqueue);
    };
    twiml_ok(post('/ja/incoming', [CallSid => sid(), From => '+15551236003']),
             $gather->($ja{welcome}), 'MiniCCMessageDefaults ja: the Japanese welcome, a noinput set by MiniCCMessage');
    twiml_ok(post('/ja/incoming', [CallSid => sid(), From => '+15551236003', Digits => '9']),
             $gather->($ja{retry}), 'MiniCCMessageDefaults ja: the Japanese retry');
    twiml_ok(post('/ja/information', [CallSid => sid()]),
             Response(JSay($ja{information})), 'MiniCCMessageDefaults ja: the Japanese information');
}

# /merge ----------------------------------------------------------------
my %m = (language => 'fr-FR', voice => 'alice');
sub MSay { Say($_[0], %m) }
sub m_gather {
    my ($text, $queue, $exit) = @_;
    Response(Gather({ numDigits => '1', timeout => '15', action => 'incoming', method => 'POST' },
                    MSay($text)),
             MSay('Outer noinput.'),
             Enqueue($queue, waitUrl => 'outer-wait', waitUrlMethod => 'POST',
                     action => $exit, method => 'POST'));
}
twiml_ok(post('/merge/outer/incoming', [CallSid => sid(), From => '+15551236002']),
         m_gather('Outer welcome.', 'outer-queue', 'outer-exit'), 'merge: outer');
twiml_ok(post('/merge/inner/incoming', [CallSid => sid(), From => '+15551236002']),
         m_gather('Inner welcome.', 'inner-queue', 'inner-exit'),
         'merge: inner overrides queue, welcome, exit URL; inherits the rest');
twiml_ok(post('/merge/inner/incoming', [CallSid => sid(), From => '+15551236002', Digits => '5']),
         m_gather(DEFAULT_MSG('retry'), 'inner-queue', 'inner-exit'),
         'merge: a message set nowhere keeps its default');
twiml_ok(post('/merge/inner/incoming', [CallSid => sid(), From => '+15551236002', Digits => '1']),
         Response(MSay(DEFAULT_MSG('connecting')),
                  Enqueue('inner-queue', waitUrl => 'outer-wait', waitUrlMethod => 'POST',
                          action => 'inner-exit', method => 'POST')),
         'merge: inner, Digits=1');
twiml_ok(post('/merge/inner/incoming', [CallSid => sid(), From => '+15551236002', Digits => '2']),
         Response(Redirect('information', method => 'POST')),
         'merge: URL set nowhere keeps its default');
twiml_ok(post('/merge/inner/incoming', [CallSid => sid(), From => $operator]),
         Response(Redirect('operator', method => 'POST')), 'merge: operator URL default');
twiml_ok(post('/merge/outer/wait', [QueuePosition => '2']),
         Response(Pause(length => '5'), MSay('Outer wait 2.'), Play('http://music.example.com/outer.mp3')),
         'merge: outer wait');
twiml_ok(post('/merge/inner/wait', [QueuePosition => '2', AvgQueueTime => '600']),
         Response(Pause(length => '1'), MSay('Outer wait 2.'), Play('http://music.example.com/outer.mp3')),
         'merge: inner wait overrides the pause, inherits message and music');
twiml_ok(post('/merge/inner/wait', [QueuePosition => '']),
         Response(Pause(length => '1'), MSay(DEFAULT_MSG('wait-general')),
                  Play('http://music.example.com/outer.mp3')),
         'merge: inner wait-general default');

# TwiML written once, at startup (t/conf/extra.conf.in, /once) -----------
{
    my @q = (QueuePosition => '3', AvgQueueTime => '125');
    my $expect = Response(Pause(length => '2'), Say('Once 3, 3 & <again>.'),
                          Say('About 3 min.'), Play('http://music.example.com/once.mp3'));
    my $log0 = error_log_size();
    my %body;
    for my $url ('/once/wait', '/once-alone/wait', '/once-match/wait', '/once/wait/below', '/once/if/wait') {
        my $res = post($url, [@q]);
        twiml_ok($res, $expect, "$url: written once, filled with the request's values");
        $body{$url} = $res->content;
    }
    twiml_ok(post('/once/wait', [QueuePosition => '12']),
             Response(Pause(length => '2'), Say('Once 12, 12 & <again>.'),
                      Play('http://music.example.com/once.mp3')),
             '/once/wait: another position, no estimate');
    for my $url ('/once-alone/wait', '/once-match/wait', '/once/wait/below', '/once/if/wait') {
        is($body{$url}, $body{'/once/wait'}, "$url: the same bytes as /once/wait");
    }
    my $log = join '', error_log_since($log0);
    for my $url ('/once/wait', '/once-alone/wait', '/once-match/wait', '/once/wait/below') {
        like($log, qr/\Q$url\E: TwiML written at startup/,
             "$url: its sections were merged, and its TwiML written, at startup");
    }
    like($log, qr{/once/if/wait: TwiML written for this request},
         '/once/if/wait: an <If> is merged per request, and its TwiML written then');
}

# <Directory> does not reach the module's URLs: they are not mapped to the
# file system, even where DocumentRoot has the folder.
{
    my $dir = Apache::Test::vars('documentroot') . '/minicc';
    mkdir $dir;
    -d $dir or die "cannot create $dir: $!";
    twiml_ok(post('/minicc/incoming', [CallSid => sid(), From => '+15551236003', Digits => '1']),
             Response(Say(DEFAULT_MSG('connecting')),
                      Enqueue('support', waitUrl => 'wait', waitUrlMethod => 'POST',
                              action => 'exit', method => 'POST')),
             'a <Directory> for DocumentRoot/minicc does not apply to /minicc/incoming');
}
