# Recorded conversations and what callers thought (doc/contract.txt 16):
# MiniCCRecordCalls puts record-from-answer-dual and the recording's status
# callback on the operators' <Dial> (the loop's and a call-back's), the
# caller hears recording-notice before the conversation; minicc-recording
# keeps a row per recording, repeated or late; MiniCCSurvey asks a caller
# still on the line after a conversation for a score, minicc-survey keeps
# the first key from 1 to 5; the report lists the recordings (a link only
# to Twilio's) and the callers' scores overall, per operator and per
# queue, in JSON, CSV and HTML; across an outage both webhooks' rows wait
# in the spool.  Real Apache, module and MariaDB; TwiML parsed.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use File::Temp qw(tempdir);
use JSON::PP ();
use LWP::UserAgent ();
use POSIX ();
use MiniCCTest;
use MiniCCSpoolTest;

my @bad = (
    ['MiniCCRecordCalls maybe', 'MiniCCRecordCalls'],
    ['MiniCCSurvey 2', 'MiniCCSurvey'],
    ['MiniCCMessage survey ""', 'MiniCCMessage'],
);

plan tests => @bad * 2 + 4 * 10 + 25;

my $tmp = tempdir('minicc-rec-XXXXXX', TMPDIR => 1, CLEANUP => 1);
configtest_rejects($tmp, \@bad);

my %MSG = (
    notice => 'This call will be recorded for quality and training.',
    survey => 'How satisfied were you with this call? Press a key from 1, not at all, to 5, very satisfied.',
    thanks => 'Thank you for calling. Goodbye.',
);
sub rec_row { dbh()->selectrow_hashref('SELECT * FROM recordings WHERE RecordingSid = ?', undef, $_[0]) }
db_wait_up();
my ($op1, $op2) = ('+15557770061', '+15557770062');
db_do('DELETE FROM operators WHERE telnum IN (?, ?)', $op1, $op2);
db_do('INSERT INTO operators (telnum) VALUES (?), (?)', $op1, $op2);
callers_changed();

# ---- the TwiML -----------------------------------------------------------------------------
my $o1 = sid();
twiml_ok(post('/rec/operator', [ CallSid => $o1, From => $op1 ]),
         Response(Say(DEFAULT_MSG('operator')),
                  [ 'Dial', { record => 'record-from-answer-dual', recordingStatusCallback => 'recording',
                              recordingStatusCallbackMethod => 'POST' },
                    Queue('recq', url => 'guidance', method => 'POST') ],
                  Redirect('operator', method => 'POST')),
         'MiniCCRecordCalls: the loop\'s Dial records both sides, on two channels, and says where to tell');
twiml_ok(post('/minicc/operator', [ CallSid => sid(), From => $op1 ]),
         Response(Say(DEFAULT_MSG('operator')), Dial(Queue('support', url => 'guidance', method => 'POST')),
                  Redirect('operator', method => 'POST')),
         'without it: the Dial as before, no record attribute');
my $k1 = sid();
twiml_ok(post('/rec/guidance', [ CallSid => $k1, From => '+15550006101', QueueTime => 5, DequeingCallSid => $o1 ]),
         Response(Say($MSG{notice}), Say(DEFAULT_MSG('guidance'))),
         'the caller hears recording-notice before the conversation');
my $survey = Response(Gather({ numDigits => '1', timeout => '10', action => 'survey', method => 'POST' },
                             Say($MSG{survey})),
                      Say($MSG{thanks}), Hangup());
twiml_ok(post('/rec/exit', [ CallSid => $k1, From => '+15550006101', QueueResult => 'bridged', QueueTime => 5,
                             CallStatus => 'in-progress' ]),
         $survey, 'MiniCCSurvey: a caller still on the line after the operator hung up is asked for a score');
# a queue's own caller (section 15): the survey's request says the queue,
# and so does its row (bench/day found billing's scores counted as the
# Location's MiniCCQueue's)
my $kq = sid();
twiml_ok(post('/rec/exit?queue=recq2', [ CallSid => $kq, From => '+15550006109', QueueResult => 'bridged',
                                         QueueTime => 5, CallStatus => 'in-progress' ]),
         Response(Gather({ numDigits => '1', timeout => '10', action => 'survey?queue=recq2', method => 'POST' },
                         Say($MSG{survey})),
                  Say($MSG{thanks}), Hangup()),
         'a second queue\'s caller: the survey\'s action says the queue');
post('/rec/survey?queue=recq2', [ CallSid => $kq, From => '+15550006109', Digits => '4' ]);
is(join(' ', map { $_ // 'NULL' } @{ db_row('surveys', $kq) // {} }{qw(Score Queue)}), '4 recq2',
   'its score is that queue\'s');
# out of the way of the day's figures checked by hand below (the delete
# triggers take it out of the summaries too)
db_do("DELETE FROM $_ WHERE CallSid = ?", $kq) for qw(surveys enqueue_data);
twiml_ok(post('/rec/exit', [ CallSid => sid(), QueueResult => 'bridged', QueueTime => 5, CallStatus => 'completed' ]),
         Response(), 'a caller who hung up: nothing to ask');
twiml_ok(post('/minicc/exit', [ CallSid => sid(), QueueResult => 'bridged', QueueTime => 5,
                                CallStatus => 'in-progress' ]),
         Response(), 'without MiniCCSurvey: nothing asked');
twiml_ok(post('/rec/survey', [ CallSid => $k1, From => '+15550006101', Digits => '5' ]),
         Response(Say($MSG{thanks}), Hangup()), 'a score of 5: thanks, and the end of the call');
is(join(' ', map { $_ // 'NULL' } @{ db_row('surveys', $k1) // {} }{qw(From Score Queue)}),
   '+15550006101 5 recq', 'surveys: the caller, the score, the queue');
post('/rec/survey', [ CallSid => $k1, From => '+15550006101', Digits => '1' ]);
is(db_row('surveys', $k1)->{Score}, 5, 'a repeated survey request changes nothing: the first score stays');
my $none = 0;
for my $d ('7', '0', '', '12', '*') {
    my $c = sid();
    post('/rec/survey', [ CallSid => $c, Digits => $d ]);
    $none++ unless db_row('surveys', $c);
}
my $c = sid();
twiml_ok(post('/rec/survey', [ CallSid => $c ]), Response(Say($MSG{thanks}), Hangup()),
         'no key (the Gather\'s timeout): thanks, and the end');
is($none + (db_row('surveys', $c) ? 0 : 1), 6, 'keys 7, 0, none, 12, * and no key at all: no score recorded');

# ---- the recordings ------------------------------------------------------------------------
my $re1 = sid('RE');
my $url1 = "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Recordings/$re1";
my @rec1 = (AccountSid => 'AC0123456789abcdef0123456789abcdef', CallSid => $o1, RecordingSid => $re1,
            RecordingUrl => $url1, RecordingStatus => 'completed', RecordingDuration => 42,
            RecordingChannels => 2, RecordingSource => 'DialVerb',
            RecordingStartTime => 'Sat, 05 Dec 2026 10:00:00 +0000');
twiml_ok(post('/rec/recording', [ @rec1 ]), Response(), 'the recording\'s status callback: an empty answer');
twiml_ok(post('/rec/recording', [ @rec1 ]), Response(), '... repeated: the same');
is(join(' ', map { $_ // 'NULL' } @{ rec_row($re1) // {} }
                                    {qw(CallSid RecordingUrl RecordingStatus RecordingDuration RecordingChannels)}),
   "$o1 $url1 completed 42 2", 'recordings: one row, its call, URL, status, length and channels');
is(scalar dbh()->selectrow_array('SELECT COUNT(*) FROM recordings WHERE RecordingSid = ?', undef, $re1), 1, '... one, however often Twilio says it');
my $at = error_log_size();
my $res = post('/rec/recording', [ CallSid => $o1, RecordingSid => 'REnot-a-sid', RecordingUrl => $url1 ]);
is($res->code, 400, 'a RecordingSid that is no SID: 400, nothing recorded');
ok((grep { /AH30101.*RecordingSid 'REnot-a-sid'/ } error_log_since($at)), '... logged (AH30101)');

# a second conversation of op1 (a score of 3), one of op2 (2), and hostile URLs
my $k2 = sid();
post('/rec/guidance', [ CallSid => $k2, From => '+15550006102', QueueTime => 3, DequeingCallSid => $o1 ]);
post('/rec/survey', [ CallSid => $k2, From => '+15550006102', Digits => '3' ]);
my $re2 = sid('RE');
post('/rec/recording', [ CallSid => $o1, RecordingSid => $re2, RecordingUrl => 'javascript:alert(1)//',
                         RecordingStatus => 'completed', RecordingDuration => 7, RecordingChannels => 2 ]);
my $o2 = sid();
post('/rec/operator', [ CallSid => $o2, From => $op2 ]);
my $k3 = sid();
post('/rec/guidance', [ CallSid => $k3, From => '+15550006103', QueueTime => 9, DequeingCallSid => $o2 ]);
# the survey's request before the recording's: either order
post('/rec/survey', [ CallSid => $k3, From => '+15550006103', Digits => '2' ]);
my $re3 = sid('RE');
post('/rec/recording', [ CallSid => $o2, RecordingSid => $re3,
                         RecordingUrl => 'https://api.twilio.com.evil.example/"><script>x()</script>',
                         RecordingStatus => 'completed', RecordingDuration => 61, RecordingChannels => 2 ]);

# ---- the report ----------------------------------------------------------------------------
my $today = POSIX::strftime('%Y-%m-%d', localtime);
my $j = eval { JSON::PP::decode_json(Apache::TestRequest::GET("/minicc/report?format=json&from=$today&to=$today")
                                         ->content) } || {};
is_deeply($j->{csat}, { mean => 3.33, responses => 3 }, 'csat: the mean score (5, 3, 2) and the responses');
is_deeply([ map { [ @{$_}{qw(telnum mean responses)} ] } @{ $j->{csat_operators} || [] } ],
          [ [ $op1, 4, 2 ], [ $op2, 2, 1 ] ], 'csat per operator: of the caller each picked up');
is_deeply([ map { [ @{$_}{qw(queue mean responses)} ] } @{ $j->{csat_queues} || [] } ], [ [ 'recq', 3.33, 3 ] ],
          'csat per queue');
my %rec = map { $_->{recording_url} => $_ } @{ $j->{recording_list} || [] };
is_deeply([ map { [ @{ $rec{$_} // {} }{qw(operator caller duration_seconds channels)} ] }
            $url1, 'javascript:alert(1)//' ],
          [ [ $op1, '+15550006101', 42, 2 ], [ $op1, '+15550006102', 7, 2 ] ],
          'the recordings: per call its operator and caller (the pick-up before it ended), length, channels');
my $csv = Apache::TestRequest::GET("/minicc/report?format=csv&table=csat_operators&from=$today&to=$today")->content;
like($csv, qr/^telnum,mean,responses\r?\n"'\Q$op1\E",4\.00,2\r?\n"'\Q$op2\E",2\.00,1\r?\n\z/,
     'CSV table=csat_operators') or diag($csv);
$csv = Apache::TestRequest::GET("/minicc/report?format=csv&table=recordings&from=$today&to=$today")->content;
ok($csv =~ /^time,operator,caller,duration_seconds,channels,recording_url\r?\n/ && $csv =~ /\Q$url1\E/,
   'CSV table=recordings') or diag($csv);
my $html = Apache::TestRequest::GET("/minicc/report?from=$today&to=$today")->content;
my ($table) = $html =~ m{(<table id="recordings">.*?</table>)}s;
$table //= '';
my @links = $table =~ m{<a href="([^"]*)">Recording</a>}g;
is_deeply(\@links, [ $url1 ], 'HTML: a link to Twilio\'s recording only');
ok($table =~ m{<td>javascript:alert\(1\)//</td>} && $table =~ m{<td>https://api\.twilio\.com\.evil\.example/&quot;&gt;&lt;script&gt;}
   && $table !~ /<script/, '... the others shown as text, escaped') or diag($table);
ok($html =~ m{<div class="tile" id="csat_mean">Caller satisfaction \(1-5\)<b>3\.33</b></div>}
   && $html =~ m{<table id="csat_queues">.*recq.*3\.33}s, 'HTML: the score\'s tile, the tables');

# ---- across an outage: both webhooks' rows wait in the spool ---------------------------------
{
    my $srv = httpd_start(name => 'rec', mpm => 'event',
                          extra => "<Location /minicc>\n    MiniCCSurvey On\n    MiniCCRecordCalls On\n</Location>\n"
                                   . "<Location /minicc/recording>\n    SetHandler minicc-recording\n</Location>\n"
                                   . "<Location /minicc/survey>\n    SetHandler minicc-survey\n</Location>\n");
    ok($srv && mariadb_private('stop'), 'a server with a spool; the database stops');
    my ($k, $re) = (sid(), sid('RE'));
    my @r = $srv ? (http_post($srv, '/minicc/survey', [ CallSid => $k, From => '+15550006104', Digits => '4' ]),
                    http_post($srv, '/minicc/recording', [ CallSid => $o2, RecordingSid => $re,
                                                           RecordingUrl => $url1, RecordingStatus => 'completed',
                                                           RecordingDuration => 5, RecordingChannels => 2 ]),
                    http_post($srv, '/minicc/survey', [ CallSid => $k, From => '+15550006104', Digits => '1' ]))
                 : ();
    is(join(' ', map { $_->code } @r), '200 200 200', 'the database down: the caller is thanked all the same');
    ok(mariadb_private('start'), 'the database is back');
    my $got = '';
    poll(sub { my $s = db_row('surveys', $k); my $x = rec_row($re);
               $got = ($s ? $s->{Score} : '-') . ' ' . ($x ? $x->{RecordingDuration} : '-'); $got eq '4 5' }, 60, 0.5);
    is($got, '4 5', 'the spool written: the first score (4, not the repeat\'s 1), the recording');
    httpd_stop($srv) if $srv;
}
db_do('DELETE FROM operators WHERE telnum IN (?, ?)', $op1, $op2);
