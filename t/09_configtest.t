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

my $httpd = $ENV{HTTPD} || '/usr/sbin/apache2';
my $mods = '/usr/lib/apache2/modules';
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
    ['MiniCCAnnounceWait maybe',        'MiniCCAnnounceWait'],
    ['MiniCCQueue ""',                  'MiniCCQueue'],
);

plan tests => 1 + @bad * 2 + 2 + 2 + 2;

ok(-e $so, "module built: $so") or diag("build the module first (make)");

my $tmp = tempdir('minicc-configtest-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $n = 0;

sub configtest {
    my (%o) = @_;
    my $file = "$tmp/httpd-" . ++$n . '.conf';
    my $dbd = $o{no_dbd} ? '' : "LoadModule dbd_module $mods/mod_dbd.so\nDBDriver mysql\n"
        . qq{DBDParams "host=127.0.0.1 port=1 dbname=minicc user=minicc pass=minicc"\n};
    open my $fh, '>', $file or die "$file: $!";
    print $fh <<"CONF";
ServerRoot "$tmp"
ServerName localhost
Listen 127.0.0.1:1
PidFile "$tmp/httpd.pid"
ErrorLog "$tmp/error_log"
LoadModule mpm_prefork_module $mods/mod_mpm_prefork.so
LoadModule authz_core_module $mods/mod_authz_core.so
$dbd
LoadModule minicc_module "$so"
<Location /cc/incoming>
    SetHandler minicc-incoming
$o{inside}
</Location>
CONF
    close $fh;
    my $out = qx{"$httpd" -t -d "$tmp" -f "$file" 2>&1};
    my $rc = $? >> 8;
    return ($rc, $out);
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
