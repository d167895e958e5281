# The report's part-two figures (doc/contract.txt, 5 and 7), from rows made
# through the webhooks: calls turned away while closed, callers who
# overflowed (MiniCCMaxQueue, or a full queue), voicemails and their list,
# where a recording is a link only to https://api.twilio.com/ (a caller
# cannot put a javascript: link on a supervisor's page).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use JSON::PP ();
use MiniCCTest;

# xml_response_ok is 3 tests
plan tests => 3 + 3 * 3 + 12;

db_wait_up();
sub report {
    my ($q) = @_;
    my $res = GET("/minicc/report?$q");
    return $res;
}
sub figures { JSON::PP::decode_json(report('format=json')->content) }

my $before = figures();
my %n = map { $_ => sprintf '+1555888%04d', $$ % 1000 * 10 + $_ } 1 .. 4;
my @sid = map { sid() } 1 .. 4;
my $twilio = 'https://api.twilio.com/2010-04-01/Accounts/AC' . ('0' x 32) . '/Recordings/RE' . ('3' x 32);
my $evil_js = 'javascript:alert(document.cookie)//';
my $evil_site = 'https://evil.example/steal?x=1';

# two calls turned away while closed, one overflow, one full queue
my $closed_ok = 0;
for my $i (0, 1) {
    my $res = post('/vm/incoming', [CallSid => $sid[$i], From => $n{$i + 1}]);
    $closed_ok++ if $res->code == 200 && $res->content =~ /<Record /;
}
is($closed_ok, 2, 'two customers call while closed: both offered voicemail');
my $res = post('/vm/wait', [CallSid => $sid[2], From => $n{3}, QueuePosition => 9, QueueTime => 3]);
like($res->content, qr{<Leave/>}, 'one overflows the queue');
$res = post('/vm/exit', [CallSid => $sid[3], From => $n{4}, QueueResult => 'queue-full', QueueTime => 0]);
like($res->content, qr{<Record }, 'one finds the queue full: voicemail');

# their messages: one recording at Twilio, two hostile URLs
for my $m ([0, $twilio], [1, $evil_js], [2, $evil_site]) {
    my ($i, $url) = @$m;
    xml_response_ok(post('/vm/voicemail', [CallSid => $sid[$i], From => $n{$i + 1},
                                           RecordingUrl => $url, RecordingDuration => 10 + $i]),
                    "voicemail $i recorded");
}

my $after = figures();
is($after->{closed_calls} - $before->{closed_calls}, 2, 'closed_calls counts the two turned away');
is($after->{overflowed} - $before->{overflowed}, 2, 'overflowed counts the overflow and the full queue');
is($after->{voicemails} - $before->{voicemails}, 3, 'voicemails counts the three messages');
is($after->{abandoned} - $before->{abandoned}, 0, 'none of them is an abandoned call');
my %list = map { $_->{from} => $_ } @{ $after->{voicemail_list} };
is(join(' ', map { ($list{$n{$_}} // {})->{reason} // 'none' } 1 .. 3), 'closed closed overflow',
   'voicemail_list: each with why the caller was turned away');
is(($list{$n{1}} // {})->{recording_url}, $twilio, '... and its recording URL as sent');

my $html = report('')->content;
like($html, qr{<a href="\Q$twilio\E">}, 'HTML: a recording at api.twilio.com is a link');
unlike($html, qr{href="javascript:}i, 'HTML: a javascript: URL is no link');
unlike($html, qr{href="https://evil\.example}, 'HTML: another site is no link');
like($html, qr{javascript:alert\(document\.cookie\)//}, '... it is shown as text');

my $csv = report('format=csv&table=voicemails');
like($csv->content, qr{\Afrom,time,reason,duration_seconds,recording_url\r\n}, 'CSV table=voicemails: its header');
my $first = $n{1};
like($csv->content, qr{^"'\Q$first\E",[^,]+,closed,10,\Q$twilio\E\r$}m,
     '... and the first message (its +number as text: an apostrophe in quotes)');
