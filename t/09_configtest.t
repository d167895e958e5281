# A bad configuration stops `apache2 -t` with a message naming the
# directive; a good one says "Syntax OK".  Runs the server binary on small
# generated configuration files; needs no running server.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use File::Temp qw(tempdir);
use MiniCCTest;

my $so = top_dir() . '/mod_minicc/.libs/mod_minicc.so';

# [directive line(s) inside <Location>, directive name expected in the message]
my @bad = (
    ['MiniCCWaitPause -1',              'MiniCCWaitPause'],
    ['MiniCCWaitPause abc',             'MiniCCWaitPause'],
    ['MiniCCWaitPause 3x',              'MiniCCWaitPause'],
    ['MiniCCGatherTimeout 0',           'MiniCCGatherTimeout'],
    ['MiniCCGatherTimeout -5',          'MiniCCGatherTimeout'],
    ['MiniCCGatherTimeout ten',         'MiniCCGatherTimeout'],
    ['MiniCCMessage bogus "Hello"',     'MiniCCMessage'],
    ['MiniCCMessage welcome',           'MiniCCMessage'],
    ['MiniCCURL bogus /x',              'MiniCCURL'],
    ['MiniCCURL status /x',             'MiniCCURL'],
    ['MiniCCURL wait http:///wait',     'MiniCCURL'],
    ['MiniCCAnnounceWait maybe',        'MiniCCAnnounceWait'],
    ['MiniCCQueue ""',                  'MiniCCQueue'],
    ['MiniCCLanguage ja_JP',            'MiniCCLanguage'],
    ['MiniCCLanguage j',                'MiniCCLanguage'],
    ['MiniCCLanguage en-',              'MiniCCLanguage'],
    ['MiniCCVoice "Polly Mizuki"',      'MiniCCVoice'],
    ['MiniCCVoice ""',                  'MiniCCVoice'],
    ['MiniCCHoldMusic ftp://example.com/hold.mp3', 'MiniCCHoldMusic'],
    ['MiniCCHoldMusic http:///hold.mp3', 'MiniCCHoldMusic'],
    ['MiniCCMessageDefaults jp',        'MiniCCMessageDefaults'],
    ['MiniCCMessageDefaults ""',        'MiniCCMessageDefaults'],
    ['MiniCCHoldMusic "/hold music.mp3"', 'MiniCCHoldMusic'],
    ['MiniCCServiceLevel 0',            'MiniCCServiceLevel'],
    ['MiniCCServiceLevel 3601',         'MiniCCServiceLevel'],
    ['MiniCCShortAbandon -1',           'MiniCCShortAbandon'],
    ['MiniCCShortAbandon 3601',         'MiniCCShortAbandon'],
);

plan tests => 1 + @bad * 2 + 2 + 2 + 2 + 4 + 8;

ok(-e $so, "module built: $so") or diag("build the module first (make)");

my $tmp = tempdir('minicc-configtest-XXXXXX', TMPDIR => 1, CLEANUP => 1);
sub configtest {
    my (%o) = @_;
    return configtest_location($tmp, $o{inside}, no_dbd => $o{no_dbd},
                               params => $o{params});
}

for my $case (@bad) {
    my ($line, $name) = @$case;
    my ($rc, $out) = configtest(inside => "    $line");
    isnt($rc, 0, "'$line': configtest fails") or diag($out);
    like($out, qr/\Q$name\E/, "'$line': the message names $name") or diag($out);
}

my $good = <<'GOOD';
    MiniCCQueue sales
    MiniCCLanguage ja-JP
    MiniCCMessageDefaults ja
    MiniCCVoice Polly.Mizuki
    MiniCCMessage welcome "Welcome."
    MiniCCMessage retry "Retry."
    MiniCCMessage noinput "No input."
    MiniCCMessage connecting "Connecting."
    MiniCCMessage trouble "Trouble."
    MiniCCMessage operator "Operator."
    MiniCCMessage wait "Wait {position}."
    MiniCCMessage wait-general "Wait."
    MiniCCMessage estimate "About {minutes} minutes."
    MiniCCMessage guidance "Guidance."
    MiniCCMessage information "Information."
    MiniCCHoldMusic https://music.example.com/hold.mp3
    MiniCCWaitPause 10
    MiniCCGatherTimeout 5
    MiniCCAnnounceWait On
    MiniCCAnnounceWait off
    MiniCCURL incoming /cc/incoming
    MiniCCURL operator https://u:p@cc.example.com/cc/operator
    MiniCCURL wait wait
    MiniCCURL guidance guidance
    MiniCCURL exit exit
    MiniCCURL information information
GOOD
my ($rc, $out) = configtest(inside => $good);
is($rc, 0, 'every directive with good values: configtest passes') or diag($out);
like($out, qr/Syntax OK/, 'every directive with good values: Syntax OK') or diag($out);

($rc, $out) = configtest(inside => '');
is($rc, 0, 'no directives: configtest passes') or diag($out);
like($out, qr/Syntax OK/, 'no directives: Syntax OK') or diag($out);

($rc, $out) = configtest(inside => '', no_dbd => 1);
isnt($rc, 0, 'SetHandler minicc-* without mod_dbd: configtest fails') or diag($out);
like($out, qr/mod_dbd/, 'SetHandler minicc-* without mod_dbd: the message names mod_dbd') or diag($out);

# The samples' password left in DBDParams: refused now, not at the first
# call (the database would refuse every connection).
($rc, $out) = configtest(inside => '',
    params => 'host=127.0.0.1 port=1 dbname=minicc user=minicc pass=CHANGE-ME group=minicc');
isnt($rc, 0, 'DBDParams pass=CHANGE-ME: configtest fails') or diag($out);
like($out, qr/DBDParams \(\S+httpd-\d+\.conf, line \d+\) still has the sample's pass=CHANGE-ME/,
     'DBDParams pass=CHANGE-ME: the message names the file, the line and the password') or diag($out);
($rc, $out) = configtest(inside => '',
    params => 'host=127.0.0.1 port=1 dbname=minicc user=minicc pass=CHANGE-ME-NOW');
is($rc, 0, 'DBDParams pass=CHANGE-ME-NOW (a password of its own): configtest passes') or diag($out);
($rc, $out) = configtest(inside => '',
    params => 'pass=CHANGE-ME');
isnt($rc, 0, 'DBDParams "pass=CHANGE-ME" first: configtest fails') or diag($out);

# read as apr-util's mysql driver reads it: other delimiters, any case,
# spaces around "=", any start of "pass" as its key
for my $params ('host=h;pass=CHANGE-ME;user=u', 'PASS=CHANGE-ME', 'pass = CHANGE-ME',
                'pass=CHANGE-ME,user=u', 'host=h|pa=CHANGE-ME') {
    ($rc, $out) = configtest(inside => '', params => $params);
    isnt($rc, 0, "DBDParams \"$params\": configtest fails") or diag($out);
}
# ... and what does not set the password to it
for my $params ('user=CHANGE-ME pass=x', 'user=p=CHANGE-ME pass=x', 'pass=CHANGE-ME2') {
    ($rc, $out) = configtest(inside => '', params => $params);
    is($rc, 0, "DBDParams \"$params\": configtest passes") or diag($out);
}
