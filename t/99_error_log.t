# Last: nothing crashed a child during the whole suite, and no request got a
# 5xx (t/run-suite checks the error log once more after the server stops).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use MiniCCTest;

plan tests => 5;

# A last request, so that a child that died at the end of the previous
# file has been noticed by the parent.
is(post('/minicc/information', [CallSid => sid()])->code, 200, 'server still answers');
sleep 1;

my $log = Apache::Test::vars('t_logs') . '/error_log';
ok(-s $log, "error log exists: $log");
my @bad;
if (open my $fh, '<', $log) {
    while (<$fh>) {
        push @bad, $_ if /segfault|exit signal|Segmentation fault|AddressSanitizer|double free|stack smashing|\bSIG(?:SEGV|ABRT|BUS)\b|child pid \d+ exit/i;
    }
}
ok(!@bad, 'no crashed child in the error log') or diag(join '', @bad[0 .. ($#bad < 20 ? $#bad : 19)]);

# Every request of the suite is in the access log: none got a 5xx.
my $alog = Apache::Test::vars('t_logs') . '/access_log';
ok(-s $alog, "access log exists: $alog");
my @five;
if (open my $fh, '<', $alog) {
    while (<$fh>) {
        # but t/52's minicc-agent-token and t/53's minicc-agent without
        # their settings, 500s on purpose
        push @five, $_ if /"\s(5\d\d)\s\S+\s*$/
                          && !m{"GET /agent-(unset/agent-token|nosdk/agent) HTTP/1\.1" 500 };
    }
}
ok(!@five, 'no request of the suite got a 5xx') or diag(scalar(@five) . " of them:\n" . join '', @five[0 .. ($#five < 20 ? $#five : 19)]);
